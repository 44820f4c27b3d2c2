"""``unclaimed``: the search, then each action evaluated with and without it, ranked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

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


class _Evaluator:
    """Evaluates the program's entries on a ledger, sharing one ``LedgerFacts`` per ledger."""

    def __init__(
        self,
        partner_id: PartnerId,
        entries: Sequence[Competency],
        as_of: dt.date,
        skills: Skills | None,
        rates: RateTable | None,
        policy: Policy | None,
    ) -> None:
        self.partner_id = partner_id
        self.entries = entries
        self.as_of = as_of
        self.skills = skills
        self.rates = rates
        self.policy = policy

    def evaluate(self, ledger: Ledger) -> list[Evaluation]:
        facts = LedgerFacts(ledger, self.rates, self.policy)
        return [
            evaluate_context(MeasurementContext(self.partner_id, self.as_of, facts, self.skills), c)
            for c in self.entries
        ]

    @staticmethod
    def effects(before: Sequence[Evaluation], after: Sequence[Evaluation]) -> tuple[Effect, ...]:
        return tuple(
            Effect(
                competency=b.competency,
                met_before=b.met,
                met_after=a.met,
                score_before=b.score,
                score_after=a.score,
                diff=EvaluationDiff.between(b, a),
            )
            for b, a in zip(before, after, strict=True)
        )


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


class _Incentives:
    """Evaluates incentive programs over the period, as ``what_if_incentive`` does."""

    def __init__(
        self,
        partner_id: PartnerId,
        programs: Sequence[IncentiveProgram],
        start: dt.date,
        end: dt.date,
        skills: Skills | None,
        rates: RateTable | None,
        policy: Policy | None,
    ) -> None:
        self.partner_id = partner_id
        self.programs = programs
        self.options: dict[str, Any] = {
            "start": start,
            "end": end,
            "policy": policy,
            "rates": rates,
            "skills": skills,
        }

    def evaluate(self, ledger: Ledger) -> list[Earnings]:
        if not self.programs:
            return []
        from partner_of_record.incentives import evaluate_incentive

        return [
            evaluate_incentive(ledger, self.partner_id, program, **self.options)
            for program in self.programs
        ]

    @staticmethod
    def effects(
        before: Sequence[Earnings], after: Sequence[Earnings]
    ) -> tuple[EarningsEffect, ...]:
        if not before:
            return ()
        from partner_of_record.incentives import EarningsDiff

        return tuple(
            EarningsEffect(
                program=b.program,
                currency=b.currency,
                earned_before=b.earned,
                earned_after=a.earned,
                diff=EarningsDiff(b, a),
            )
            for b, a in zip(before, after, strict=True)
        )


def _kind_groups(
    ledger: Ledger,
    opportunities: Sequence[Opportunity],
    combined: tuple[tuple[Effect, ...], tuple[EarningsEffect, ...]],
    evaluator: _Evaluator,
    earner: _Incentives,
    before: tuple[list[Evaluation], list[Earnings]],
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
            book = ledger.add(*(a for o in mine for a in o.associations))
            effects = _Evaluator.effects(before[0], evaluator.evaluate(book))
            earnings = _Incentives.effects(before[1], earner.evaluate(book))
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
    evaluator = _Evaluator(partner_id, entries, end, skills, rates, policy)
    before = evaluator.evaluate(ledger)
    earner = _Incentives(partner_id, tuple(incentives), start, end, skills, rates, policy)
    earned_before = earner.evaluate(ledger)
    names = {c.id: c.name for c in ledger.customers}
    opportunities = []
    for f in actionable:
        assert f.kind is not None
        with_it = ledger.add(*f.associations)
        after = evaluator.evaluate(with_it)
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
                effects=_Evaluator.effects(before, after),
                earnings=_Incentives.effects(earned_before, earner.evaluate(with_it)),
            )
        )
    opportunities.sort(key=_rank_key)
    combined: tuple[Effect, ...] = ()
    combined_earnings: tuple[EarningsEffect, ...] = ()
    if opportunities:
        chosen = tuple(a for o in opportunities for a in o.associations)
        all_of_them = ledger.add(*chosen)
        combined = _Evaluator.effects(before, evaluator.evaluate(all_of_them))
        combined_earnings = _Incentives.effects(earned_before, earner.evaluate(all_of_them))
    groups = _kind_groups(
        ledger,
        opportunities,
        (combined, combined_earnings),
        evaluator,
        earner,
        (before, earned_before),
    )
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
