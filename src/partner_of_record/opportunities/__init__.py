"""Unclaimed consumption: what a partner drives but is not credited for, and how to fix it.

Partner Center shows what a partner is credited with. This module shows the other side: the
subscriptions on which the partner has a *working relationship* (it resells them through CSP,
it is the transacting partner, it holds DAP or GDAP, it manages them through Azure Lighthouse)
but not the association kind the program credits, with the consumption (or seats) it would
have been credited, the action that fixes it, and the effect of that action on every catalog
entry of the program, computed with the evaluator exactly as
[`what_if`][partner_of_record.what_if] computes it.

The program is a [`CreditProgram`][partner_of_record.opportunities.CreditProgram]: which kinds
it credits on which workload, under which dated [`RuleSet`][partner_of_record.rules.RuleSet],
and which catalog entries it scores. Two ship:

* [`SOLUTIONS_PARTNER_2023`][partner_of_record.opportunities.SOLUTIONS_PARTNER_2023] (the
  default): PAL or DPOR for Azure consumption, CPOR for the Modern Work, Security and Business
  Applications workloads, under [`MICROSOFT_2023`][partner_of_record.rules.MICROSOFT_2023];
* [`COMPETENCIES_2016`][partner_of_record.opportunities.COMPETENCIES_2016]: the 2017 seed's
  kinds (DPOR, transacting and CSP partners, DAP, PAL) under
  [`MICROSOFT_2017`][partner_of_record.rules.MICROSOFT_2017].

Rules are never broken: a suggested association is checked against both the ledger's rule set
and the program's, on the facts of the customer's tenant, before it is suggested. When every
kind the program credits is forbidden (another partner's DPOR on the subscription, another
partner's CPOR for the workload in the tenant), the subscription is listed under ``blocked``
with the rule's message, and no action is advised.

Effects are counterfactual over the period: the suggested associations cover the days of
``[start, end)`` on which the working relationship was in effect without a credited kind (open
ended when the gap reaches ``end``), and each entry is evaluated as of ``end`` with and without
them. Credit is not retroactive (a DPOR named today credits from today), so the figures say
what the missing association cost over the period, and what it is worth from now on.

Example:
    >>> import datetime as dt
    >>> from partner_of_record.opportunities import unclaimed
    >>> from partner_of_record.samples import load_sample
    >>> found = unclaimed(load_sample(), "4500168", start=dt.date(2024, 1, 1),
    ...                   end=dt.date(2025, 1, 1))
    >>> print(found.explain())  # doctest: +SKIP
"""

from __future__ import annotations

from partner_of_record.opportunities._program import (
    ACTION_KINDS,
    COMPETENCIES_2016,
    PROGRAMS,
    SOLUTIONS_PARTNER_2023,
    CreditProgram,
)
from partner_of_record.opportunities._results import (
    Blocked,
    EarningsEffect,
    Effect,
    KindGroup,
    Opportunity,
    Unclaimed,
)
from partner_of_record.opportunities._unclaimed import unclaimed

__all__ = [
    "ACTION_KINDS",
    "COMPETENCIES_2016",
    "PROGRAMS",
    "SOLUTIONS_PARTNER_2023",
    "Blocked",
    "CreditProgram",
    "EarningsEffect",
    "Effect",
    "KindGroup",
    "Opportunity",
    "Unclaimed",
    "unclaimed",
]
