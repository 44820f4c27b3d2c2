"""The attribution engine: ``attribute(ledger, policy) -> Credits``."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Sequence
from decimal import Context, getcontext, localcontext
from operator import attrgetter, getitem
from typing import Any

from partner_of_record.attribution.credits import Credits
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
from partner_of_record.attribution.store import EXACT_TRAPPED, Store, paused_gc
from partner_of_record.ledger import Ledger
from partner_of_record.model import Usage, month_days, month_end

__all__ = ["attribute"]

_SUBSCRIPTION = attrgetter("subscription_id")
_MONTH = attrgetter("month")
EPOCH = dt.date(1970, 1, 1)
"""A placeholder span day, for plans of built-in policies (whose errors never name a span)."""


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
        The credits: one plan per usage row, the credit columns built on first use and
        ``Credit`` objects only when iterated.

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
            plans = _plan_per_row(ctx, rows)
        elif ctx.fast_awards is not None:
            plans = _plan_by_subscription(ctx, rows)
        else:
            plans = _plan_each_row(ctx, rows)
        store.set_rows(rows, plans)
    return Credits._from_store(store)


class _Context:
    """Per-run lookups shared by the planning loops."""

    __slots__ = (
        "decimal_context",
        "empty",
        "fast_awards",
        "months",
        "order",
        "partner_index",
        "policy",
        "single",
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
        self.single: dict[tuple[str, Any, int, int], list[Plan]] = {}
        self.empty = self.whole(()) if self.fast_awards is not None else None

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

    def month_plans(self, subscription_id: str, months: _Months) -> list[Plan]:
        """The plan of each month in scope for one subscription (built-in policies only).

        Built as runs: the months between two change points share one plan. A subscription
        with a single association gets a list shared with every other subscription whose single
        association has the same partner, kind and days in effect within the months in scope.
        """
        assocs = self.store.ledger.associations_of(subscription_id)
        if len(assocs) == 1:
            a = assocs[0]
            lo, hi = months.first, months.last
            start = min(max(a.start.toordinal(), lo), hi)
            end = hi if a.end is None else min(max(a.end.toordinal(), lo), hi)
            key = (a.partner_id, a.kind, start, end)
            found = self.single.get(key)
            if found is None:
                found = self.single[key] = self.runs(Timeline(assocs), months)
            return found
        tl = self.timelines[subscription_id] = Timeline(assocs)
        return self.runs(tl, months)

    def runs(self, tl: Timeline, months: _Months) -> list[Plan]:
        """The plan of each month in scope on one timeline."""
        starts, ends = months.starts, months.ends
        out: list[Plan] = []
        i = 0
        n = len(starts)
        for k, p in enumerate(tl.points):
            if i == n:
                return out
            j = bisect_right(ends, p, i)  # months i..j-1 end on or before the change point
            if j > i:
                # before the first change point nothing is in effect: every timeline shares
                # the empty plan
                plan = self.empty if k == 0 else tl.plans[k]
                out += [plan or self.segment_plan(tl, k, None, EPOCH, EPOCH)] * (j - i)
                i = j
            if i < n and starts[i] < p:  # the change point falls inside month i
                out.append(self.dense_partial(tl, starts[i], ends[i]))
                i += 1
        if i < n:
            k = len(tl.points)
            out += [tl.plans[k] or self.segment_plan(tl, k, None, EPOCH, EPOCH)] * (n - i)
        return out

    def dense_partial(self, tl: Timeline, m_ord: int, end_ord: int) -> Plan:
        """The plan of a month cut by change points, from ordinals (built-in policies only)."""
        pts = tl.points
        k = bisect_right(pts, m_ord)
        lo = m_ord
        spans: list[tuple[int, RawAwards]] = []
        awards = tl.awards
        fast = self.fast_awards
        while True:
            hi = pts[k] if k < len(pts) and pts[k] < end_ord else end_ord
            found = awards[k]
            if found is None:
                found = awards[k] = fast(tl.actives[k])  # type: ignore[misc]  # built-ins only
            spans.append((hi - lo, found))
            if hi == end_ord:
                break
            lo = hi
            k += 1
        return partial_plan(spans, end_ord - m_ord, self.pidx, split=self.split)


class _Months:
    """The months in scope, sorted: first days and next months' first days as ordinals."""

    __slots__ = ("ends", "first", "last", "starts")

    def __init__(self, ctx: _Context, months: Sequence[dt.date]) -> None:
        infos = [ctx.month(m) for m in months]
        self.starts = [info[0] for info in infos]
        self.ends = [info[1] for info in infos]
        self.first = self.starts[0] if infos else 0
        self.last = self.ends[-1] if infos else 0


def _plan_by_subscription(ctx: _Context, rows: Sequence[Usage]) -> list[Plan]:
    """The fast path, for built-in policies: each subscription's plan of every month at once.

    A subscription's months that lie inside one segment of its timeline share that segment's
    plan, so each subscription gets one list of plans (one per month in scope) built from a few
    runs, and each row's plan is then found by two lookups done in C (``map``). Sparse data
    (many subscriptions, few of their months used) take the row-by-row path instead.
    """
    subs = list(map(_SUBSCRIPTION, rows))
    months = list(map(_MONTH, rows))
    distinct = sorted(set(months))
    subscriptions = dict.fromkeys(subs)
    if len(subscriptions) * len(distinct) > 2 * len(rows) + 64:
        return _plan_each_row(ctx, rows)
    scope = _Months(ctx, distinct)
    by_sub = {sid: ctx.month_plans(sid, scope) for sid in subscriptions}
    month_index = {m: i for i, m in enumerate(distinct)}
    return list(map(getitem, map(by_sub.__getitem__, subs), map(month_index.__getitem__, months)))


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
