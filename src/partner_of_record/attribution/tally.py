"""Totals without a plan per row: the built-in policies' fast path (internal).

For a policy whose answer depends only on the associations in effect (every built-in policy),
what a usage row earns depends only on its subscription and its month. So the engine asks, once
per subscription, for the *tally* of every month in scope (a ``months.MonthPlanner`` does the
planning), makes one pass over the rows adding each amount to its tally (``tally_rows``), and
computes the totals per tally rather than per row (``summarise``).

A tally has a rule, which says what each amount earns, for whom:

* ``(FULL, partner)``: the partner is credited the whole amount;
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
"partner P is credited in full" serves every month where that holds. A tally whose rules only
credit whole amounts (``FULL``, ``UNATTRIBUTED``) needs only the sum of its amounts and their
number, kept as the rows go by; any other tally keeps its amounts, to round them row by row.
A planner's targets are therefore integers: ``t >= 0`` is sum ``t``, ``t < 0`` is list ``~t``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from decimal import Decimal, Inexact, Rounded, localcontext
from itertools import repeat
from math import lcm
from operator import add, attrgetter, floordiv, getitem, mod, mul
from typing import Any

from partner_of_record.attribution.months import MonthPlanner
from partner_of_record.attribution.spans import RawAwards, largest_remainder, span_weights
from partner_of_record.attribution.store import SUMMING, Summary, minor_units
from partner_of_record.model import Usage

__all__: list[str] = []  # internal module

Rule = tuple[Any, ...]
"""A tally's rule, e.g. ``(FULL, partner index)``."""

FULL, FRACTION, UNATTRIBUTED, UNATTRIBUTED_FRACTION, SPLIT, COMPOSITE = range(6)

_ZERO = Decimal(0)
_AMOUNT = attrgetter("amount")
_MONTH = attrgetter("month")
_SUBSCRIPTION = attrgetter("subscription_id")


def _whole_only(rule: Rule) -> bool:
    """Whether ``rule`` only credits whole amounts (then a sum and a count are enough)."""
    if rule[0] == COMPOSITE:
        return all(r[0] == FULL or r[0] == UNATTRIBUTED for r in rule[1])
    return bool(rule[0] == FULL or rule[0] == UNATTRIBUTED)


class TallyPlanner(MonthPlanner[int]):
    """A planner whose targets are tallies: ``t >= 0`` names the sum ``sums[t]`` (a rule that
    credits whole amounts), ``t < 0`` the list ``lists[~t]`` (a rule that rounds row by row)."""

    __slots__ = ("lists", "sums", "targets")

    def _start(self) -> None:
        self.sums: list[Rule] = []
        self.lists: list[Rule] = []
        self.targets: dict[Rule, int] = {}

    def _shared(self, rule: Rule) -> int:
        """The tally of ``rule`` (one per rule, shared by every month that has it)."""
        found = self.targets.get(rule)
        if found is None:
            if _whole_only(rule):
                found = len(self.sums)
                self.sums.append(rule)
            else:
                found = ~len(self.lists)
                self.lists.append(rule)
            self.targets[rule] = found
        return found

    def _target(self, rules: Sequence[tuple[int, ...]]) -> int:
        """The tally of a month where each of ``rules`` applies to every amount."""
        return self._shared(rules[0] if len(rules) == 1 else (COMPOSITE, tuple(rules)))

    def _whole(self, awards: RawAwards) -> int:
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

    def _split(self, partners: list[str], numerators: list[int], den: int) -> int:
        """The tally of a split of each row over ``partners`` (ordered by id) by ``numerators
        / den``; what is left goes to the unattributed part."""
        left = den - sum(numerators)
        if left:
            numerators.append(left)
        pidx = self.pidx
        return self._shared((SPLIT, tuple([pidx(p) for p in partners]), tuple(numerators), den))

    def cut(self, spans: list[tuple[int, RawAwards]], days: int) -> int:
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


class Tallies:
    """The tallies of one pass over the rows: per sum target, the sum of its amounts (decimals,
    or integers of minor units when ``minor``) and their number; per list target, its amounts.
    """

    __slots__ = ("counts", "lists", "minor", "sums")

    def __init__(self, planner: TallyPlanner, *, minor: bool) -> None:
        zero: Decimal | int = 0 if minor else _ZERO
        self.sums: list[Any] = [zero] * len(planner.sums)
        self.counts = [0] * len(planner.sums)
        self.lists: list[list[Decimal]] = [[] for _ in planner.lists]
        self.minor = minor


def tally_rows(
    planner: TallyPlanner,
    by_sub: Mapping[str, list[int]],
    rows: Sequence[Usage],
    scale: Decimal,
    *,
    minor: bool = False,
) -> Tallies:
    """Add each row's amount to its tally (``by_sub``: each subscription's targets, by month).

    Sums are exact decimal sums, or, when ``minor``, sums of each amount first rounded to minor
    units (``scale``: ``10 ** exponent``): the careful way, which ``summarise`` asks for when a
    sum shows an amount with more decimals than the currency, and which is taken at once when
    a sum would need more than ``SUMMING``'s digits.
    """
    out = Tallies(planner, minor=minor)
    sums, counts, lists = out.sums, out.counts, out.lists
    month_index = planner.month_index
    if minor:
        months = map(month_index.__getitem__, map(_MONTH, rows))
        targets = map(getitem, map(by_sub.__getitem__, map(_SUBSCRIPTION, rows)), months)
        for t, rounded, u in zip(
            targets, minor_units(map(_AMOUNT, rows), scale), rows, strict=True
        ):
            if t < 0:
                lists[~t].append(u.amount)
            else:
                sums[t] += rounded
                counts[t] += 1
        return out
    try:
        with localcontext(SUMMING):
            for u in rows:
                t = by_sub[u.subscription_id][month_index[u.month]]
                if t >= 0:
                    sums[t] += u.amount
                    counts[t] += 1
                else:
                    lists[~t].append(u.amount)
    except (Inexact, Rounded):
        return tally_rows(planner, by_sub, rows, scale, minor=True)
    return out


def summarise(
    summary: Summary, cur: int, planner: TallyPlanner, tallies: Tallies, exponent: int
) -> bool:
    """Add the totals of currency ``cur``'s tallies to ``summary`` (``exponent``: the
    currency's minor unit).

    The sums credited to each partner (and to the unattributed part) are added up exactly and
    converted once. An exact decimal sum keeps the smallest exponent of its terms, so one look
    at each partner's total tells whether some amount has more decimals than the currency:
    then nothing is added and ``False`` is returned, and the caller tallies again with
    ``tally_rows(..., minor=True)``. The list tallies round row by row, with integers of minor
    units.
    """
    wholes: dict[int, Any] = {}  # partner index -> total of the sums credited in whole
    left: Any = 0 if tallies.minor else _ZERO
    credits = unattributed = 0
    try:
        with localcontext(SUMMING):
            for t, rule in enumerate(planner.sums):
                count = tallies.counts[t]
                if not count:
                    continue
                total = tallies.sums[t]
                for r in rule[1] if rule[0] == COMPOSITE else (rule,):
                    if r[0] == FULL:
                        wholes[r[1]] = wholes.get(r[1], 0) + total
                        credits += count
                    else:  # UNATTRIBUTED
                        left += total
                        unattributed += count
            if not tallies.minor:
                if not all(_within(total, exponent) for total in (left, *wholes.values())):
                    return False
                wholes = {p: int(total.scaleb(exponent)) for p, total in wholes.items()}
                left = int(left.scaleb(exponent))
    except (Inexact, Rounded):  # a total of more than 60 digits
        return False
    credited = summary.credited[cur]
    for p, total in wholes.items():
        credited[p] = credited.get(p, 0) + total
    rounded: list[tuple[Rule, int]] = []  # (rule, rows), converted at once
    amounts: list[Decimal] = []
    for rule, found in zip(planner.lists, tallies.lists, strict=True):
        if found:
            rounded.append((rule, len(found)))
            amounts += found
    minors = minor_units(amounts, Decimal(10) ** exponent)
    pos = 0
    for rule, count in rounded:
        part = minors[pos : pos + count]
        pos += count
        for r in rule[1] if rule[0] == COMPOSITE else (rule,):
            tag = r[0]
            if tag == FULL:
                credited[r[1]] = credited.get(r[1], 0) + sum(part)
                credits += count
            elif tag == FRACTION:
                credited[r[1]] = credited.get(r[1], 0) + _fraction(part, r[2], r[3])
                credits += count
            elif tag == UNATTRIBUTED:
                left += sum(part)
                unattributed += count
            elif tag == UNATTRIBUTED_FRACTION:
                left += _fraction(part, r[1], r[2])
                unattributed += count
            else:  # SPLIT
                pids, numerators, den = r[1], r[2], r[3]
                parts = _split(part, numerators, den)
                for p, share in zip(pids, parts, strict=False):
                    credited[p] = credited.get(p, 0) + share
                credits += count * len(pids)
                if len(numerators) > len(pids):
                    left += parts[-1]
                    unattributed += count
    summary.credit_counts[cur] += credits
    summary.unattributed[cur] += left
    summary.unattributed_counts[cur] += unattributed
    return True


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
