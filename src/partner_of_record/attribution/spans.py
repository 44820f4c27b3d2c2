"""Span planning: cut a subscription's timeline into spans and turn a policy's answers into plans.

A subscription's associations change on a few days (their starts and ends). Those *change points*
cut time into segments over which the set of associations in effect is constant. The policy is
asked once per segment (when it is usage-independent) and a month that lies inside one segment
reuses that segment's plan: the common case costs one ``bisect`` per usage row.

A *plan* says, for one usage row's month, each partner's exact fraction of the row's amount
(integer numerators over one common denominator) and the unattributed fraction. Plans hold only
numbers, so equal plans are shared between subscriptions; explanations are rebuilt on demand.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

from partner_of_record.attribution.errors import PolicyError
from partner_of_record.attribution.kinds import kinds_mask
from partner_of_record.attribution.policies import Award, Decision
from partner_of_record.model import Association, AssociationKind, PartnerId, Usage

__all__: list[str] = []  # internal module

RawAwards = tuple[tuple[str, int, int, int], ...]
"""A span's awards in the engine's form: ``(partner id, kinds mask, num, den)`` per partner,
ordered by partner id."""

KEY_SHIFT = 16
"""A credit's key packs ``partner index << KEY_SHIFT | kinds mask`` in one integer."""
KIND_MASK = (1 << KEY_SHIFT) - 1


def round_half_even(numerator: int, denominator: int) -> int:
    """Return ``numerator / denominator`` rounded half to even (``denominator > 0``)."""
    q, r = divmod(numerator, denominator)
    r2 = 2 * r
    if r2 > denominator or (r2 == denominator and q & 1):
        q += 1
    return q


def largest_remainder(amount: int, numerators: Sequence[int], denominator: int) -> list[int]:
    """Allocate ``amount`` minor units in proportion to ``numerators / denominator``.

    The numerators sum to the denominator, so the parts sum to ``amount`` exactly. Each part is
    first rounded towards zero; the units left over go, one each, to the parts with the largest
    remainders; equal remainders are served in the order of ``numerators`` (the engine orders the
    partners by id and puts the unattributed part last). A negative amount is allocated as its
    absolute value and negated, so a refund mirrors the charge it refunds.
    """
    sign = -1 if amount < 0 else 1
    a = amount * sign
    parts: list[int] = []
    rems: list[tuple[int, int]] = []
    for i, n in enumerate(numerators):
        q, r = divmod(a * n, denominator)
        parts.append(q)
        rems.append((-r, i))
    left = a - sum(parts)
    if left:
        rems.sort()
        for _, i in rems[:left]:
            parts[i] += 1
    if sign < 0:
        return [-p for p in parts]
    return parts


class Plan:
    """Each partner's exact fraction of a usage row's amount, over a common denominator.

    ``keys`` holds each credited partner's packed key (``partner index << KEY_SHIFT | kinds
    mask``) ordered by partner id, and ``parts`` its numerator; ``unattributed`` is the
    unattributed numerator; ``numerators`` lists ``parts`` then the unattributed numerator (when
    not zero), in the largest-remainder order. ``mode`` is 0 when one partner gets the whole
    amount (the common case: its key is ``fast_key``), 1 when every partner gets the whole amount
    (recognising policies), 2 otherwise. ``pids`` holds the partner indices of ``keys``;
    ``equal`` is ``n`` when ``n`` partners each get ``1/n`` and nothing is left unattributed
    (else 0). ``uncovered_days`` is the number of days nobody is
    credited, or ``-1`` for a plan covering a whole month inside one segment (then it is 0 or the
    month's days).
    """

    __slots__ = (
        "denominator",
        "equal",
        "fast_key",
        "keys",
        "mode",
        "numerators",
        "parts",
        "pids",
        "unattributed",
        "uncovered_days",
    )

    def __init__(
        self,
        keys: tuple[int, ...],
        parts: tuple[int, ...],
        denominator: int,
        unattributed: int,
        uncovered_days: int,
    ) -> None:
        self.keys = keys
        self.parts = parts
        self.denominator = denominator
        self.unattributed = unattributed
        self.uncovered_days = uncovered_days
        self.pids = tuple([k >> KEY_SHIFT for k in keys])
        if unattributed:
            self.numerators = [*parts, unattributed]
            self.fast_key = -1
            self.mode = 2
            self.equal = 0
            return
        self.numerators = list(parts)
        n = len(parts)
        same = n > 0 and parts.count(parts[0]) == n
        full = same and parts[0] == denominator
        self.fast_key = keys[0] if full and n == 1 else -1
        self.mode = 0 if self.fast_key >= 0 else 1 if full else 2
        # n when the n partners share the whole amount equally (a split's common case), else 0
        self.equal = n if same else 0

    def allocate(self, amount: int, *, split: bool) -> tuple[Sequence[int], int | None]:
        """Round one row's ``amount`` (minor units) over the plan's partners.

        Returns each partner's credit, in ``keys`` order, and the unattributed part (``None``
        when the plan leaves nothing unattributed). Split policies allocate by largest
        remainder; recognising policies round each credit half to even.
        """
        den = self.denominator
        if split:
            parts = largest_remainder(amount, self.numerators, den)
            return parts, (parts[-1] if self.unattributed else None)
        credits = [amount if n == den else round_half_even(amount * n, den) for n in self.parts]
        if self.unattributed:
            return credits, round_half_even(amount * self.unattributed, den)
        return credits, None

    def share(self, partner: int) -> Fraction:
        """Return a partner's exact share of the row's amount (0 if it is not in the plan)."""
        for key, n in zip(self.keys, self.parts, strict=True):
            if key >> KEY_SHIFT == partner:
                return Fraction(n, self.denominator)
        return Fraction(0)


def whole_plan(awards: RawAwards, pidx: Callable[[str], int], *, split: bool) -> Plan:
    """Return the plan of a month that lies entirely inside one segment."""
    if not awards:
        return Plan((), (), 1, 1, -1)
    den = 1
    for _, _, _, d in awards:
        den = lcm(den, d)
    keys = tuple(pidx(p) << KEY_SHIFT | mask for p, mask, _, _ in awards)
    parts = tuple(num * (den // d) for _, _, num, d in awards)
    left = den - sum(parts) if split else 0
    return Plan(keys, parts, den, left, -1)


def span_weights(
    spans: Sequence[tuple[int, RawAwards]],
) -> tuple[dict[str, list[int]], int, int]:
    """Each partner's weight (days x share, over a common ``scale``) in a month cut into spans.

    Returns:
        ``{partner id: [weight, kinds mask]}``, the number of days nobody is awarded, and the
        scale (the least common denominator of the shares).
    """
    scale = 1
    for _, awards in spans:
        for award in awards:
            d = award[3]
            if d != 1 and scale % d:
                scale = lcm(scale, d)
    acc: dict[str, list[int]] = {}
    uncovered = 0
    for days, awards in spans:
        if not awards:
            uncovered += days
            continue
        for p, mask, num, d in awards:
            weight = days * num * (scale // d)
            found = acc.get(p)
            if found is None:
                acc[p] = [weight, mask]
            else:
                found[0] += weight
                found[1] |= mask
    return acc, uncovered, scale


def partial_plan(
    spans: Sequence[tuple[int, RawAwards]],
    days_in_month: int,
    pidx: Callable[[str], int],
    *,
    split: bool,
) -> Plan:
    """Return the plan of a month cut into several spans of ``(days, awards)``."""
    acc, uncovered, scale = span_weights(spans)
    den = days_in_month * scale
    order = sorted(acc) if len(acc) > 1 else list(acc)
    keys = tuple([pidx(p) << KEY_SHIFT | acc[p][1] for p in order])
    parts = tuple([acc[p][0] for p in order])
    left = den - sum(parts) if split else uncovered * scale
    return Plan(keys, parts, den, left, uncovered)


def _exact(value: object) -> Fraction | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    return None


def decide(
    policy: Any, usage: Usage, active: tuple[Association, ...], start: dt.date, end: dt.date
) -> Decision:
    """Ask ``policy`` for one span and validate its answer.

    Raises:
        PolicyError: a share is not exact, negative, above 1, for a partner not in effect, or
            (split policies) the shares do not sum to 1.
    """
    name = str(getattr(policy, "name", type(policy).__name__))
    method = getattr(policy, "decide", None)
    if method is not None:
        decision = method(usage, active)
        raw: Mapping[Any, Any] = {a.partner_id: a.share for a in decision.awards}
    else:
        raw = policy.shares(usage, active)
        decision = None

    def fail(reason: str) -> PolicyError:
        return PolicyError(name, usage.describe(), start, end, reason)

    if not isinstance(raw, Mapping):
        raise fail(f"shares() returned {type(raw).__name__}, not a mapping")
    in_effect: dict[PartnerId, set[AssociationKind]] = {}
    for a in active:
        in_effect.setdefault(a.partner_id, set()).add(a.kind)
    split = bool(getattr(policy, "split", False))
    clean: dict[PartnerId, Fraction] = {}
    for partner, value in raw.items():
        share = _exact(value)
        if share is None:
            raise fail(f"share {value!r} of partner {partner!r} is not a Fraction or Decimal")
        if share < 0:
            raise fail(f"share {value} of partner {partner!r} is negative")
        if partner not in in_effect:
            raise fail(f"partner {partner!r} has no association in effect during the span")
        if share > 1:
            raise fail(f"share {value} of partner {partner!r} is above 1")
        if share:
            clean[partner] = share
    if split and clean and sum(clean.values()) != 1:
        total = sum(clean.values())
        raise fail(f"the policy is a split but its shares sum to {total}, not 1")
    if isinstance(decision, Decision):
        if all(type(a.share) is Fraction and a.share for a in decision.awards):
            return decision
        kept = tuple(
            Award(a.partner_id, clean[a.partner_id], a.kinds)
            for a in decision.awards
            if a.partner_id in clean
        )
        return Decision(kept, decision.rule)
    awards = tuple(Award(p, clean[p], frozenset(in_effect[p])) for p in sorted(clean))
    return Decision(awards, f"{name}: shares as returned by the policy")


def engine_awards(decision: Decision) -> RawAwards:
    """Convert a validated decision to the engine's form (masks and integers)."""
    return tuple(
        (a.partner_id, kinds_mask(a.kinds), a.share.numerator, a.share.denominator)
        for a in sorted(decision.awards, key=lambda a: a.partner_id)
    )


class Timeline:
    """A subscription's change points and the associations in effect between them.

    Segment ``k`` covers ``[change_points[k-1], change_points[k])``, open at both outer ends;
    ``points`` holds the same days as ordinals (``date.toordinal()``), for fast comparisons.
    """

    __slots__ = ("actives", "awards", "change_points", "partial", "plans", "points")

    def __init__(self, associations: Sequence[Association]) -> None:
        if len(associations) == 1:
            a = associations[0]
            if a.end is None:
                self.change_points = [a.start]
                self.points = [a.start.toordinal()]
                self.actives: list[tuple[Association, ...]] = [(), (a,)]
            else:
                self.change_points = [a.start, a.end]
                self.points = [a.start.toordinal(), a.end.toordinal()]
                self.actives = [(), (a,), ()]
        else:
            days = {a.start for a in associations}
            days.update([a.end for a in associations if a.end is not None])
            self.change_points = sorted(days)
            self.points = [d.toordinal() for d in self.change_points]
            self.actives = [()]
            self.actives += [
                tuple([a for a in associations if a.start <= d and (a.end is None or d < a.end)])
                for d in self.change_points
            ]
        n = len(self.change_points) + 1
        self.awards: list[RawAwards | None] = [None] * n
        self.plans: list[Plan | None] = [None] * n
        self.partial: dict[int, Plan] = {}

    def spans(self, month: dt.date, month_end: dt.date) -> list[tuple[dt.date, dt.date, int]]:
        """Return ``(start, end, segment)`` for each span of ``[month, month_end)``."""
        cps = self.change_points
        k = bisect_right(cps, month)
        out: list[tuple[dt.date, dt.date, int]] = []
        lo = month
        while k < len(cps) and cps[k] < month_end:
            out.append((lo, cps[k], k))
            lo = cps[k]
            k += 1
        out.append((lo, month_end, k))
        return out
