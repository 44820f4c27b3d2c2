"""Totals without a plan per row: the built-in policies' fast path (internal).

For a policy whose answer depends only on the associations in effect (every built-in policy),
what a usage row earns depends only on its subscription and its month. So the engine asks, once
per subscription, for the *tally* of every month in scope (a ``months.MonthPlanner`` does the
planning): the list the row's amount is to be appended to. After one pass over the rows, every
amount sits in a tally, and the totals per partner are computed per tally rather than per row.

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
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, Inexact, Rounded, localcontext
from itertools import islice, repeat
from operator import mod
from typing import Any

from partner_of_record.attribution.months import MonthPlanner
from partner_of_record.attribution.spans import (
    Plan,
    RawAwards,
    partial_plan,
    span_weights,
    whole_plan,
)
from partner_of_record.attribution.store import SUMMING, Summary, minor_units

__all__: list[str] = []  # internal module

Tally = list[Any]
"""A rule, then the amounts it applies to: ``[rule, amount, amount, ...]``."""

FULL, FRACTION, EQUAL, UNATTRIBUTED, UNATTRIBUTED_FRACTION, JOINT, COMPOSITE = range(7)

_ZERO = Decimal(0)


class TallyPlanner(MonthPlanner[Tally]):
    """A planner whose targets are tallies; every tally made is kept in ``tallies``, in the
    order made."""

    __slots__ = ("rules", "tallies")

    def _start(self) -> None:
        self.tallies: list[Tally] = []
        self.rules: dict[tuple[int, ...], Tally] = {}

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
        earned, uncovered, scale = span_weights(spans)
        den = days * scale
        pidx = self.pidx
        rules: list[tuple[int, ...]] = [
            (FULL, pidx(p)) if earned[p][0] == den else (FRACTION, pidx(p), earned[p][0], den)
            for p in sorted(earned)
        ]
        if uncovered:
            rules.append((UNATTRIBUTED_FRACTION, uncovered * scale, den))
        return self._target(rules)


# ---------------------------------------------------------------------- totals


def summarise(
    summary: Summary, cur: int, tallies: list[Tally], exponent: int, *, split: bool
) -> None:
    """Add the totals of currency ``cur``'s tallies to ``summary`` (``exponent``: the
    currency's minor unit).

    A tally whose rules credit the whole amount is summed once (an exact decimal sum, when no
    amount has more decimals than the currency; else each amount is rounded first, as
    everywhere); the other rules round row by row, with integers of minor units.
    """
    scale = Decimal(10) ** exponent
    credited = summary.credited[cur]
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
    summary.credit_counts[cur] += credits
    summary.unattributed[cur] += left
    summary.unattributed_counts[cur] += unattributed
    summary.add_rows(joint_plans, joint_minors, cur, split=split)


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
