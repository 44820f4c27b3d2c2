"""The ``Competency`` value: one type for 2016 competencies and 2023 designations."""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from partner_of_record.errors import ValidationError
from partner_of_record.evaluation._provenance import SOURCE_PREFIXES, as_notes, source_url
from partner_of_record.evaluation.requirements import Requirement

__all__ = ["SOURCE_PREFIXES", "Competency"]


def _check_text(inst: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            type(inst).__name__, attribute.name, value, "is not a non-empty string"
        )


def _check_requirement(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Requirement):
        raise ValidationError(
            type(inst).__name__,
            attribute.name,
            value,
            "is not a requirement (needs a name and evaluate(ctx))",
        )


def _check_date(inst: object, attribute: attrs.Attribute[dt.date], value: object) -> None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(type(inst).__name__, attribute.name, value, "is not a datetime.date")


@attrs.frozen
class Competency:
    """A competency, designation or specialization: a requirement tree with its provenance.

    Attributes:
        name: a stable identifier (``"CLOUD_PLATFORM_GOLD"``).
        title: a readable title (``"Cloud Platform (Gold)"``).
        requirement: the requirement tree.
        source: where the rules were published, as a shorthand of the domain reference
            (``"PC23:solutions-partner-azure"``) or a URL.
        published: the day the rules were published (when only the month is known, its first
            day; the notes say so).
        notes: the choices made where the sources disagree or are silent.
        program: the program and year (``"Solutions Partner 2023"``).
    """

    name: str = attrs.field(validator=_check_text)
    title: str = attrs.field(validator=_check_text)
    requirement: Requirement = attrs.field(validator=_check_requirement)
    source: str = attrs.field(validator=_check_text)
    published: dt.date = attrs.field(validator=_check_date)
    notes: tuple[str, ...] = attrs.field(default=(), converter=as_notes)
    program: str = ""

    @property
    def source_url(self) -> str:
        """The source as a URL (``PC23:x`` becomes ``https://learn.microsoft.com/partner-center/x``)."""
        return source_url(self.source)

    def describe(self) -> str:
        """Return a paragraph: title, source, publication date and notes."""
        lines = [
            f"{self.title} ({self.name}), {self.program or 'program'}",
            f"source: {self.source_url}, published {self.published.isoformat()}",
        ]
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)
