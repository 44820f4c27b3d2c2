"""Evaluation results: plain, frozen values that say what was measured and why.

Every field is JSON-friendly (``str``, ``bool``, ``Decimal``, ``datetime.date``, tuples of those,
[`Finding`][partner_of_record.Finding]) so the io converter can serialise them; the only
exception is [`Evaluation.credits`][partner_of_record.evaluation.Evaluation], the
evidence, which is excluded from equality and needs its own io hook.

Points are rounded to 2 decimals, half to even, once per scored metric; totals add the rounded
points.

This module is the public home of the result values; it defines the comparisons
(``EvaluationDiff``) and the scans (``Qualification``, ``Projection``) and re-exports the rest
from private topic modules: the number formats in ``evaluation/_quantities.py``, the result tree
and the block kinds in ``evaluation/_result_tree.py``, ``Evaluation`` and ``Evaluations`` in
``evaluation/_evaluation.py``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import MappingProxyType

import attrs

from partner_of_record.evaluation._deprecated import resolve
from partner_of_record.evaluation._evaluation import PANDAS_EXTRA_HINT, Evaluation, Evaluations
from partner_of_record.evaluation._quantities import format_quantity, round_points, score_need
from partner_of_record.evaluation._result_tree import (
    BlockKind,
    RequirementResult,
    UnknownRequirementError,
)

__all__ = [
    "EVALUATION_CODES",
    "PANDAS_EXTRA_HINT",
    "BlockKind",
    "Evaluation",
    "EvaluationDiff",
    "Evaluations",
    "Projection",
    "Qualification",
    "RequirementChange",
    "RequirementResult",
    "UnknownRequirementError",
    "format_quantity",
    "round_points",
    "score_need",
]

EVALUATION_CODES: MappingProxyType[str, str] = MappingProxyType(
    {
        "NO_BASELINE": "a growth metric is undefined: the baseline month has no credited usage",
        "BELOW_MINIMUM_ACR": "a metric needs a minimum credited consumption that was not reached",
        "BELOW_MINIMUM_BASELINE": "a growth metric's baseline is below the program's minimum",
        "MISSING_SKILLS_INPUT": "a skilling metric has no count in the skills input; taken as 0",
        "SERVICE_UNKNOWN": "credited usage without a service name cannot count as a deployment",
        "NEGATIVE_NET_ADDS": "fewer eligible customers than a year earlier; scored as 0",
        "METRIC_AT_ZERO": "a scorecard metric scores 0, so the scorecard is not met",
        "NO_USAGE_IN_MONTH": "no usage at all in the measurement month (data not refreshed?)",
    }
)
"""Every finding code the evaluator emits, with a description (for the docs).

The ledger's codes are [`rules.FINDING_CODES`][partner_of_record.rules.FINDING_CODES]; the two
tables are disjoint (a test checks it). Formerly ``FINDING_CODES`` (the name of the ledger's
table), a name still importable with a ``DeprecationWarning``."""


@attrs.frozen
class RequirementChange:
    """How one requirement's result changed between two evaluations.

    Attributes:
        name: the requirement's name (a dotted path below the root).
        unit: the unit of the measured values.
        measured_before: the value measured before.
        measured_after: the value measured after.
        points_before: the points before (``None`` if unscored).
        points_after: the points after (``None`` if unscored).
        met_before: whether it was met before.
        met_after: whether it is met after.
    """

    name: str
    unit: str
    measured_before: Decimal | None
    measured_after: Decimal | None
    points_before: Decimal | None
    points_after: Decimal | None
    met_before: bool
    met_after: bool

    @property
    def changed(self) -> bool:
        """Whether anything differs."""
        return (
            self.measured_before != self.measured_after
            or self.points_before != self.points_after
            or self.met_before != self.met_after
        )

    def describe(self) -> str:
        """Return a line such as ``usage_growth: 5 % -> 12.5 %, points 5.00 -> 12.50``."""
        text = (
            f"{self.name}: {format_quantity(self.measured_before, self.unit)} -> "
            f"{format_quantity(self.measured_after, self.unit)}"
        )
        if self.points_before is not None or self.points_after is not None:
            text += f", points {self.points_before} -> {self.points_after}"
        if self.met_before != self.met_after:
            text += f", {'now met' if self.met_after else 'no longer met'}"
        return text


@attrs.frozen
class EvaluationDiff:
    """The difference a hypothetical change makes (see ``what_if``).

    Attributes:
        before: the evaluation of the ledger as it is.
        after: the evaluation with the hypothetical records added.
        changes: one entry per requirement of the tree (changed or not), depth first.
    """

    before: Evaluation
    after: Evaluation
    changes: tuple[RequirementChange, ...]

    @classmethod
    def between(cls, before: Evaluation, after: Evaluation) -> EvaluationDiff:
        """Compare two evaluations of the same competency, requirement by requirement.

        Args:
            before: the evaluation of the ledger as it is.
            after: the evaluation with the hypothetical change.

        Returns:
            The comparison.
        """
        after_by_path = dict(after.result.walk())
        changes = []
        for path, old in before.result.walk():
            new = after_by_path.get(path)
            if new is None:
                continue
            changes.append(
                RequirementChange(
                    name=path,
                    unit=old.unit,
                    measured_before=old.measured,
                    measured_after=new.measured,
                    points_before=old.points,
                    points_after=new.points,
                    met_before=old.met,
                    met_after=new.met,
                )
            )
        return cls(before=before, after=after, changes=tuple(changes))

    @property
    def changed(self) -> tuple[RequirementChange, ...]:
        """Only the requirements whose result changed."""
        return tuple(c for c in self.changes if c.changed)

    @property
    def score_delta(self) -> Decimal | None:
        """The change of the total score, or ``None`` for unscored competencies."""
        if self.before.score is None or self.after.score is None:
            return None
        return self.after.score - self.before.score

    def explain(self) -> str:
        """Return the changed requirements as readable lines."""
        head = (
            f"{self.before.competency} for {self.before.partner_id}: "
            f"{'met' if self.before.met else 'not met'} -> {'met' if self.after.met else 'not met'}"
        )
        if self.score_delta is not None:
            head += f", score {self.before.score} -> {self.after.score}"
        lines = [head] + [f"  {c.describe()}" for c in self.changed]
        if not self.changed:
            lines.append("  no requirement changes")
        return "\n".join(lines)


@attrs.frozen
class Qualification:
    """The first day a competency is met, found by scanning months (see ``earliest_qualification``).

    Attributes:
        competency: the competency's name.
        partner_id: the partner.
        as_of: the first ``as_of`` day (a first of month) at which it is met, or ``None``.
        evaluation: the evaluation at that day, or ``None`` when never met.
        scanned_from: the first ``as_of`` scanned.
        scanned_to: the last ``as_of`` scanned.
    """

    competency: str
    partner_id: str
    as_of: dt.date | None
    evaluation: Evaluation | None
    scanned_from: dt.date
    scanned_to: dt.date

    @property
    def met(self) -> bool:
        """Whether the competency is met at some scanned day."""
        return self.as_of is not None

    def describe(self) -> str:
        """Return a readable sentence."""
        if self.as_of is None:
            return (
                f"{self.partner_id} never meets {self.competency} in the data "
                f"(as of {self.scanned_from.isoformat()} .. {self.scanned_to.isoformat()})"
            )
        return f"{self.partner_id} first meets {self.competency} as of {self.as_of.isoformat()}"


@attrs.frozen
class Projection:
    """The first future month a competency would be met, if the data went on as assumed.

    A projection, not a forecast: it holds only under ``assumption`` (see
    ``project_qualification``).

    Attributes:
        competency: the competency's name.
        partner_id: the partner.
        from_as_of: the day the projection starts from (the ``as_of`` given).
        as_of: the first ``as_of`` day (a first of month) at which it would be met, or ``None``
            when it would not be met by ``scanned_to``.
        evaluation: the projected evaluation at that day (built on projected records), or
            ``None``.
        scanned_to: the last ``as_of`` scanned.
        assumption: what the projected records assume, in words.
        already_met: whether the competency is met on ``from_as_of`` on the data as it is.
    """

    competency: str
    partner_id: str
    from_as_of: dt.date
    as_of: dt.date | None
    evaluation: Evaluation | None
    scanned_to: dt.date
    assumption: str
    already_met: bool = False

    @property
    def met(self) -> bool:
        """Whether the competency would be met by ``scanned_to`` (or is met already)."""
        return self.already_met or self.as_of is not None

    def describe(self) -> str:
        """Return a readable sentence that states the projection and its assumption."""
        if self.already_met:
            return (
                f"{self.partner_id} already meets {self.competency} as of "
                f"{self.from_as_of.isoformat()}: nothing to project"
            )
        if self.as_of is None:
            return (
                f"Projection: {self.partner_id} would not meet {self.competency} by "
                f"{self.scanned_to.isoformat()}, assuming {self.assumption}"
            )
        return (
            f"Projection: {self.partner_id} would first meet {self.competency} as of "
            f"{self.as_of.isoformat()}, assuming {self.assumption}"
        )


def __getattr__(name: str) -> object:
    """Resolve the deprecated name of ``EVALUATION_CODES``, with a warning."""
    return resolve(__name__, name)
