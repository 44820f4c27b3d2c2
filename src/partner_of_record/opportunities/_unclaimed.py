"""``unclaimed``: the search, then each action evaluated with and without it, ranked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from partner_of_record.evaluation import (
    Competency,
    Evaluation,
    EvaluationDiff,
    LedgerFacts,
    MeasurementContext,
    RateTable,
    Skills,
    evaluate_context,
    resolve_competency,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId
from partner_of_record.opportunities._program import (
    ACTION_KINDS,
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
from partner_of_record.opportunities._search import (
    Found,
    action_text,
    credited_amounts,
    peak_seats,
    search,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Policy
    from partner_of_record.incentives import Earnings, IncentiveProgram

_ZERO = Decimal(0)


def _rank_key(o: Opportunity) -> tuple[Any, ...]:
    money = sum((a for _, a in o.amounts), _ZERO)
    return (
        -len(o.newly_met),
        -o.score_delta,
        -o.earned_delta,
        -money,
        -o.seats,
        o.subscription_id,
        o.kind.value,
    )


_Outcome: TypeAlias = "tuple[list[Evaluation], list[Earnings]]"
"""The catalog entries' evaluations and the incentive programs' earnings on one ledger."""


@attrs.frozen
class _Effects:
    """What the suggested associations change: the entries evaluated as of ``end`` (as
    ``what_if`` does, one ``LedgerFacts`` per ledger), the programs' earnings over
    ``[start, end)`` (as ``what_if_incentive`` does)."""

    partner_id: PartnerId
    entries: Sequence[Competency]
    programs: Sequence[IncentiveProgram]
    start: dt.date
    end: dt.date
    skills: Skills | None
    rates: RateTable | None
    policy: Policy | None

    def outcome(self, ledger: Ledger) -> _Outcome:
        """The evaluations and the earnings on ``ledger``."""
        facts = LedgerFacts(ledger, self.rates, self.policy)
        evaluations = [
            evaluate_context(MeasurementContext(self.partner_id, self.end, facts, self.skills), c)
            for c in self.entries
        ]
        if not self.programs:
            return evaluations, []
        from partner_of_record.incentives import evaluate_incentive

        earnings = [
            evaluate_incentive(
                ledger,
                self.partner_id,
                program,
                start=self.start,
                end=self.end,
                policy=self.policy,
                rates=self.rates,
                skills=self.skills,
            )
            for program in self.programs
        ]
        return evaluations, earnings

    def changes(
        self, before: _Outcome, ledger: Ledger
    ) -> tuple[tuple[Effect, ...], tuple[EarningsEffect, ...]]:
        """What ``ledger`` changes against ``before`` (the outcome of the ledger as it is)."""
        evaluations, earnings = self.outcome(ledger)
        effects = tuple(
            Effect(
                competency=b.competency,
                met_before=b.met,
                met_after=a.met,
                score_before=b.score,
                score_after=a.score,
                diff=EvaluationDiff.between(b, a),
            )
            for b, a in zip(before[0], evaluations, strict=True)
        )
        if not before[1]:
            return effects, ()
        from partner_of_record.incentives import EarningsDiff

        return effects, tuple(
            EarningsEffect(
                program=b.program,
                currency=b.currency,
                earned_before=b.earned,
                earned_after=a.earned,
                diff=EarningsDiff(b, a),
            )
            for b, a in zip(before[1], earnings, strict=True)
        )


def _kind_groups(
    ledger: Ledger,
    opportunities: Sequence[Opportunity],
    combined: tuple[tuple[Effect, ...], tuple[EarningsEffect, ...]],
    how: _Effects,
    before: _Outcome,
) -> tuple[KindGroup, ...]:
    """The opportunities taken together per action kind, each group with its own effects."""
    groups = []
    for kind in ACTION_KINDS:
        mine = [o for o in opportunities if o.kind is kind]
        if not mine:
            continue
        if len(mine) == len(opportunities):  # one kind only: the combined effect is theirs
            effects, earnings = combined
        else:
            effects, earnings = how.changes(
                before, ledger.add(*(a for o in mine for a in o.associations))
            )
        money: dict[str, Decimal] = {}
        for o in mine:
            for currency, amount in o.amounts:
                money[currency] = money.get(currency, _ZERO) + amount
        groups.append(
            KindGroup(
                kind=kind,
                subscriptions=tuple(o.subscription_id for o in mine),
                amounts=tuple(sorted(money.items())),
                effects=effects,
                earnings=earnings,
            )
        )
    return tuple(groups)


def unclaimed(
    ledger: Ledger,
    partner_id: PartnerId,
    *,
    start: dt.date,
    end: dt.date,
    program: CreditProgram | str = SOLUTIONS_PARTNER_2023,
    skills: Skills | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
    catalog: Iterable[Competency | str] | None = None,
    incentives: Iterable[IncentiveProgram] = (),
) -> Unclaimed:
    """Find the consumption a partner drives but is not credited for, and how to claim it.

    A subscription is listed when, on some day of ``[start, end)``, the partner holds an
    association of a kind the program does not credit on its workload (CSP, transacting, DAP,
    GDAP, Lighthouse; or a DPOR where the program credits CPOR) and none that it credits (a
    CPOR claim on another subscription of the same tenant and workload counts). The action is
    the first kind of ``ACTION_KINDS`` the program credits there that the ledger's rules and
    the program's rules both allow; subscriptions with consumption or seats in the gap only.

    Args:
        ledger: the facts.
        partner_id: the partner.
        start: the first day of the period.
        end: the first day after it; entries are evaluated as of this day.
        program: a [`CreditProgram`][partner_of_record.opportunities.CreditProgram] or the
            name of a shipped one (``PROGRAMS``).
        skills: the partner's skills, for the catalog evaluations.
        rates: US dollar rates for credits in other currencies (catalog evaluations).
        policy: an attribution policy for the catalog evaluations (see
            ``evaluate_competency``).
        catalog: the entries the effects are measured on (default: the program's).
        incentives: incentive programs (``partner_of_record.incentives``) whose earnings over
            the period each action changes, computed as
            [`what_if_incentive`][partner_of_record.incentives.what_if_incentive] does.

    Returns:
        The opportunities, best effect first (entries newly met, then score gained, then
        consumption, then seats), the blocked subscriptions and the combined effect.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        ValueError: ``end`` is not after ``start``, or ``program`` is an unknown name.
    """
    ledger.partner(partner_id)
    if end <= start:
        msg = f"unclaimed: end {end.isoformat()} is not after start {start.isoformat()}"
        raise ValueError(msg)
    if isinstance(program, str):
        if program not in PROGRAMS:
            msg = f"unclaimed: no program {program!r} (one of {', '.join(PROGRAMS)})"
            raise ValueError(msg)
        program = PROGRAMS[program]
    entries = (
        program.entries() if catalog is None else tuple(resolve_competency(c) for c in catalog)
    )
    found = search(ledger, partner_id, start, end, program)
    actionable = [f for f in found if f.kind is not None]
    every = tuple(a for f in actionable for a in f.associations)
    hypothetical = ledger.add(*every) if every else ledger
    amounts = credited_amounts(ledger, hypothetical, partner_id, start, end, found, program)
    seats = {f.sub_id: peak_seats(ledger, f.sub_id, f.gaps) for f in found}

    def worth(f: Found) -> bool:
        return any(a for _, a in amounts.get(f.sub_id, ())) or any(seats[f.sub_id])

    actionable = [f for f in actionable if worth(f)]
    blocked = tuple(
        Blocked(f.sub_id, f.customer_id, f.workload, f.working, f.reasons)
        for f in found
        if f.kind is None
    )
    how = _Effects(partner_id, entries, tuple(incentives), start, end, skills, rates, policy)
    before = how.outcome(ledger)
    names = {c.id: c.name for c in ledger.customers}
    opportunities = []
    for f in actionable:
        assert f.kind is not None
        effects, earnings = how.changes(before, ledger.add(*f.associations))
        customer = names.get(f.customer_id) or f.customer_id
        opportunities.append(
            Opportunity(
                subscription_id=f.sub_id,
                customer_id=f.customer_id,
                customer_name=customer,
                workload=f.workload,
                working=f.working,
                kind=f.kind,
                associations=f.associations,
                amounts=amounts.get(f.sub_id, ()),
                seats=seats[f.sub_id][0],
                active_users=seats[f.sub_id][1],
                ongoing=f.ongoing,
                action=action_text(f.kind, f.sub_id, f.workload, customer),
                effects=effects,
                earnings=earnings,
            )
        )
    opportunities.sort(key=_rank_key)
    combined: tuple[Effect, ...] = ()
    combined_earnings: tuple[EarningsEffect, ...] = ()
    if opportunities:
        chosen = tuple(a for o in opportunities for a in o.associations)
        combined, combined_earnings = how.changes(before, ledger.add(*chosen))
    groups = _kind_groups(ledger, opportunities, (combined, combined_earnings), how, before)
    return Unclaimed(
        partner_id=partner_id,
        start=start,
        end=end,
        program=program.name,
        rules=program.rules.name,
        opportunities=tuple(opportunities),
        blocked=blocked,
        combined=combined,
        combined_earnings=combined_earnings,
        groups=groups,
    )
