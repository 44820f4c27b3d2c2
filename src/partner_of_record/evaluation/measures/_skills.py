"""Skills: the number of qualifying people, read from the ``skills`` input."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

import attrs

from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.measures._base import FixedUnit, Measurement, finding
from partner_of_record.model import AssociationKind

__all__ = [
    "SkillCount",
]


@attrs.frozen
class SkillCount(FixedUnit):
    """The number of qualifying people for a skilling metric, from the ``skills`` input.

    Attributes:
        metric: the key in the skills mapping (``"intermediate_certifications"``).
    """

    metric: str

    UNIT: ClassVar[str] = "people"

    @property
    def kinds(self) -> frozenset[AssociationKind]:
        """Skills count no association (empty)."""
        return frozenset()

    def measure(self, ctx: MeasurementContext) -> Measurement:
        """Read the count; a missing count is 0 with a ``MISSING_SKILLS_INPUT`` finding.

        See ``Measure.measure``.
        """
        count = ctx.skills.get(self.metric)
        if count is None:
            return Measurement(
                Decimal(0),
                "people",
                f"no {self.metric!r} count given",
                findings=(
                    finding(
                        "MISSING_SKILLS_INPUT",
                        f"partner {ctx.partner_id}: no count for {self.metric!r} in skills; "
                        "taken as 0",
                        ctx,
                    ),
                ),
            )
        return Measurement(
            count, "people", f"{self.metric} from the skills input (prerequisites met)"
        )
