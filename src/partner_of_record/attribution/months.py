"""Each subscription's months in scope, planned once (the built-in policies' fast path).

For a policy whose answer depends only on the associations in effect (every built-in policy),
what a usage row earns depends only on its subscription and its month. A planner therefore works
one subscription at a time and returns one *target* per month in scope: a target (see
``target``), when only the totals are wanted, or a plan (``PlanPlanner``), when each row's
credits are.

Days are ordinals (``date.toordinal()``) throughout. A subscription's change points (the days on
which one of its associations starts or ends) cut the months in scope into *segments*; the
months lying inside one segment share the segment's target, and only the few months a change
point falls in get a target of their own. Targets are cached: the target of a whole month
under given awards is made once per run, and so is the target of a month covered by one set of
awards for some of its days, for each ``(awards, days covered, days in the month)``; a
subscription with one association shares its whole list with every subscription whose single
association has the same partner, kind and days in effect.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from partner_of_record.attribution.spans import Plan, RawAwards, partial_plan, whole_plan
from partner_of_record.model import Association, month_end

__all__: list[str] = []  # internal module

FastAwards = Callable[[tuple[Association, ...]], RawAwards]
"""A built-in policy's ``_awards``: the awards of one segment, from its associations."""

T = TypeVar("T")

_OPEN = 1 << 62
"""The end ordinal of an open-ended association."""


class MonthPlanner(Generic[T]):
    """Builds, per subscription, the list of targets of every month in scope.

    ``months`` are the distinct months in scope, sorted. Subclasses say what a target is:
    ``_whole(awards)`` for a whole month under ``awards`` and ``cut(spans, days)`` for a month
    made of several spans of ``(days, awards)``.
    """

    __slots__ = (
        "days",
        "ends",
        "fast",
        "first",
        "last",
        "month_index",
        "n",
        "none",
        "one_spans",
        "pidx",
        "singles",
        "solos",
        "split",
        "starts",
        "wholes",
    )

    def __init__(
        self,
        months: Sequence[dt.date],
        fast: FastAwards,
        pidx: Callable[[str], int],
        *,
        split: bool,
    ) -> None:
        self.starts = [m.toordinal() for m in months]
        self.ends = [month_end(m).toordinal() for m in months]
        self.days = [e - s for s, e in zip(self.starts, self.ends, strict=True)]
        self.first = self.starts[0] if months else 0
        self.last = self.ends[-1] if months else 0
        self.n = len(months)
        self.month_index = {m: i for i, m in enumerate(months)}
        self.fast = fast
        self.pidx = pidx
        self.split = split
        self.wholes: dict[RawAwards, T] = {}
        self.singles: dict[tuple[str, object, int, int], list[T]] = {}
        self.one_spans: dict[tuple[RawAwards, int, int], T] = {}
        self.solos: dict[tuple[str, object], tuple[RawAwards, T]] = {}
        self._start()
        self.none = [self.whole(())] * self.n

    def _start(self) -> None:
        """Set up what a subclass needs before the first target is made."""

    # ------------------------------------------------------------------ targets

    def _whole(self, awards: RawAwards) -> T:
        """The target of a whole month under ``awards``."""
        raise NotImplementedError

    def cut(self, spans: list[tuple[int, RawAwards]], days: int) -> T:
        """The target of a month made of several spans of ``(days, awards)``."""
        raise NotImplementedError

    def whole(self, awards: RawAwards) -> T:
        """The target of a whole month under ``awards`` (cached)."""
        found = self.wholes.get(awards)
        if found is None:
            found = self.wholes[awards] = self._whole(awards)
        return found

    def one_span(self, awards: RawAwards, covered: int, days: int) -> T:
        """The target of a month whose ``covered`` days are under ``awards`` and the rest under
        none (cached)."""
        key = (awards, covered, days)
        found = self.one_spans.get(key)
        if found is None:
            found = self.one_spans[key] = self.cut([(covered, awards), (days - covered, ())], days)
        return found

    def solo(self, a: Association) -> tuple[RawAwards, T]:
        """The awards of a segment where ``a`` alone is in effect, and their whole-month target
        (cached by partner and kind: the built-in policies look at nothing else then)."""
        key = (a.partner_id, a.kind)
        found = self.solos.get(key)
        if found is None:
            awards = self.fast((a,))
            found = self.solos[key] = (awards, self.whole(awards))
        return found

    # ------------------------------------------------------------------ subscriptions

    def by_subscription(
        self,
        subscriptions: Sequence[str],
        associations_of: Callable[[str], Sequence[Association]],
    ) -> dict[str, list[T]]:
        """Return each subscription's list of targets (one per month, see ``month_index``)."""
        found = map(self.months_of, map(associations_of, subscriptions))
        return dict(zip(subscriptions, found, strict=True))

    def months_of(self, associations: Sequence[Association]) -> list[T]:
        """Return the target of each month in scope for a subscription with ``associations``.

        The returned list may be shared with other subscriptions: callers must not change it.
        """
        if len(associations) != 1:
            if not associations:
                return self.none
            return self._several(associations)
        a = associations[0]
        first, last = self.first, self.last
        s = max(a.start.toordinal(), first)
        e = last if a.end is None else min(a.end.toordinal(), last)
        if s >= e:
            return self.none
        key = (a.partner_id, a.kind, s, e)
        found = self.singles.get(key)
        if found is None:
            found = self.singles[key] = self._single(a, s, e)
        return found

    def _single(self, a: Association, s: int, e: int) -> list[T]:
        """One association in effect over ``[s, e)`` (clipped to the months in scope)."""
        awards, whole = self.solo(a)
        if not awards:
            return self.none
        starts, ends, days, n = self.starts, self.ends, self.days, self.n
        i = bisect_right(ends, s)  # the first month ending after s
        out = self.none[:i]
        while i < n and starts[i] < e:
            covered = min(e, ends[i]) - max(s, starts[i])
            if covered == days[i]:  # a run of whole months
                j = bisect_right(ends, e, i)
                out += [whole] * (j - i)
                i = j
            else:
                out.append(self.one_span(awards, covered, days[i]))
                i += 1
        out += self.none[i:]
        return out

    def _several(self, associations: Sequence[Association]) -> list[T]:
        """Several associations: segments between change points, runs of whole months."""
        first, last = self.first, self.last
        bounds: list[tuple[int, int, Association]] = []
        points: set[int] = set()
        for a in associations:
            s = a.start.toordinal()
            e = _OPEN if a.end is None else a.end.toordinal()
            bounds.append((s, e, a))
            if first < s < last:
                points.add(s)
            if first < e < last:
                points.add(e)
        pts = sorted(points)
        # segment k covers [first or pts[k-1], pts[k] or the end of the months in scope)
        awards: list[RawAwards] = []
        wholes: list[T | None] = []
        for lo in [first, *pts]:
            active = [a for s, e, a in bounds if s <= lo < e]
            if len(active) == 1:
                found, target = self.solo(active[0])
                awards.append(found)
                wholes.append(target)
            else:
                awards.append(self.fast(tuple(active)) if active else ())
                wholes.append(None)
        starts, ends, n = self.starts, self.ends, self.n
        out: list[T] = []
        i = 0
        for k, p in enumerate(pts):
            j = bisect_right(ends, p, i)  # months i..j-1 end on or before the change point
            if j > i:
                shared = wholes[k]
                out += [self.whole(awards[k]) if shared is None else shared] * (j - i)
                i = j
            if i < n and starts[i] < p:  # the change point falls inside month i
                out.append(self._cut(awards, pts, k, starts[i], ends[i]))
                i += 1
        if i < n:
            k = len(pts)
            shared = wholes[k]
            out += [self.whole(awards[k]) if shared is None else shared] * (n - i)
        return out

    def _cut(self, awards: list[RawAwards], pts: list[int], k: int, lo: int, end: int) -> T:
        """The target of month ``[lo, end)``, which starts in segment ``k`` and is cut by the
        change point ``pts[k]``."""
        count = len(pts)
        first = awards[k]
        spans: list[tuple[int, RawAwards]] = []
        same = True
        start = lo
        while True:
            hi = pts[k] if k < count and pts[k] < end else end
            found = awards[k]
            if found is not first and found != first:
                same = False
            spans.append((hi - lo, found))
            if hi == end:
                break
            lo = hi
            k += 1
        if same:  # the same awards all month (a change that does not matter to the policy)
            return self.whole(first)
        days = end - start
        awarded = [span for span in spans if span[1]]
        if len(awarded) == 1:
            return self.one_span(awarded[0][1], awarded[0][0], days)
        return self.cut(spans, days)


class PlanPlanner(MonthPlanner[Plan]):
    """A planner whose targets are plans: each month's exact fractions of a row's amount."""

    __slots__ = ()

    def _whole(self, awards: RawAwards) -> Plan:
        return whole_plan(awards, self.pidx, split=self.split)

    def cut(self, spans: list[tuple[int, RawAwards]], days: int) -> Plan:
        """The plan of a month made of several spans of ``(days, awards)``."""
        return partial_plan(spans, days, self.pidx, split=self.split)
