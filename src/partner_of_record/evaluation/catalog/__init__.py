"""The Microsoft catalog: one module per program year, each entry dated and sourced.

``ALL`` maps every entry's name to the entry; ``get(name)`` looks one up with a "did you mean"
error. ``partner_of_record.catalog`` re-exports all of it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import MappingProxyType

from partner_of_record.errors import PartnerOfRecordError
from partner_of_record.evaluation.catalog.competencies_2016 import (
    CLOUD_PLATFORM_GOLD,
    CLOUD_PLATFORM_SILVER,
    CLOUD_PRODUCTIVITY_GOLD,
    CLOUD_PRODUCTIVITY_SILVER,
    SMALL_MIDMARKET_CLOUD_GOLD,
    SMALL_MIDMARKET_CLOUD_SILVER,
    cloud_platform,
    cloud_productivity,
    small_midmarket_cloud,
)
from partner_of_record.evaluation.catalog.eras import ERAS
from partner_of_record.evaluation.catalog.solutions_partner_2023 import (
    SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS,
    SOLUTIONS_PARTNER_DATA_AI_AZURE,
    SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE,
    SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
    SOLUTIONS_PARTNER_MODERN_WORK,
    SOLUTIONS_PARTNER_SECURITY,
    azure_designation,
    business_applications,
    modern_work,
    security,
)
from partner_of_record.evaluation.competency import Competency

__all__ = [
    "ALL",
    "CLOUD_PLATFORM_GOLD",
    "CLOUD_PLATFORM_SILVER",
    "CLOUD_PRODUCTIVITY_GOLD",
    "CLOUD_PRODUCTIVITY_SILVER",
    "ERAS",
    "SMALL_MIDMARKET_CLOUD_GOLD",
    "SMALL_MIDMARKET_CLOUD_SILVER",
    "SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS",
    "SOLUTIONS_PARTNER_DATA_AI_AZURE",
    "SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE",
    "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
    "SOLUTIONS_PARTNER_MODERN_WORK",
    "SOLUTIONS_PARTNER_SECURITY",
    "UnknownCompetencyError",
    "azure_designation",
    "business_applications",
    "cloud_platform",
    "cloud_productivity",
    "get",
    "modern_work",
    "security",
    "small_midmarket_cloud",
]

ALL: Mapping[str, Competency] = MappingProxyType(
    {
        entry.name: entry
        for entry in (
            CLOUD_PLATFORM_SILVER,
            CLOUD_PLATFORM_GOLD,
            SMALL_MIDMARKET_CLOUD_SILVER,
            SMALL_MIDMARKET_CLOUD_GOLD,
            CLOUD_PRODUCTIVITY_SILVER,
            CLOUD_PRODUCTIVITY_GOLD,
            SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
            SOLUTIONS_PARTNER_DATA_AI_AZURE,
            SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE,
            SOLUTIONS_PARTNER_MODERN_WORK,
            SOLUTIONS_PARTNER_SECURITY,
            SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS,
        )
    }
)
"""Every catalog entry by name, read-only."""


class UnknownCompetencyError(PartnerOfRecordError, KeyError):
    """No catalog entry of that name (the message suggests the closest names).

    Attributes:
        name: the name asked for.
        suggestions: close names, best first.
    """

    def __init__(self, name: str, suggestions: tuple[str, ...]) -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {suggestions[0]!r}?" if suggestions else ""
        super().__init__(f"no catalog entry named {name!r}{hint} (see catalog.ALL)")

    def __str__(self) -> str:
        return str(self.args[0])


def get(name: str) -> Competency:
    """Return the catalog entry called ``name`` (case-insensitive; ``-`` and spaces as ``_``).

    Args:
        name: the entry's name, e.g. ``"CLOUD_PLATFORM_GOLD"`` or ``"cloud platform gold"``.

    Returns:
        The entry.

    Raises:
        UnknownCompetencyError: no such entry; the error suggests close names.
    """
    key = name.strip().upper().replace("-", "_").replace(" ", "_")
    found = ALL.get(key)
    if found is None:
        close = tuple(difflib.get_close_matches(key, list(ALL), n=3, cutoff=0.5))
        raise UnknownCompetencyError(name, close)
    return found
