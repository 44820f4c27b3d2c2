"""The Microsoft competency and designation catalog, each entry dated and sourced.

Entries are [`Competency`][partner_of_record.evaluation.Competency] values: pass one
to [`evaluate_competency`][partner_of_record.evaluate_competency]. ``ALL`` maps names to
entries; ``get(name)`` looks one up ("did you mean ...?" on a typo). The factories
(``cloud_platform``, ``azure_designation``, ``modern_work`` ...) build variants where the
sources disagree or are silent; each entry's ``notes`` say which choice the default makes.

Program years: ``partner_of_record.evaluation.catalog.competencies_2016`` (MPN competencies,
retired 2022-09-30) and ``partner_of_record.evaluation.catalog.solutions_partner_2023``.
``ERAS`` pairs each program era with its association rule set
([`MICROSOFT_2017`][partner_of_record.rules.MICROSOFT_2017],
[`MICROSOFT_2023`][partner_of_record.rules.MICROSOFT_2023]) and lists the documented gaps
between the workloads the rules allow DPOR on and those the era's entries score through DPOR.

This module is the documented import path and a thin re-export: nothing is defined here. The one
home of every entry is ``partner_of_record.evaluation.catalog`` (one module per program year,
plus ``eras``); add or change an entry there. ``tests/test_public_api.py`` checks that each name
here is the very object of that package.
"""

from __future__ import annotations

from partner_of_record.evaluation.catalog import (
    ALL,
    CLOUD_PLATFORM_GOLD,
    CLOUD_PLATFORM_SILVER,
    CLOUD_PRODUCTIVITY_GOLD,
    CLOUD_PRODUCTIVITY_SILVER,
    ERAS,
    SMALL_MIDMARKET_CLOUD_GOLD,
    SMALL_MIDMARKET_CLOUD_SILVER,
    SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS,
    SOLUTIONS_PARTNER_DATA_AI_AZURE,
    SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE,
    SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE,
    SOLUTIONS_PARTNER_MODERN_WORK,
    SOLUTIONS_PARTNER_SECURITY,
    UnknownCompetencyError,
    azure_designation,
    business_applications,
    cloud_platform,
    cloud_productivity,
    get,
    modern_work,
    security,
    small_midmarket_cloud,
)
from partner_of_record.evaluation.catalog.eras import Era
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
    "Competency",
    "Era",
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
