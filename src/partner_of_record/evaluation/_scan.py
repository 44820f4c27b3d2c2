"""The month-by-month scan ``earliest_qualification`` and its reference share: the months
scanned, the facts, and the answer for the first month met."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TypedDict, Unpack

import attrs

from partner_of_record.attribution.policies import Policy
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.rates import RateTable, as_rate_table
from partner_of_record.evaluation.requirements import counted_kinds
from partner_of_record.evaluation.results import Evaluation, Qualification
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import add_months
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId

__all__ = ["Scan", "ScanOptions"]


class ScanOptions(TypedDict, total=False):
    """The keywords that say what ``earliest_qualification`` scans (see its arguments)."""

    start: dt.date | None
    end: dt.date | None
    policy: Policy | None
    rates: RateTable | Mapping[str, Decimal | int | str] | None


@attrs.frozen
class Scan:
    """One partner, one entry, the ``as_of`` days scanned (the first of each month from
    ``first`` through ``end``) and the facts they are measured on.

    Attributes:
        comp: the competency.
        partner_id: the partner.
        first: the first ``as_of`` scanned.
        end: the last ``as_of`` scanned, inclusive.
        facts: the ledger's facts (attributed once for the whole scan).
    """

    comp: Competency
    partner_id: PartnerId
    first: dt.date
    end: dt.date
    facts: LedgerFacts

    @classmethod
    def of(
        cls, ledger: Ledger, partner_id: PartnerId, comp: Competency, **options: Unpack[ScanOptions]
    ) -> Scan:
        """The scan ``earliest_qualification``'s arguments ask for (see its defaults)."""
        span = ledger.months
        start, end = options.get("start"), options.get("end")
        if start is None:
            start = add_months(span[0], 1) if span else dt.date.today().replace(day=1)
        if end is None:
            end = add_months(span[1], 1) if span else start
        facts = LedgerFacts(ledger, as_rate_table(options.get("rates")), options.get("policy"))
        return cls(comp, partner_id, start.replace(day=1), end, facts)

    def first_met(self, met_at: Callable[[dt.date], Evaluation | None]) -> Qualification:
        """The first ``as_of`` at which ``met_at`` gives an evaluation, which then carries the
        partner's credits under the consumption the entry counts; or "never met"."""
        day = self.first
        while day <= self.end:
            evaluation = met_at(day)
            if evaluation is not None:
                kinds = counted_kinds(self.comp.requirement, consumption_only=True)
                credits = self.facts.partner_credits(self.partner_id, kinds) if kinds else None
                evaluation = attrs.evolve(evaluation, credits=credits)
                return self.qualification(day, evaluation)
            day = add_months(day, 1)
        return self.qualification(None, None)

    def qualification(self, day: dt.date | None, evaluation: Evaluation | None) -> Qualification:
        """The answer: met at ``day`` with ``evaluation``, or never met (``None``)."""
        return Qualification(self.comp.name, self.partner_id, day, evaluation, self.first, self.end)
