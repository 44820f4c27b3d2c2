"""One requirement's result and the block kinds of the algebra (internal).

``RequirementResult`` is the tree every block of ``evaluation.requirements`` returns: what was
measured, what was needed, met or not, and why; ``BlockKind`` names the building blocks once.
Re-exported by ``partner_of_record.evaluation.results``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

import attrs

from partner_of_record.errors import Finding, PartnerOfRecordError
from partner_of_record.evaluation._quantities import format_quantity, score_need, trim_number

__all__ = [
    "COMPOSITES",
    "LISTS",
    "SCORED",
    "WITH_MINIMUM",
    "BlockKind",
    "RequirementResult",
    "UnknownRequirementError",
    "leaves_of_interest",
]


BlockKind = Literal[
    "at_least", "scored", "scorecard", "all_of", "any_of", "best_of", "gate", "points_sum"
]
"""The building blocks of the requirement algebra, as a
[`RequirementResult.kind`][partner_of_record.evaluation.RequirementResult] names them (the
values are written to output files, so they never change)."""

SCORED: frozenset[BlockKind] = frozenset({"scored", "points_sum"})
"""Blocks whose result is a scored metric (points pro rata up to a cap)."""
WITH_MINIMUM: frozenset[BlockKind] = frozenset({"scorecard", "gate", "best_of"})
"""Point blocks whose summary names the points they need."""
COMPOSITES: frozenset[BlockKind] = frozenset({"scorecard", "all_of", "any_of", "best_of", "gate"})
"""Blocks made of parts."""
LISTS: frozenset[BlockKind] = frozenset({"scorecard", "all_of", "any_of"})
"""Composites whose parts all count (not a choice of one)."""


class UnknownRequirementError(PartnerOfRecordError, KeyError):
    """No requirement of that name in an evaluation (the message suggests close names).

    Attributes:
        name: the name asked for.
        known: the names there are.
    """

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
        super().__init__(f"no requirement named {name!r}{hint}")

    def __str__(self) -> str:
        return str(self.args[0])


@attrs.frozen
class RequirementResult:
    """What one requirement measured, what it needed, and whether it is met.

    Attributes:
        name: the requirement's name (``"usage_growth"``).
        kind: the building block that produced it, a ``BlockKind`` (``"scored"``,
            ``"at_least"``, ``"scorecard"``, ``"all_of"``, ``"any_of"``, ``"best_of"``,
            ``"gate"``, ``"points_sum"``).
        measured: the measured value in ``unit`` (for composites: their points, or the number of
            parts met).
        unit: the unit of ``measured``, ``threshold`` and ``shortfall``: ``"USD"``,
            ``"percent"``, ``"customers"``, ``"people"``, ``"services"``, ``"seats"``,
            ``"users"``, ``"tenants"``, ``"MCV"``, ``"points"`` or ``"requirements"``.
        threshold: the value needed (for scored metrics: the value that earns the full points;
            scoring at all needs only a value above 0).
        met: whether the requirement is met (a scored metric is met when it scores above 0).
        shortfall: what is still missing to meet the requirement, in ``unit``; always 0 when
            ``met`` (a met requirement has no shortfall). For a scored metric that scores 0,
            the distance to ``threshold`` (its full points).
        points: the points scored (rounded to 2 decimals), ``None`` for unscored requirements.
        max_points: the cap, ``None`` for unscored requirements.
        reason: one readable sentence saying why.
        detail: how the value was obtained (``"ACR 2024-06 US$11,250.00 vs 2023-06 ..."``).
        customers: the customer ids that counted (evidence), sorted.
        findings: the domain problems met while measuring.
        children: the results of the parts of a composite requirement.
        chosen: for a best-of or gate, the name of the part that counts ("" otherwise).
        to_full_points: for a scored metric, what is still missing to earn its full points,
            in ``unit`` (0 at full points); ``None`` for unscored requirements and composites.
            Distinct from ``shortfall``: a metric can be met (it scores) and still be short
            of its full points.
    """

    name: str
    kind: BlockKind
    measured: Decimal | None
    unit: str
    threshold: Decimal | None
    met: bool
    shortfall: Decimal
    points: Decimal | None = None
    max_points: Decimal | None = None
    reason: str = ""
    detail: str = ""
    customers: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    children: tuple[RequirementResult, ...] = ()
    chosen: str = ""
    to_full_points: Decimal | None = None

    @property
    def scored(self) -> bool:
        """Whether the requirement awards points."""
        return self.points is not None

    def walk(self) -> Iterator[tuple[str, RequirementResult]]:
        """Yield ``(path, result)`` for this result and every descendant, depth first.

        The path joins names with dots: ``"enterprise.usage_growth.dpor"``.

        Yields:
            ``(path, result)`` pairs, this result first.
        """
        yield self.name, self
        for child in self.children:
            for path, result in child.walk():
                yield f"{self.name}.{path}", result

    def all_findings(self) -> tuple[Finding, ...]:
        """The findings of this result and of every descendant, without repeats."""
        seen: dict[Finding, None] = {}
        for _, result in self.walk():
            for finding in result.findings:
                seen.setdefault(finding, None)
        return tuple(seen)

    def summary(self) -> str:
        """Return one readable line, e.g. ``usage_growth: 12.5 % (...) -> 12.50 of 20 points``.

        A scored metric names its two distances apart: what it needs to score at all (a
        value above 0) and what it still misses to earn its full points, e.g.
        ``...; to score: above 0 %, met; to full points: 7.5 % more``.
        """
        measured = format_quantity(self.measured, self.unit)
        detail = f" ({self.detail})" if self.detail and self.kind != "best_of" else ""
        verdict = "met" if self.met else "NOT met"
        if self.unit == "points" and self.points is not None:
            cap = trim_number(self.max_points) if self.max_points is not None else "?"
            head = f"{self.name}: {self.points} of {cap} points"
            if self.kind in WITH_MINIMUM:
                head += f", needs {format_quantity(self.threshold, 'points')} -> {verdict}"
            if self.shortfall > 0:
                head += f"; shortfall {self.shortfall}"
            return head + self._to_full_points_text()
        if self.unit == "requirements":
            return (
                f"{self.name}: {trim_number(self.measured or Decimal(0))} of "
                f"{trim_number(Decimal(len(self.children)))} parts met -> {verdict}"
            )
        if self.points is not None:
            cap = trim_number(self.max_points) if self.max_points is not None else "?"
            head = f"{self.name}: {measured}{detail} -> {self.points} of {cap} points"
            if self.kind in SCORED or self.to_full_points is not None:
                need = score_need(self.unit)
                return head + f"; to score: {need}, {verdict}" + self._to_full_points_text()
        else:
            need = format_quantity(self.threshold, self.unit)
            head = f"{self.name}: {measured}{detail}; needs {need} -> {verdict}"
        if self.shortfall > 0:
            head += f"; shortfall {format_quantity(self.shortfall, self.unit)}"
        return head

    def _to_full_points_text(self) -> str:
        """``"; to full points: 7.5 % more"`` or ``"; full points reached"`` (scored metrics)."""
        if self.to_full_points is None:
            return ""
        if self.to_full_points <= 0:
            return "; full points reached"
        return f"; to full points: {format_quantity(self.to_full_points, self.unit)} more"

    def chosen_child(self) -> RequirementResult:
        """Return the part that counts: for a best-of or gate, the child named by ``chosen``.

        Returns:
            That child, or the first child when none is named.

        Raises:
            IndexError: the result has no children.
        """
        for child in self.children:
            if child.name == self.chosen:
                return child
        return self.children[0]

    def explain(self, indent: int = 0) -> str:
        """Return this result and its parts as indented readable lines.

        Args:
            indent: the indentation level.

        Returns:
            The text.
        """
        pad = "  " * indent
        lines = [pad + self.summary()]
        if self.reason:
            lines.append(f"{pad}  - {self.reason}")
        lines.extend(f"{pad}  ! {finding}" for finding in self.findings)
        lines.extend(child.explain(indent + 1) for child in self.children)
        return "\n".join(lines)


def leaves_of_interest(root: RequirementResult) -> tuple[RequirementResult, ...]:
    """The results users ask about: the metrics of the track that counts."""
    node = root
    while True:
        if node.kind == "best_of" and node.children:
            chosen = node.chosen_child()
            if chosen.kind in COMPOSITES:
                node = chosen
                continue
            return (node,)
        if node.kind == "gate" and node.children:
            node = node.chosen_child()
            continue
        if node.kind in LISTS:
            return node.children
        return (node,)
