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
* ``(UNATTRIBUTED,)`` and ``(UNATTRIBUTED_FRACTION, num, den)``: the same, for the unattributed
  part;
* ``(SPLIT, partners, numerators, den)``: each row is allocated by largest remainder over the
  partners' ``numerators / den`` and, when ``numerators`` has one more entry, the
  unattributed part (a split policy's month);
* ``(COMPOSITE, rules)``: each rule listed applies to every amount (a month where several
  partners earn, each by its own rule).

There is one tally per rule, shared by every subscription and month that has it: the tally of
"partner P is credited in full" serves every month where that holds, so most amounts are summed
in a few large groups. The totals are computed right after the rows are tallied (see
``summarise``), and the tallies are then dropped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal, Inexact, Rounded, localcontext
from itertools import islice, repeat
from math import lcm
from operator import add, floordiv, mod, mul
from typing import Any

from partner_of_record.attribution.months import MonthPlanner
from partner_of_record.attribution.spans import RawAwards, largest_remainder, span_weights
from partner_of_record.attribution.store import SUMMING, Summary, minor_units

__all__: list[str] = []  # internal module

Tally = list[Any]
"""A rule, then the amounts it applies to: ``[rule, amount, amount, ...]``."""

FULL, FRACTION, UNATTRIBUTED, UNATTRIBUTED_FRACTION, SPLIT, COMPOSITE = range(6)

_ZERO = Decimal(0)


class TallyPlanner(MonthPlanner[Tally]):
    """A planner whose targets are tallies; every tally made is kept in ``tallies``, in the
    order made."""

    __slots__ = ("rules", "tallies")

    def _start(self) -> None:
        self.tallies: list[Tally] = []
        self.rules: dict[tuple[Any, ...], Tally] = {}

    def _shared(self, rule: tuple[Any, ...]) -> Tally:
        """The tally of ``rule`` (one per rule, shared by every month that has it)."""
        found = self.rules.get(rule)
        if found is None:
            found = self.rules[rule] = [rule]
            self.tallies.append(found)
        return found

    def _target(self, rules: Sequence[tuple[int, ...]]) -> Tally:
        """The tally of a month where each of ``rules`` applies to every amount."""
        return self._shared(rules[0] if len(rules) == 1 else (COMPOSITE, tuple(rules)))

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
        if len(awards) == 1 and awards[0][2] == awards[0][3]:
            return self._shared((FULL, pidx(awards[0][0])))
        den = lcm(*[d for _, _, _, d in awards])
        return self._split(
            [a[0] for a in awards], [num * (den // d) for _, _, num, d in awards], den
        )

    def _split(self, partners: list[str], numerators: list[int], den: int) -> Tally:
        """The tally of a split of each row over ``partners`` (ordered by id) by ``numerators
        / den``; what is left goes to the unattributed part."""
        left = den - sum(numerators)
        if left:
            numerators.append(left)
        pidx = self.pidx
        return self._shared((SPLIT, tuple([pidx(p) for p in partners]), tuple(numerators), den))

    def cut(self, spans: list[tuple[int, RawAwards]], days: int) -> Tally:
        """The tally of a month made of several spans of ``(days, awards)``."""
        earned, uncovered, scale = span_weights(spans)
        den = days * scale
        if self.split:
            order = sorted(earned)
            return self._split(order, [earned[p][0] for p in order], den)
        pidx = self.pidx
        rules: list[tuple[int, ...]] = [
            (FULL, pidx(p)) if earned[p][0] == den else (FRACTION, pidx(p), earned[p][0], den)
            for p in sorted(earned)
        ]
        if uncovered:
            rules.append((UNATTRIBUTED_FRACTION, uncovered * scale, den))
        return self._target(rules)


# ---------------------------------------------------------------------- totals


def summarise(summary: Summary, cur: int, tallies: list[Tally], exponent: int) -> None:
    """Add the totals of currency ``cur``'s tallies to ``summary`` (``exponent``: the
    currency's minor unit).

    The amounts a partner (or the unattributed part) is credited in whole are summed exactly,
    as decimals, and converted once; when that sum shows that some amount has more decimals
    than the currency, each of them is rounded first instead, as everywhere (see
    ``_whole_totals``). The other rules round row by row, with integers of minor units.
    """
    scale = Decimal(10) ** exponent
    credited = summary.credited[cur]
    wholes: list[tuple[Tally, tuple[int, ...], bool]] = []  # (tally, partners, unattributed)
    rounded: list[tuple[list[tuple[Any, ...]], int]] = []  # (rules, rows), converted at once
    amounts: list[Decimal] = []
    credits = unattributed = 0
    for tally in tallies:
        count = len(tally) - 1
        if not count:
            continue
        rule = tally[0]
        if rule[0] == FULL:  # the most common case first
            wholes.append((tally, rule[1:], False))
            credits += count
            continue
        rules = rule[1] if rule[0] == COMPOSITE else (rule,)
        fulls = tuple(r[1] for r in rules if r[0] == FULL)
        nobody = any(r[0] == UNATTRIBUTED for r in rules)
        if fulls or nobody:
            wholes.append((tally, fulls, nobody))
            credits += count * len(fulls)
            unattributed += count if nobody else 0
        late = [r for r in rules if r[0] != FULL and r[0] != UNATTRIBUTED]
        if late:
            rounded.append((late, count))
            amounts += islice(tally, 1, None)
    left = _whole_totals(credited, wholes, exponent, scale)
    minors = minor_units(amounts, scale)
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
            else:  # SPLIT
                pids, numerators, den = r[1], r[2], r[3]
                parts = _split(part, numerators, den)
                for p, found in zip(pids, parts, strict=False):
                    credited[p] = credited.get(p, 0) + found
                credits += count * len(pids)
                if len(numerators) > len(pids):
                    left += parts[-1]
                    unattributed += count
    summary.credit_counts[cur] += credits
    summary.unattributed[cur] += left
    summary.unattributed_counts[cur] += unattributed


def _whole_totals(
    credited: dict[int, int],
    wholes: list[tuple[Tally, tuple[int, ...], bool]],
    exponent: int,
    scale: Decimal,
) -> int:
    """Add the amounts of the tallies credited in whole to each partner of ``credited``;
    return the unattributed part.

    Each partner's amounts are summed exactly, as decimals, and converted once. An exact
    decimal sum keeps the smallest exponent of its terms, so one look at each partner's sum
    tells whether some amount has more decimals than the currency (or the sum more digits than
    ``SUMMING`` holds): then each amount is rounded to minor units first, as everywhere.
    """
    sums: dict[int, Decimal] = {}
    get = sums.get
    left = _ZERO
    try:
        with localcontext(SUMMING):
            for tally, fulls, nobody in wholes:
                total = sum(islice(tally, 1, None), _ZERO)
                for p in fulls:
                    sums[p] = get(p, _ZERO) + total
                if nobody:
                    left += total
        exact = all(_within(total, exponent) for total in (left, *sums.values()))
    except (Inexact, Rounded):
        exact = False
    if exact:
        for p, total in sums.items():
            credited[p] = credited.get(p, 0) + int(total.scaleb(exponent))
        return int(left.scaleb(exponent))
    careful = 0
    for tally, fulls, nobody in wholes:
        found = sum(minor_units(islice(tally, 1, None), scale))
        for p in fulls:
            credited[p] = credited.get(p, 0) + found
        if nobody:
            careful += found
    return careful


def _within(total: Decimal, exponent: int) -> bool:
    """Whether ``total`` has at most ``exponent`` decimals, by its exponent (not its value)."""
    found = total.as_tuple().exponent
    return isinstance(found, int) and found >= -exponent


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


def _split(minors: list[int], numerators: tuple[int, ...], den: int) -> list[int]:
    """Each part's sum over rows of ``amount`` allocated by largest remainder over
    ``numerators / den`` (see ``spans.largest_remainder``), without a loop in Python for the
    common cases (when no amount is negative):

    * ``n`` equal parts: each gets ``a // n``, and the first ``a % n`` parts one unit more;
      so the rows are counted by remainder;
    * two parts: the second gets ``floor(a x n / den)``, plus the unit left over when its
      remainder is the larger (equal remainders serve the first part), that is
      ``(2 a n + den - 1) // (2 den)``; the first gets the rest.

    A negative amount is allocated as its absolute value and negated (row by row).
    """
    n = len(numerators)
    if min(minors) >= 0:
        if numerators.count(numerators[0]) == n and numerators[0] * n == den:
            remainders: Counter[int] = Counter(map(mod, minors, repeat(n)))
            base: int = (sum(minors) - sum(r * c for r, c in remainders.items())) // n
            return [base + sum(c for r, c in remainders.items() if r > i) for i in range(n)]
        if n == 2:
            twice = 2 * numerators[1]
            second = sum(
                map(
                    floordiv,
                    map(add, map(mul, minors, repeat(twice)), repeat(den - 1)),
                    repeat(2 * den),
                )
            )
            return [sum(minors) - second, second]
    totals = [0] * n
    for a in minors:
        totals = list(map(add, totals, largest_remainder(a, numerators, den)))
    return totals
