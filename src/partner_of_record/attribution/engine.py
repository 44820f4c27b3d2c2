"""The attribution engine: ``attribute(ledger, policy) -> Credits``."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from decimal import Context, Decimal, getcontext, localcontext
from operator import attrgetter, getitem
from typing import Any

from partner_of_record.attribution.credits import Credits
from partner_of_record.attribution.months import PlanPlanner
from partner_of_record.attribution.policies import Policy, RecognizeAll
from partner_of_record.attribution.spans import (
    Plan,
    RawAwards,
    Timeline,
    decide,
    engine_awards,
    partial_plan,
    whole_plan,
)
from partner_of_record.attribution.store import EXACT_TRAPPED, Store, Summary, paused_gc
from partner_of_record.attribution.tally import TallyPlanner, summarise, tally_rows
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import Usage, month_days, month_end

__all__ = ["attribute"]

_SUBSCRIPTION = attrgetter("subscription_id")
_MONTH = attrgetter("month")
_CURRENCY = attrgetter("currency")
_ID = attrgetter("id")


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
        The credits. For the built-in policies their totals per partner and currency are
        computed here and each row's plan on first use; the credit columns are built on first
        use, and ``Credit`` objects only while iterating.

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
    with paused_gc(), localcontext(EXACT_TRAPPED):
        ctx = _Context(store, user_context)
        if not getattr(policy, "usage_independent", False):
            store.set_rows(rows, _plan_per_row(ctx, rows))
        elif ctx.fast_awards is None or not _tally_by_subscription(ctx, rows):
            store.set_rows(rows, _plan_each_row(ctx, rows))
    return Credits._from_store(store)


class _Context:
    """Per-run lookups shared by the planning loops."""

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

    def awards(
        self, tl: Timeline, k: int, usage: Usage | None, lo: dt.date, hi: dt.date
    ) -> RawAwards:
        """The awards of segment ``k`` (asked once per segment: usage-independent policies).

        ``usage`` may be ``None`` only for a policy with the built-ins' fast ``_awards``.
        """
        found = tl.awards[k]
        if found is None:
            fast = self.fast_awards
            if fast is not None:
                found = fast(tl.actives[k])
            elif usage is not None:
                found = self.ask(usage, tl.actives[k], lo, hi)
            else:  # pragma: no cover - the callers pass a row when there is no fast path
                msg = "a usage row is needed to ask the policy"
                raise TypeError(msg)
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

    def segment_plan(
        self, tl: Timeline, k: int, usage: Usage | None, month: dt.date, mend: dt.date
    ) -> Plan:
        """The plan of a month lying entirely inside segment ``k`` (cached on the timeline)."""
        plan = tl.plans[k]
        if plan is None:
            plan = tl.plans[k] = self.whole(self.awards(tl, k, usage, month, mend))
        return plan

    def partial_plan(self, tl: Timeline, usage: Usage | None, month: dt.date) -> Plan:
        """The plan of a month cut by change points (cached on the timeline)."""
        m_ord, _, mend, days = self.month(month)
        plan = tl.partial.get(m_ord)
        if plan is None:
            spans = [
                ((hi - lo).days, self.awards(tl, j, usage, lo, hi))
                for lo, hi, j in tl.spans(month, mend)
            ]
            plan = tl.partial[m_ord] = partial_plan(spans, days, self.pidx, split=self.split)
        return plan

    def plan(self, usage: Usage) -> Plan:
        """The plan of one usage row."""
        tl = self.timeline(usage.subscription_id)
        m_ord, end_ord, mend, _ = self.month(usage.month)
        pts = tl.points
        k = bisect_right(pts, m_ord)
        if k == len(pts) or pts[k] >= end_ord:
            return self.segment_plan(tl, k, usage, usage.month, mend)
        return self.partial_plan(tl, usage, usage.month)


def _tally_by_subscription(ctx: _Context, rows: Sequence[Usage]) -> bool:
    """The fast path, for built-in policies: tallies, not a plan per row.

    Each subscription gets the tally of every month in scope (see
    [`TallyPlanner`][partner_of_record.attribution.tally.TallyPlanner]); then each row's amount
    is added to its month's tally, and the totals are computed per tally, at once. Rows in
    several currencies are tallied currency by currency. Each row's plan, for the credit
    columns and explanations, is made only when first asked for, from the same segments.

    Returns:
        ``False``, leaving the store untouched, for sparse data (many subscriptions, few of
        their months used): the row-by-row path suits them better.
    """
    store = ctx.store
    ledger = store.ledger
    distinct = sorted(set(map(_MONTH, rows)))
    dense = 2 * len(rows) + 64
    if len(ledger.subscriptions) * len(distinct) <= dense:
        subscriptions = list(map(_ID, ledger.subscriptions))
    else:
        subscriptions = list(dict.fromkeys(map(_SUBSCRIPTION, rows)))
        if len(subscriptions) * len(distinct) > dense:
            return False
    currencies = list(dict.fromkeys(map(_CURRENCY, rows)))  # in order of appearance
    parts: list[Sequence[Usage]] = [rows] if currencies else []
    if len(currencies) > 1:
        groups: dict[str, list[Usage]] = {c: [] for c in currencies}
        deque(map(list.append, map(groups.__getitem__, map(_CURRENCY, rows)), rows), maxlen=0)
        parts = list(groups.values())
    fast = ctx.fast_awards
    assert fast is not None
    summary = Summary(len(currencies))
    for cur, part in enumerate(parts):
        if len(parts) > 1:  # plan, for each currency, the subscriptions that have rows in it
            subscriptions_in = list(dict.fromkeys(map(_SUBSCRIPTION, part)))
        else:
            subscriptions_in = subscriptions
        _tally(ctx, summary, cur, part, distinct, subscriptions_in, currencies[cur])

    def replan() -> list[Plan]:
        with paused_gc(), localcontext(EXACT_TRAPPED):
            planner = PlanPlanner(distinct, fast, ctx.pidx, split=ctx.split)
            by_sub = planner.by_subscription(subscriptions, ledger.associations_of)
            subs = map(by_sub.__getitem__, map(_SUBSCRIPTION, rows))
            return list(map(getitem, subs, map(planner.month_index.__getitem__, map(_MONTH, rows))))

    store.set_tallies(rows, currencies, summary, replan)
    return True


def _tally(
    ctx: _Context,
    summary: Summary,
    cur: int,
    rows: Sequence[Usage],
    months: list[dt.date],
    subscriptions: list[str],
    currency: str,
) -> None:
    """Tally the rows of currency ``cur`` and add their totals to ``summary``.

    ``subscriptions`` holds (at least) the subscription of every row. The tallies are summed
    at once and dropped: nothing keeps a reference to every amount, and the garbage collector,
    when it resumes, has no million-item lists to scan.
    """
    assert ctx.fast_awards is not None
    planner = TallyPlanner(months, ctx.fast_awards, ctx.pidx, split=ctx.split)
    by_sub = planner.by_subscription(subscriptions, ctx.store.ledger.associations_of)
    exponent = minor_unit_exponent(currency)
    scale = Decimal(10) ** exponent
    tallies = tally_rows(planner, by_sub, rows, scale)
    if not summarise(summary, cur, planner, tallies, exponent):
        tallies = tally_rows(planner, by_sub, rows, scale, minor=True)
        summarise(summary, cur, planner, tallies, exponent)


def _plan_each_row(ctx: _Context, rows: Sequence[Usage]) -> list[Plan]:
    """Row by row, for usage-independent policies: one ``bisect`` per row, plans cached."""
    timelines = ctx.timelines
    months = ctx.months
    plan_of = ctx.plan
    out: list[Plan] = []
    append = out.append
    for u in rows:
        tl = timelines.get(u.subscription_id)
        mi = months.get(u.month)
        if tl is None or mi is None:
            append(plan_of(u))
            continue
        pts = tl.points
        m_ord = mi[0]
        k = bisect_right(pts, m_ord)
        if k == len(pts) or pts[k] >= mi[1]:
            append(tl.plans[k] or plan_of(u))
        else:
            append(tl.partial.get(m_ord) or plan_of(u))
    return out


def _plan_per_row(ctx: _Context, rows: Sequence[Usage]) -> list[Plan]:
    """The general path: the policy is asked for every row and span."""
    out: list[Plan] = []
    for u in rows:
        tl = ctx.timeline(u.subscription_id)
        _, _, mend, days = ctx.month(u.month)
        spans = [
            ((hi - lo).days, ctx.ask(u, tl.actives[j], lo, hi))
            for lo, hi, j in tl.spans(u.month, mend)
        ]
        if len(spans) == 1:
            out.append(ctx.whole(spans[0][1]))
        else:
            out.append(partial_plan(spans, days, ctx.pidx, split=ctx.split))
    return out
