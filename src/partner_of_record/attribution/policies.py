"""Credit policies: who is credited, and with which share, while a set of associations holds.

A policy is any object with a ``name`` and a method
``shares(usage, active) -> Mapping[partner_id, Fraction | Decimal]``. The engine cuts each usage
row's month into *spans* of days over which the set of associations in effect is constant and asks
the policy, once per span, for each partner's share of that span's amount. ``active`` holds the
associations in effect during the span (possibly none).

Optional attributes the engine reads when present:

* ``split`` (``bool``, default ``False``): the policy divides the amount; its shares must then
  sum to exactly 1 for every span where it credits anyone, and the engine conserves the cents
  exactly.
  Otherwise the policy *recognises*: each partner's share is at most 1 and credits may overlap.
* ``usage_independent`` (``bool``, default ``False``): the shares depend only on ``active``,
  never on the usage row, so the engine may ask once per subscription span plan rather than
  once per row.
* ``decide(usage, active) -> Decision``: like ``shares`` but also says which association kinds
  earned each share and which rule decided; the built-in policies implement it so that every
  credit can explain itself.
* ``decision_fields`` (a tuple of ``Association`` field names, e.g. ``("partner_id", "kind")``):
  for a usage-independent policy, the fields its answer depends on. The engine then asks once
  per distinct set of associations in effect, compared on those fields only (two subscriptions
  each with one DPOR of partner P1 get one question), instead of once per segment. It is
  honoured only when declared by the class that defines ``decide``/``shares`` or a subclass of
  it, so a subclass that overrides ``decide`` is asked per segment unless it declares its own.
  It must include ``partner_id`` (the answer names partners), else it is ignored.
* ``decision_ranks`` (a tuple of some of the ``decision_fields``, e.g. ``("partner_id",)``):
  the fields whose values the policy only compares with each other (equal, before, after),
  never looks at otherwise. Sets of associations of the same *shape* (equal on the other
  fields, and with these fields in the same order) then share one question: the engine asks
  with the first such set it meets and carries the answer to the others by rank (the partner
  ranked second in that set is credited as the partner ranked second in each other set).
  ``RecognizeAll`` credits whoever holds a kind, whatever the partner's id, so two
  subscriptions each with one DPOR get one question even when their partners differ. It is
  trusted under the same rule as ``decision_fields``.

The built-ins are immutable ``attrs`` classes with a valid-Python ``repr``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar, Protocol, runtime_checkable

import attrs

from partner_of_record.model import Association, AssociationKind, PartnerId, Usage

__all__ = [
    "Award",
    "Decision",
    "DporOnly",
    "EqualSplit",
    "Policy",
    "Priority",
    "RecognizeAll",
    "Share",
    "WeightedSplit",
]

Share = Fraction | Decimal
"""A partner's share of a span's amount: exact, between 0 and 1."""


@runtime_checkable
class Policy(Protocol):
    """What the engine needs from a credit policy.

    Attributes:
        name: a short identifier shown in explanations and errors, e.g. ``"recognize_all"``.
    """

    @property
    def name(self) -> str:
        """A short identifier shown in explanations and errors."""

    def shares(self, usage: Usage, active: Sequence[Association]) -> Mapping[PartnerId, Share]:
        """Return each partner's share of the span's amount.

        Args:
            usage: the usage row being attributed.
            active: the associations in effect during the span, ordered by
                ``(start, kind.value, partner_id)``.

        Returns:
            A mapping from partner id to a share in ``[0, 1]``; partners left out get nothing.
        """


@attrs.frozen
class Award:
    """One partner's share of a span, and the association kinds that earned it.

    Attributes:
        partner_id: the credited partner.
        share: its exact share of the span's amount.
        kinds: the kinds of its associations that earned the share.
    """

    partner_id: PartnerId
    share: Fraction
    kinds: frozenset[AssociationKind]


@attrs.frozen
class Decision:
    """A policy's answer for one span, with the rule that decided it.

    Attributes:
        awards: one entry per credited partner, ordered by partner id.
        rule: a readable sentence, e.g. ``"Priority: PAL outranks DPOR"``.
    """

    awards: tuple[Award, ...]
    rule: str

    def shares(self) -> dict[PartnerId, Fraction]:
        """Return the awards as a mapping from partner id to share.

        Returns:
            ``{partner_id: share}`` for every award.
        """
        return {a.partner_id: a.share for a in self.awards}


_DPOR = frozenset([AssociationKind.DPOR])


class _SharesFromDecide:
    """``shares`` for the built-in policies, which decide with ``decide``."""

    __slots__ = ()

    def decide(self, usage: Usage, active: Sequence[Association]) -> Decision:
        """Return the span's awards and the rule (each built-in policy defines it)."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def shares(self, usage: Usage, active: Sequence[Association]) -> dict[PartnerId, Fraction]:
        """Return each credited partner's share of the span (``decide(...).shares()``).

        Args:
            usage: the usage row (the built-in policies do not look at it).
            active: the associations in effect during the span.

        Returns:
            A mapping from partner id to share; partners left out get nothing.
        """
        return self.decide(usage, active).shares()


def _awards_of(
    held: Mapping[PartnerId, Iterable[AssociationKind]],
    share: Callable[[PartnerId], Fraction],
) -> tuple[Award, ...]:
    """One award per partner of ``held``, by partner id, with the kinds it holds."""
    return tuple(Award(p, share(p), frozenset(held[p])) for p in sorted(held))


def _whole(_partner: PartnerId) -> Fraction:
    return Fraction(1)


def _kinds_by_partner(
    active: Iterable[Association], kinds: frozenset[AssociationKind] | None
) -> dict[PartnerId, set[AssociationKind]]:
    held: dict[PartnerId, set[AssociationKind]] = {}
    for a in active:
        if kinds is None or a.kind in kinds:
            held.setdefault(a.partner_id, set()).add(a.kind)
    return held


def _kind_names(kinds: Iterable[AssociationKind]) -> str:
    return ", ".join(sorted(k.name for k in kinds))


def _to_kinds(
    value: AssociationKind | Iterable[AssociationKind] | None,
) -> frozenset[AssociationKind] | None:
    if value is None:
        return None
    if isinstance(value, AssociationKind):
        return frozenset([value])
    kinds = frozenset(value)
    bad = [k for k in kinds if not isinstance(k, AssociationKind)]
    if bad:
        msg = f"kinds: {bad[0]!r} is not an AssociationKind"
        raise TypeError(msg)
    return kinds


def _kinds_suffix(kinds: frozenset[AssociationKind] | None) -> str:
    return "" if kinds is None else f" (counting only {_kind_names(kinds)})"


class _ByKindsHeld(_SharesFromDecide):
    """The built-in policies that decide from the kinds each partner holds (all but ``Priority``).

    ``decide`` gathers, per partner, the counted kinds (``_counted``) of the associations in
    effect; each policy's ``_decision`` makes the awards and the rule from them. The engine trusts
    the ``decision_fields`` and ``decision_ranks`` declared here because this class defines
    ``decide`` (see the module documentation).
    """

    __slots__ = ()
    usage_independent: ClassVar[bool] = True
    decision_fields: ClassVar[tuple[str, ...]] = ("partner_id", "kind")
    decision_ranks: ClassVar[tuple[str, ...]] = ("partner_id",)

    def decide(self, usage: Usage, active: Sequence[Association]) -> Decision:
        """Return the span's awards and the rule, as the policy's class documentation says.

        Args:
            usage: the usage row (not looked at).
            active: the associations in effect during the span.

        Returns:
            The decision; no awards when no partner holds a counted kind.
        """
        return self._decision(_kinds_by_partner(active, self._counted()))

    def _counted(self) -> frozenset[AssociationKind] | None:
        """The kinds that count, or ``None`` for all kinds."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    def _decision(self, held: Mapping[PartnerId, Iterable[AssociationKind]]) -> Decision:
        """The awards and the rule, given the counted kinds each partner holds."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it


@attrs.frozen
class _KindsField(_ByKindsHeld):
    """A policy of ``_ByKindsHeld`` whose counted kinds are its ``kinds`` field."""

    kinds: frozenset[AssociationKind] | None = attrs.field(default=None, converter=_to_kinds)

    def _counted(self) -> frozenset[AssociationKind] | None:
        return self.kinds


@attrs.frozen
class RecognizeAll(_KindsField):
    """Every partner with an association in effect is credited the full amount, once.

    This is the default and Microsoft's modern rule ("everyone benefits"): a partner holding
    several kinds at once (say PAL and DPOR) is still credited once, and several partners may each
    be credited the whole amount of the same days, so credits over partners may add up to more
    than the consumption.

    Attributes:
        kinds: the association kinds that count, or ``None`` for all kinds.
    """

    name: ClassVar[str] = "recognize_all"
    split: ClassVar[bool] = False

    def _decision(self, held: Mapping[PartnerId, Iterable[AssociationKind]]) -> Decision:
        rule = "RecognizeAll: every partner in effect is credited in full"
        return Decision(_awards_of(held, _whole), rule + _kinds_suffix(self.kinds))


@attrs.frozen
class DporOnly(_ByKindsHeld):
    """Only the Digital Partner of Record is credited: the rule before 2017.

    The DPOR in effect is credited the full amount; a subscription has at most one DPOR at a time
    (the ledger checks it), so this policy never credits two partners for the same day of a valid
    ledger.
    """

    name: ClassVar[str] = "dpor_only"
    split: ClassVar[bool] = False

    def _counted(self) -> frozenset[AssociationKind]:
        return _DPOR

    def _decision(self, held: Mapping[PartnerId, Iterable[AssociationKind]]) -> Decision:
        rule = "DporOnly: only the Digital Partner of Record is credited"
        return Decision(_awards_of(held, _whole), rule)


_ROLE_RANK = {"owner": 0, "contributor": 1}


def _to_order(value: Iterable[AssociationKind]) -> tuple[AssociationKind, ...]:
    order = tuple(value)
    if not order:
        msg = "order: at least one AssociationKind is required"
        raise ValueError(msg)
    for k in order:
        if not isinstance(k, AssociationKind):
            msg = f"order: {k!r} is not an AssociationKind"
            raise TypeError(msg)
    if len(set(order)) != len(order):
        msg = f"order: {order!r} names a kind twice"
        raise ValueError(msg)
    return order


@attrs.frozen
class Priority(_SharesFromDecide):
    """One partner per span: the holder of the highest-ranked association kind.

    Kinds not listed in ``order`` do not count. Ties inside one kind (two partners holding a PAL)
    are broken deterministically, following the Azure usage report ("Owner outranks
    Contributor"): the association whose ``role`` is ``Owner`` wins, then ``Contributor``, then
    any other or unknown role; then the association that started earliest; then the lowest
    partner id.

    Attributes:
        order: the association kinds, highest priority first.
        AZURE_USAGE_REPORT: the Partner Center Azure usage report's de-duplication order
            (PAL, transacting partner, DPOR, CSP Tier 1, CSP Tier 2).
    """

    order: tuple[AssociationKind, ...] = attrs.field(converter=_to_order)
    split: ClassVar[bool] = False
    usage_independent: ClassVar[bool] = True
    decision_fields: ClassVar[tuple[str, ...]] = ("partner_id", "kind", "role", "start")
    decision_ranks: ClassVar[tuple[str, ...]] = ("partner_id", "start")
    AZURE_USAGE_REPORT: ClassVar[tuple[AssociationKind, ...]] = (
        AssociationKind.PAL,
        AssociationKind.TRANSACTING,
        AssociationKind.DPOR,
        AssociationKind.CSP_TIER1,
        AssociationKind.CSP_TIER2,
    )

    @property
    def name(self) -> str:
        """``"priority_azure_usage_report"`` for that order, else ``"priority(pal>dpor...)"``."""
        if self.order == self.AZURE_USAGE_REPORT:
            return "priority_azure_usage_report"
        return "priority(" + ">".join(k.value for k in self.order) + ")"

    def decide(self, usage: Usage, active: Sequence[Association]) -> Decision:
        """Return a share of 1 for the winning partner; see the class docstring.

        Args:
            usage: the usage row (not looked at).
            active: the associations in effect during the span.

        Returns:
            The decision; empty when no listed kind is in effect.
        """
        rank = self._rank()
        counted = [a for a in active if a.kind in rank]
        if not counted:
            return Decision((), "Priority: no listed association kind is in effect")
        best = self._winner(counted)
        others = sorted({a.kind for a in counted if a.kind is not best.kind}, key=rank.__getitem__)
        rivals = sorted({a.partner_id for a in counted if a.kind is best.kind} - {best.partner_id})
        rule = f"Priority: {best.kind.name}"
        if others:
            rule += " outranks " + ", ".join(k.name for k in others)
        else:
            rule += " is the highest kind in effect"
        if rivals:
            rule += (
                f"; within {best.kind.name}, {best.partner_id} beats {', '.join(rivals)} "
                "(Owner before Contributor, then earliest start, then lowest partner id)"
            )
        return Decision((Award(best.partner_id, Fraction(1), frozenset([best.kind])),), rule)

    def _rank(self) -> dict[AssociationKind, int]:
        return {k: i for i, k in enumerate(self.order)}

    def _winner(self, counted: Sequence[Association]) -> Association:
        rank = self._rank()

        def key(a: Association) -> tuple[int, int, Any, str]:
            role = _ROLE_RANK.get((a.role or "").strip().lower(), 2)
            return (rank[a.kind], role, a.start, a.partner_id)

        return min(counted, key=key)


@attrs.frozen
class EqualSplit(_KindsField):
    """The amount is divided equally among the partners in effect (a split policy).

    A partner holding several kinds counts once. The engine conserves the cents exactly: see
    [`attribute`][partner_of_record.attribute] for the largest-remainder rounding.

    Attributes:
        kinds: the association kinds that count, or ``None`` for all kinds.
    """

    name: ClassVar[str] = "equal_split"
    split: ClassVar[bool] = True

    def _decision(self, held: Mapping[PartnerId, Iterable[AssociationKind]]) -> Decision:
        if not held:
            return Decision((), "EqualSplit: no partner in effect")
        share = Fraction(1, len(held))
        rule = f"EqualSplit: {len(held)} partner(s) in effect share equally"
        return Decision(_awards_of(held, lambda _: share), rule + _kinds_suffix(self.kinds))


def _to_weights(
    value: Mapping[AssociationKind, Fraction | Decimal | int],
) -> tuple[tuple[AssociationKind, Fraction], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    out: dict[AssociationKind, Fraction] = {}
    for kind, weight in items:
        if not isinstance(kind, AssociationKind):
            msg = f"weights_by_kind: {kind!r} is not an AssociationKind"
            raise TypeError(msg)
        if isinstance(weight, bool) or not isinstance(weight, Fraction | Decimal | int):
            msg = (
                f"weights_by_kind[{kind.name}]: {weight!r} is not exact "
                "(use an int, a Fraction or a Decimal)"
            )
            raise TypeError(msg)
        w = Fraction(weight)
        if w < 0:
            msg = f"weights_by_kind[{kind.name}]: {weight!r} is negative"
            raise ValueError(msg)
        out[kind] = w
    if not any(out.values()):
        msg = "weights_by_kind: at least one kind needs a positive weight"
        raise ValueError(msg)
    return tuple(sorted(out.items(), key=lambda kv: kv[0].value))


@attrs.frozen
class WeightedSplit(_ByKindsHeld):
    """The amount is divided among the partners in effect in proportion to their kinds' weights.

    A partner's weight is the largest weight among the kinds it holds during the span (holding
    PAL and DPOR does not count twice); kinds with no weight, or a weight of 0, do not count. Each
    partner's share is its weight over the sum of the weights (a split policy: the cents are
    conserved exactly).

    Attributes:
        weights_by_kind: the weight of each association kind, as sorted ``(kind, weight)`` pairs
            (any mapping is accepted and converted).
    """

    weights_by_kind: tuple[tuple[AssociationKind, Fraction], ...] = attrs.field(
        converter=_to_weights
    )
    name: ClassVar[str] = "weighted_split"
    split: ClassVar[bool] = True

    def _counted(self) -> frozenset[AssociationKind]:
        return frozenset(k for k, w in self.weights_by_kind if w > 0)

    def _decision(self, held: Mapping[PartnerId, Iterable[AssociationKind]]) -> Decision:
        if not held:
            return Decision((), "WeightedSplit: no weighted association kind in effect")
        weights = dict(self.weights_by_kind)
        w = {p: max(weights[k] for k in kinds) for p, kinds in held.items()}
        total = sum(w.values())
        awards = _awards_of(held, lambda p: w[p] / total)
        rule = "WeightedSplit: shares in proportion to " + ", ".join(
            f"{k.name}={weights[k]}" for k in sorted(self._counted(), key=lambda k: k.value)
        )
        return Decision(awards, rule)
