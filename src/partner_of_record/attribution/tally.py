"""Totals without a plan per row: the built-in policies' fast path (internal).

For a policy whose answer depends only on the associations in effect (every built-in policy),
what a usage row earns depends only on its subscription and its month. So the engine asks, once
per subscription, for the *tally* of every month in scope: the list the row's amount is to be
appended to. After one pass over the rows, every amount sits in a tally, and the totals per
partner are computed per tally rather than per row.

A tally is a list ``[rule, amount, amount, ...]``; its rule says what each amount earns, for
whom:

* ``(FULL, partner)``: the partner is credited the whole amount (so the tally is summed once);
* ``(FRACTION, partner, num, den)``: ``amount x num / den``, rounded half to even per row (a
  recognising policy's partner in effect on some days of the month);
* ``(EQUAL, partner, n, i)``: the ``i``-th of ``n`` equal parts, by largest remainder (a split
  among ``n`` partners, ``i`` counted in partner-id order);
* ``(UNATTRIBUTED,)`` and ``(UNATTRIBUTED_FRACTION, num, den)``: the same, for the unattributed
  part;
* ``(JOINT, plan)``: the rows are allocated by ``plan`` as a whole (a split whose parts are not
  equal, or a split month cut by a change point);
* ``(COMPOSITE, rules)``: each rule listed applies to every amount (a month where several
  partners earn, each by its own rule).

Tallies are shared as widely as possible: the tally of "partner P is credited in full" serves
every subscription and month where that holds, so most amounts are summed in a few large
groups. Recognising policies credit each partner independently (rounded per row and partner),
which is what lets a month with several partners be split into per-partner tallies; a split's
parts depend on each other and stay together unless they are equal.

Days are ordinals (``date.toordinal()``) throughout. A subscription's change points (the days on
which one of its associations starts or ends) cut the months in scope into *segments*; the
months lying inside one segment share the segment's tally, and only the few months a change
point falls in get a tally of their own.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal, Inexact, Rounded, localcontext
from itertools import islice, repeat
from math import lcm
from operator import mod
from typing import Any

from partner_of_record.attribution.spans import Plan, RawAwards, partial_plan, whole_plan
from partner_of_record.attribution.store import SUMMING, Summary, minor_units
from partner_of_record.model import Association, month_end

__all__: list[str] = []  # internal module

FastAwards = Callable[[tuple[Association, ...]], RawAwards]
"""A built-in policy's ``_awards``: the awards of one segment, from its associations."""

Tally = list[Any]
"""A rule, then the amounts it applies to: ``[rule, amount, amount, ...]``."""

FULL, FRACTION, EQUAL, UNATTRIBUTED, UNATTRIBUTED_FRACTION, JOINT, COMPOSITE = range(7)

_OPEN = 1 << 62
"""The end ordinal of an open-ended association."""
_ZERO = Decimal(0)


class MonthPlanner:
    """Builds, per subscription, the list of tallies of every month in scope.

    ``months`` are the distinct months in scope, sorted. Every tally made is also kept in
    ``tallies``, in the order made.
    """

    __slots__ = (
        "days",
        "ends",
        "fast",
        "first",
        "last",
        "n",
        "none",
        "one_spans",
        "pidx",
        "rules",
        "singles",
        "solos",
        "split",
        "starts",
        "tallies",
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
        self.fast = fast
        self.pidx = pidx
        self.split = split
        self.tallies: list[Tally] = []
        self.rules: dict[tuple[int, ...], Tally] = {}
        self.wholes: dict[RawAwards, Tally] = {}
        self.singles: dict[tuple[str, object, int, int], list[Tally]] = {}
        self.one_spans: dict[tuple[RawAwards, int, int], Tally] = {}
        self.solos: dict[tuple[str, object], tuple[RawAwards, Tally]] = {}
        self.none = [self.whole(())] * self.n

    # ------------------------------------------------------------------ tallies

    def _new(self, rule: tuple[Any, ...]) -> Tally:
        made = [rule]
        self.tallies.append(made)
        return made

    def _shared(self, rule: tuple[int, ...]) -> Tally:
        """The tally of a rule that names no plan (shared by every month that has it)."""
        found = self.rules.get(rule)
        if found is None:
            found = self.rules[rule] = self._new(rule)
        return found

    def _target(self, rules: Sequence[tuple[int, ...]]) -> Tally:
        if len(rules) == 1:
            return self._shared(rules[0])
        return self._new((COMPOSITE, tuple(rules)))

    def whole(self, awards: RawAwards) -> Tally:
        """The tally of a whole month under ``awards`` (cached)."""
        found = self.wholes.get(awards)
        if found is None:
            found = self.wholes[awards] = self._whole(awards)
        return found

    def _whole(self, awards: RawAwards) -> Tally:
        if not awards:
            return self._shared((UNATTRIBUTED,))
        pidx = self.pidx
        if not self.split:
            return self._target(
                [
                    (FULL, pidx(p)) if num == den else (FRACTION, pidx(p), num, den)
                    for p, _, num, den in awards
                ]
            )
        n = len(awards)
        if n == 1 and awards[0][2] == awards[0][3]:
            return self._shared((FULL, pidx(awards[0][0])))
        if all(num == 1 and den == n for _, _, num, den in awards):
            return self._target([(EQUAL, pidx(a[0]), n, i) for i, a in enumerate(awards)])
        return self._new((JOINT, whole_plan(awards, pidx, split=True)))

    def cut(self, spans: list[tuple[int, RawAwards]], days: int) -> Tally:
        """The tally of a month made of several spans of ``(days, awards)``."""
        if self.split:
            return self._new((JOINT, partial_plan(spans, days, self.pidx, split=True)))
        scale = 1
        for _, awards in spans:
            for award in awards:
                d = award[3]
                if d != 1 and scale % d:
                    scale = lcm(scale, d)
        earned: dict[str, int] = {}
        uncovered = 0
        for span_days, awards in spans:
            if not awards:
                uncovered += span_days
                continue
            for p, _, num, d in awards:
                earned[p] = earned.get(p, 0) + span_days * num * (scale // d)
        den = days * scale
        pidx = self.pidx
        rules: list[tuple[int, ...]] = [
            (FULL, pidx(p)) if earned[p] == den else (FRACTION, pidx(p), earned[p], den)
            for p in sorted(earned)
        ]
        if uncovered:
            rules.append((UNATTRIBUTED_FRACTION, uncovered * scale, den))
        return self._target(rules)

    def one_span(self, awards: RawAwards, covered: int, days: int) -> Tally:
        """The tally of a month whose ``covered`` days are under ``awards`` and the rest under
        none (cached)."""
        key = (awards, covered, days)
        found = self.one_spans.get(key)
        if found is None:
            found = self.one_spans[key] = self.cut([(covered, awards), (days - covered, ())], days)
        return found

    def solo(self, a: Association) -> tuple[RawAwards, Tally]:
        """The awards of a segment where ``a`` alone is in effect, and their whole-month tally
        (cached by partner and kind: the built-in policies look at nothing else then)."""
        key = (a.partner_id, a.kind)
        found = self.solos.get(key)
        if found is None:
            awards = self.fast((a,))
            found = self.solos[key] = (awards, self.whole(awards))
        return found

    # ------------------------------------------------------------------ subscriptions

    def plans(self, associations: Sequence[Association]) -> list[Tally]:
        """Return the tally of each month in scope for a subscription with ``associations``.

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

    def _single(self, a: Association, s: int, e: int) -> list[Tally]:
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

    def _several(self, associations: Sequence[Association]) -> list[Tally]:
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
        wholes: list[Tally | None] = []
        for lo in [first, *pts]:
            active = [a for s, e, a in bounds if s <= lo < e]
            if len(active) == 1:
                found, tally = self.solo(active[0])
                awards.append(found)
                wholes.append(tally)
            else:
                awards.append(self.fast(tuple(active)) if active else ())
                wholes.append(None)
        starts, ends, n = self.starts, self.ends, self.n
        out: list[Tally] = []
        i = 0
        for k, p in enumerate(pts):
            j = bisect_right(ends, p, i)  # months i..j-1 end on or before the change point
            if j > i:
                out += [wholes[k] or self.whole(awards[k])] * (j - i)
                i = j
            if i < n and starts[i] < p:  # the change point falls inside month i
                out.append(self._cut(awards, pts, k, starts[i], ends[i]))
                i += 1
        if i < n:
            k = len(pts)
            out += [wholes[k] or self.whole(awards[k])] * (n - i)
        return out

    def _cut(self, awards: list[RawAwards], pts: list[int], k: int, lo: int, end: int) -> Tally:
        """The tally of month ``[lo, end)``, which starts in segment ``k`` and is cut by the
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


# ---------------------------------------------------------------------- totals


def summarise(tallies: list[Tally], exponent: int, *, split: bool) -> Summary:
    """Return the totals of one currency's tallies (``exponent``: the currency's minor unit).

    A tally whose rules credit the whole amount is summed once (an exact decimal sum, when no
    amount has more decimals than the currency; else each amount is rounded first, as
    everywhere); the other rules round row by row, with integers of minor units.
    """
    scale = Decimal(10) ** exponent
    summary = Summary(1)
    credited = summary.credited[0]
    rounded: list[tuple[list[tuple[Any, ...]], int]] = []  # (rules, rows), converted at once
    amounts: list[Decimal] = []
    credits = unattributed = left = 0
    with localcontext(SUMMING):
        for tally in tallies:
            count = len(tally) - 1
            if not count:
                continue
            rule = tally[0]
            total = None
            late: list[tuple[Any, ...]] = []
            for r in rule[1] if rule[0] == COMPOSITE else (rule,):
                tag = r[0]
                if tag == FULL:
                    if total is None:
                        total = _total(tally, exponent, scale)
                    credited[r[1]] = credited.get(r[1], 0) + total
                    credits += count
                elif tag == UNATTRIBUTED:
                    if total is None:
                        total = _total(tally, exponent, scale)
                    left += total
                    unattributed += count
                else:
                    late.append(r)
            if late:
                rounded.append((late, count))
                amounts += islice(tally, 1, None)
    minors = minor_units(amounts, scale)
    joint_plans: list[Plan] = []
    joint_minors: list[int] = []
    pos = 0
    for rules, count in rounded:
        part = minors[pos : pos + count]
        pos += count
        for r in rules:
            tag = r[0]
            if tag == FRACTION:
                credited[r[1]] = credited.get(r[1], 0) + _fraction(part, r[2], r[3])
                credits += count
            elif tag == UNATTRIBUTED_FRACTION:
                left += _fraction(part, r[1], r[2])
                unattributed += count
            elif tag == EQUAL:
                credited[r[1]] = credited.get(r[1], 0) + _equal(part, r[2], r[3])
                credits += count
            else:  # JOINT
                joint_plans += [r[1]] * count
                joint_minors += part
    summary.credit_counts[0] = credits
    summary.unattributed[0] = left
    summary.unattributed_counts[0] = unattributed
    summary.add_rows(joint_plans, joint_minors, 0, split=split)
    return summary


def _total(tally: Tally, exponent: int, scale: Decimal) -> int:
    """The sum of a tally's amounts, each rounded to minor units, in minor units (called in
    the ``SUMMING`` context).

    The decimal sum is exact (or refused) and its exponent is the smallest of the amounts'
    exponents: when it is at least ``-exponent`` no amount needs rounding and the sum is
    converted once (the usual case). Otherwise each amount is rounded first.
    """
    try:
        total = sum(islice(tally, 1, None), _ZERO)
        found = total.as_tuple().exponent
        if isinstance(found, int) and found >= -exponent:
            return int(total.scaleb(exponent))
    except (Inexact, Rounded):  # more than 60 digits: round each amount (which refuses it too)
        pass
    return sum(minor_units(islice(tally, 1, None), scale))


def _fraction(minors: list[int], num: int, den: int) -> int:
    """The sum over rows of ``amount x num / den``, each rounded half to even."""
    out = 0
    for a in minors:
        q, r = divmod(a * num, den)
        r2 = 2 * r
        if r2 > den or (r2 == den and q & 1):
            q += 1
        out += q
    return out


def _equal(minors: list[int], n: int, i: int) -> int:
    """The sum over rows of the ``i``-th of ``n`` equal parts (largest remainder: each part
    gets ``amount // n`` and the first ``amount % n`` parts one unit more; a negative amount is
    allocated as its absolute value and negated)."""
    if min(minors) >= 0:
        remainders: Counter[int] = Counter(map(mod, minors, repeat(n)))
        quotients: int = (sum(minors) - sum(r * c for r, c in remainders.items())) // n
        return quotients + sum(c for r, c in remainders.items() if r > i)
    out = 0
    for a in minors:
        sign = -1 if a < 0 else 1
        q, r = divmod(a * sign, n)
        out += sign * (q + 1 if i < r else q)
    return out
