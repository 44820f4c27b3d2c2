"""The attribution engine: ``attribute(ledger, policy) -> Credits``."""

from __future__ import annotations

import datetime as dt
import gc
from bisect import bisect_right
from collections.abc import Sequence
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    Inexact,
    getcontext,
    localcontext,
)
from typing import Any

from partner_of_record.attribution.credits import Credits
from partner_of_record.attribution.policies import Policy, RecognizeAll
from partner_of_record.attribution.spans import (
    Plan,
    RawAwards,
    Timeline,
    decide,
    engine_awards,
    largest_remainder,
    partial_plan,
    round_half_even,
    whole_plan,
)
from partner_of_record.attribution.store import Store
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import Usage, month_days, month_end

__all__ = ["attribute"]

_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact])
"""Amount x 10^exponent is computed exactly (an amount of more than 60 digits is refused)."""


def attribute(
    ledger: Ledger,
    policy: Policy | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Credits:
    """Credit each usage row of ``ledger`` to the partners associated with its subscription.

    For each usage row, the engine finds the associations in effect on its subscription during its
    month, cuts the month into spans of days over which that set is constant, asks ``policy`` for
    each span's shares and weights each span by its number of days. Credit starts on an
    association's start day and is never retroactive; an association ending on day ``d`` earns
    nothing from ``d`` on.

    Rounding, exactly:

    * each row's amount is first rounded to its currency's minor unit (half to even) and held as
      an integer of minor units;
    * a partner's exact credit for a row is the sum over spans of
      ``amount x span days / month days x share``, computed with integers over a common
      denominator (exact fractions);
    * recognising policies (``RecognizeAll``, ``Priority``, ``DporOnly``, any policy whose
      ``split`` is false) round each ``(row, partner)`` credit half to even; the row's
      unattributed part is the amount of the days on which nobody was credited, rounded the same
      way;
    * split policies (``EqualSplit``, ``WeightedSplit``) allocate the row's minor units over the
      partners and the unattributed part by largest remainder: each part is rounded towards zero,
      then the left-over units go one each to the largest remainders; equal remainders are served
      in partner-id order, the unattributed part last. A negative amount is allocated as its
      absolute value and negated. So credited + unattributed == amount, to the minor unit.

    A row with no partner in effect (or only on some days) is never dropped: the rest goes to
    ``Credits.unattributed``. Credits of zero (a partner in effect on a zero-amount row, or for so
    few days that the credit rounds to zero) are kept.

    A usage-independent policy (``usage_independent = True``, as all built-ins) is asked once per
    segment of a subscription's timeline; any other policy once per usage row and span.

    Args:
        ledger: the facts.
        policy: who is credited; defaults to [`RecognizeAll()`][partner_of_record.RecognizeAll].
        start: if given, only usage months on or after this day are attributed.
        end: if given, only usage months before this day are attributed.

    Returns:
        The credits, stored column-wise; ``Credit`` objects are built when iterated.

    Raises:
        PolicyError: the policy returned an unusable share (negative, above 1, not exact, for a
            partner not in effect, or not summing to 1 for a split policy).
        TypeError: ``policy`` has no ``shares`` method, or ``start``/``end`` is not a date.
    """
    if policy is None:
        policy = RecognizeAll()
    if not callable(getattr(policy, "shares", None)) and not callable(
        getattr(policy, "decide", None)
    ):
        msg = f"policy {policy!r} has no shares(usage, active) method"
        raise TypeError(msg)
    for label, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
            msg = f"attribute(): {label}={value!r} is not a datetime.date"
            raise TypeError(msg)
    store = Store(ledger, policy, start, end)
    user_context = getcontext().copy()
    rows = ledger.usage
    if start is not None or end is not None:
        rows = tuple(
            u
            for u in rows
            if (start is None or u.month >= start) and (end is None or u.month < end)
        )
    store.rows = rows
    # The loops make many small containers and no reference cycles: the cyclic garbage
    # collector would only rescan the (large) ledger again and again, so it is paused.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with localcontext(_EXACT):
            if getattr(policy, "usage_independent", False):
                _run_planned(store, rows, user_context)
            else:
                _run_per_row(store, rows, user_context)
    finally:
        if collecting:
            gc.enable()
    return Credits._from_store(store)


class _Context:
    """Per-run lookups shared by the row loops."""

    __slots__ = (
        "decimal_context",
        "fast_awards",
        "months",
        "order",
        "partner_index",
        "policy",
        "split",
        "store",
        "timelines",
        "whole_plans",
    )

    def __init__(self, store: Store, decimal_context: Context) -> None:
        self.store = store
        self.decimal_context = decimal_context
        self.policy = store.policy
        self.split = store.split
        self.partner_index: dict[str, int] = {}
        self.order = store.partners
        self.timelines: dict[str, Timeline] = {}
        self.months: dict[dt.date, tuple[int, int, dt.date, int]] = {}
        self.whole_plans: dict[RawAwards, Plan] = {}
        self.fast_awards = getattr(self.policy, "_awards", None)

    def pidx(self, partner_id: str) -> int:
        found = self.partner_index.get(partner_id)
        if found is None:
            found = self.partner_index[partner_id] = len(self.order)
            self.order.append(partner_id)
        return found

    def timeline(self, subscription_id: str) -> Timeline:
        found = self.timelines.get(subscription_id)
        if found is None:
            assocs = self.store.ledger.associations_of(subscription_id)
            found = self.timelines[subscription_id] = Timeline(assocs)
        return found

    def month(self, month: dt.date) -> tuple[int, int, dt.date, int]:
        """``(ordinal, ordinal of the month's end, month's end, days)`` of a month (cached)."""
        found = self.months.get(month)
        if found is None:
            end = month_end(month)
            found = (month.toordinal(), end.toordinal(), end, month_days(month))
            self.months[month] = found
        return found

    def awards(self, tl: Timeline, k: int, usage: Usage, lo: dt.date, hi: dt.date) -> RawAwards:
        """The awards of segment ``k`` (asked once per segment: usage-independent policies)."""
        found = tl.awards[k]
        if found is None:
            fast = self.fast_awards
            if fast is not None:
                found = fast(tl.actives[k])
            else:
                found = self.ask(usage, tl.actives[k], lo, hi)
            tl.awards[k] = found
        return found

    def ask(self, usage: Usage, active: tuple[Any, ...], lo: dt.date, hi: dt.date) -> RawAwards:
        """Ask the policy about one span, in the caller's decimal context (not the engine's)."""
        with localcontext(self.decimal_context):
            return engine_awards(decide(self.policy, usage, active, lo, hi))

    def whole(self, awards: RawAwards) -> Plan:
        found = self.whole_plans.get(awards)
        if found is None:
            found = self.whole_plans[awards] = whole_plan(awards, self.pidx, split=self.split)
        return found

    def plan(self, usage: Usage) -> Plan:
        """The plan of one usage row (the loops inline this for speed)."""
        tl = self.timeline(usage.subscription_id)
        m_ord, end_ord, mend, days = self.month(usage.month)
        pts = tl.points
        k = bisect_right(pts, m_ord)
        if k == len(pts) or pts[k] >= end_ord:
            plan = tl.plans[k]
            if plan is None:
                plan = tl.plans[k] = self.whole(self.awards(tl, k, usage, usage.month, mend))
            return plan
        plan = tl.partial.get(m_ord)
        if plan is None:
            spans = [
                ((hi - lo).days, self.awards(tl, j, usage, lo, hi))
                for lo, hi, j in tl.spans(usage.month, mend)
            ]
            plan = partial_plan(spans, days, self.pidx, split=self.split)
            tl.partial[m_ord] = plan
        return plan


def _run_planned(store: Store, rows: Sequence[Usage], decimal_context: Context) -> None:
    """The fast loop, for usage-independent policies: one plan per segment or partial month."""
    ctx = _Context(store, decimal_context)
    split = ctx.split
    timelines = ctx.timelines
    months = ctx.months
    plan_of = ctx.plan
    scales: dict[str, Decimal] = {}
    row_plan = store.row_plan.append
    c_row = store.c_row.append
    c_key = store.c_key.append
    c_minor = store.c_minor.append
    u_row = store.u_row.append
    u_minor = store.u_minor.append
    last_currency = ""
    scale = Decimal(1)
    r = -1
    for u in rows:
        r += 1
        tl = timelines.get(u.subscription_id)
        mi = months.get(u.month)
        if tl is None or mi is None:
            plan = plan_of(u)
        else:
            pts = tl.points
            m_ord = mi[0]
            k = bisect_right(pts, m_ord)
            if k == len(pts) or pts[k] >= mi[1]:
                plan = tl.plans[k] or plan_of(u)
            else:
                plan = tl.partial.get(m_ord) or plan_of(u)
        cur = u.currency
        if cur != last_currency:
            found = scales.get(cur)
            if found is None:
                exp = minor_unit_exponent(cur)
                store.currencies.append(cur)
                store.exponents.append(exp)
                found = scales[cur] = Decimal(10) ** exp
            scale = found
            last_currency = cur
        a = round(u.amount * scale)
        row_plan(plan)
        mode = plan.mode
        if mode == 0:
            c_row(r)
            c_key(plan.fast_key)
            c_minor(a)
        elif mode == 1:
            for key in plan.keys:
                c_row(r)
                c_key(key)
                c_minor(a)
        else:
            _emit(plan, r, a, split, c_row, c_key, c_minor, u_row, u_minor)


def _emit(
    plan: Plan,
    r: int,
    a: int,
    split: bool,
    c_row: Any,
    c_key: Any,
    c_minor: Any,
    u_row: Any,
    u_minor: Any,
) -> None:
    """Append one row's credits and unattributed part for the general case."""
    den = plan.denominator
    if split:
        parts = largest_remainder(a, plan.numerators, den)
        for key, part in zip(plan.keys, parts, strict=False):
            c_row(r)
            c_key(key)
            c_minor(part)
        if plan.unattributed:
            u_row(r)
            u_minor(parts[-1])
        return
    for key, n in zip(plan.keys, plan.parts, strict=True):
        c_row(r)
        c_key(key)
        c_minor(a if n == den else round_half_even(a * n, den))
    if plan.unattributed:
        u_row(r)
        u_minor(round_half_even(a * plan.unattributed, den))


def _run_per_row(store: Store, rows: Sequence[Usage], decimal_context: Context) -> None:
    """The general loop: the policy is asked for every row and span."""
    ctx = _Context(store, decimal_context)
    scales: dict[str, Decimal] = {}
    c_row = store.c_row.append
    c_key = store.c_key.append
    c_minor = store.c_minor.append
    u_row = store.u_row.append
    u_minor = store.u_minor.append
    for r, u in enumerate(rows):
        tl = ctx.timeline(u.subscription_id)
        _, _, mend, days = ctx.month(u.month)
        spans = [
            ((hi - lo).days, ctx.ask(u, tl.actives[j], lo, hi))
            for lo, hi, j in tl.spans(u.month, mend)
        ]
        if len(spans) == 1:
            plan = ctx.whole(spans[0][1])
        else:
            plan = partial_plan(spans, days, ctx.pidx, split=ctx.split)
        scale = scales.get(u.currency)
        if scale is None:
            exp = minor_unit_exponent(u.currency)
            store.currencies.append(u.currency)
            store.exponents.append(exp)
            scale = scales[u.currency] = Decimal(10) ** exp
        a = round(u.amount * scale)
        store.row_plan.append(plan)
        _emit(plan, r, a, ctx.split, c_row, c_key, c_minor, u_row, u_minor)
