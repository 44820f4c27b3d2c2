"""Program rules: versioned, dated values that a [`Ledger`][partner_of_record.Ledger] checks.

A vendor's program rules change from year to year, so they are data, not constants buried in
the code. A [`RuleSet`][partner_of_record.rules.RuleSet] is a frozen value naming the program,
the day its source was published and where; it holds [`Rule`][partner_of_record.rules.Rule]s,
each identified by a stable ``code``. Users derive their own sets with
[`RuleSet.extend`][partner_of_record.rules.RuleSet.extend],
[`RuleSet.replace`][partner_of_record.rules.RuleSet.replace] and
[`RuleSet.remove`][partner_of_record.rules.RuleSet.remove], composing the built-in rule classes
(`KindOnlyOnWorkloads`, `KindNotOnWorkloads`, `ExclusiveKind`, `MaxDuration`, `RequiresEnd`,
`GrantedBy`, `OneDayGap`) or any object that follows the `Rule` protocol.

Three rule sets ship, each dated and sourced, and each consistent with the catalog of its era
(every workload it allows DPOR on is one the era's catalog entries can score through DPOR, and
the reverse; ``partner_of_record.evaluation.catalog.eras`` lists the documented gaps and a test
checks them):

* [`MICROSOFT_2017`][partner_of_record.rules.MICROSOFT_2017], the MPN competency era: the 2017
  MPN 101 announcement (DPOR on Office 365, CRM Online, Dynamics 365, AX7, Intune, EMS and
  Azure, plus Microsoft 365; DAP not on Azure), completed with the later GDAP and CPOR rules.
* [`MICROSOFT_2023`][partner_of_record.rules.MICROSOFT_2023], the Solutions Partner era:
  Partner Center as published in October 2023, whose DPOR FAQ lists Azure, Microsoft 365,
  Dynamics 365, Business Central, Intune and EMS.
* [`MICROSOFT_ALL_ERAS`][partner_of_record.rules.MICROSOFT_ALL_ERAS], both at once: the
  default ([`DEFAULT_RULES`][partner_of_record.rules.DEFAULT_RULES]), because it accepts every
  historically valid association.

Besides the program rules, the ledger always runs *structural* checks (unknown references,
duplicate ids, duplicate usage keys ...). Their codes, and the default codes of the built-in
rules, are listed in [`FINDING_CODES`][partner_of_record.rules.FINDING_CODES].

Time is half-open, as in the model: an association is in effect on ``start <= day < end``.
"""

from __future__ import annotations

from partner_of_record.rules._builtin import (
    ExclusiveKind,
    GrantedBy,
    KindNotOnWorkloads,
    KindOnlyOnWorkloads,
    MaxDuration,
    OneDayGap,
    RequiresEnd,
    Scope,
)
from partner_of_record.rules._facts import STRUCTURAL_CODES, Facts, Rule
from partner_of_record.rules._handover import dpor_handovers, handover_kinds
from partner_of_record.rules._microsoft import (
    CPOR_PER_SUBSCRIPTION_WORKLOADS,
    DEFAULT_RULES,
    DPOR_WORKLOADS_2017,
    DPOR_WORKLOADS_2023,
    FINDING_CODES,
    MICROSOFT_2017,
    MICROSOFT_2023,
    MICROSOFT_ALL_ERAS,
)
from partner_of_record.rules._ruleset import RuleSet

__all__ = [
    "CPOR_PER_SUBSCRIPTION_WORKLOADS",
    "DEFAULT_RULES",
    "DPOR_WORKLOADS_2017",
    "DPOR_WORKLOADS_2023",
    "FINDING_CODES",
    "MICROSOFT_2017",
    "MICROSOFT_2023",
    "MICROSOFT_ALL_ERAS",
    "STRUCTURAL_CODES",
    "ExclusiveKind",
    "Facts",
    "GrantedBy",
    "KindNotOnWorkloads",
    "KindOnlyOnWorkloads",
    "MaxDuration",
    "OneDayGap",
    "RequiresEnd",
    "Rule",
    "RuleSet",
    "Scope",
    "dpor_handovers",
    "handover_kinds",
]
