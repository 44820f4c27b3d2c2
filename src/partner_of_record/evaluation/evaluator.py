"""Evaluate competencies: one partner, every partner, what-if, earliest qualification.

The measurement month is the last full calendar month before ``as_of``; see
``partner_of_record.evaluation.time``. Thresholds are in US dollars: pass a
[`RateTable`][partner_of_record.evaluation.RateTable] when credits are in other
currencies (a missing rate raises ``MissingRateError`` naming the currency and the month).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

import attrs

from partner_of_record.attribution.policies import Policy
from partner_of_record.errors import Finding
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import MeasurementContext, Skills
from partner_of_record.evaluation.rates import RateTable
from partner_of_record.evaluation.requirements import counted_kinds
from partner_of_record.evaluation.results import Evaluation, EvaluationDiff, Qualification
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import add_months
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, PartnerId, Record

__all__ = [
    "earliest_qualification",
    "evaluate_all",
    "evaluate_competency",
    "evaluate_context",
    "resolve_competency",
    "what_if",
]


def resolve_competency(competency: Competency | str) -> Competency:
    """Return ``competency``, looking a name up in the catalog.

    Args:
        competency: a competency, or a catalog name.

    Returns:
        The competency.

    Raises:
        UnknownCompetencyError: the name is not in the catalog (suggests close names).
        TypeError: ``competency`` is neither a ``Competency`` nor a name.
    """
    if isinstance(competency, Competency):
        return competency
    if isinstance(competency, str):
        from partner_of_record.evaluation.catalog import get

        return get(competency)
    msg = f"competency: {competency!r} is not a Competency or a catalog name"
    raise TypeError(msg)


def evaluate_context(
    ctx: MeasurementContext, competency: Competency | str, *, credits: object = None
) -> Evaluation:
    """Evaluate a competency against a measurement context you built (e.g. from rows).

    Args:
        ctx: the measurement context.
        competency: the competency, or its catalog name.
        credits: the evidence to attach (a ``Credits``), if any.

    Returns:
        The evaluation.
    """
    comp = resolve_competency(competency)
    result = comp.requirement.evaluate(ctx)
    findings: tuple[Finding, ...] = ()
    if not ctx.facts.has_usage(ctx.month):
        findings = (
            Finding(
                "NO_USAGE_IN_MONTH",
                f"no usage or seat record at all in the measurement month {ctx.month:%Y-%m} "
                f"(as of {ctx.as_of.isoformat()}): is the data refreshed?",
                (ctx.partner_id,),
                "warning",
            ),
        )
    return Evaluation.from_result(
        competency=comp.name,
        title=comp.title,
        partner_id=ctx.partner_id,
        as_of=ctx.as_of,
        month=ctx.month,
        result=result,
        findings=findings,
        credits=credits,
    )


def _evaluate(
    facts: LedgerFacts,
    partner_id: PartnerId,
    comp: Competency,
    as_of: dt.date,
    skills: Skills | None,
    evidence_kinds: frozenset[AssociationKind],
) -> Evaluation:
    """Evaluate one partner; attach its credits under ``evidence_kinds`` (none if empty)."""
    facts.ledger.partner(partner_id)  # raises UnknownRecordError naming the partner
    ctx = MeasurementContext(partner_id, as_of, facts, skills)
    credits = facts.partner_credits(partner_id, evidence_kinds) if evidence_kinds else None
    return evaluate_context(ctx, comp, credits=credits)


def _evidence_kinds(comp: Competency, evidence: bool) -> frozenset[AssociationKind]:
    """The kinds whose credits are the evidence: those of the consumption counted, if asked."""
    return counted_kinds(comp.requirement, consumption_only=True) if evidence else frozenset()


def evaluate_competency(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Skills | None = None,
    rates: RateTable | None = None,
    evidence: bool = True,
) -> Evaluation:
    """Evaluate whether a partner meets a competency or designation as of a day.

    Args:
        ledger: the facts.
        partner_id: the partner.
        competency: a catalog entry (``partner_of_record.catalog.CLOUD_PLATFORM_GOLD``), your
            own [`Competency`][partner_of_record.evaluation.Competency], or a
            catalog name.
        as_of: the day of the evaluation; the measurement month is the last full month before.
        policy: an attribution policy replacing the per-requirement ``RecognizeAll(kinds)``
            (credits then count for a requirement when earned through one of its kinds).
        skills: metric name -> number of qualifying people
            (``{"intermediate_certifications": 5}``); a count means prerequisites are met.
        rates: US dollar rates for credits in other currencies.
        evidence: attach the partner's credits under the counted kinds as ``credits`` (only
            for competencies that count consumption; seat-based ones get ``None``).

    Returns:
        The evaluation.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        MissingRateError: a credit's currency has no rate for its month.
        UnknownCompetencyError: a competency name is not in the catalog.
    """
    comp = resolve_competency(competency)
    facts = LedgerFacts(ledger, rates, policy)
    return _evaluate(facts, partner_id, comp, as_of, skills, _evidence_kinds(comp, evidence))


def evaluate_all(
    ledger: Ledger,
    competency: Competency | str,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Mapping[PartnerId, Skills] | None = None,
    rates: RateTable | None = None,
    partners: Iterable[PartnerId] | None = None,
    evidence: bool = True,
) -> dict[PartnerId, Evaluation]:
    """Evaluate every partner (or the given ones) with one attribution per set of kinds.

    Args:
        ledger: the facts.
        competency: the competency, or its catalog name.
        as_of: the day of the evaluation.
        policy: see ``evaluate_competency``.
        skills: partner id -> that partner's skills mapping.
        rates: US dollar rates for credits in other currencies.
        partners: the partners to evaluate (default: every partner of the ledger).
        evidence: attach each partner's credits.

    Returns:
        Partner id -> evaluation, in the ledger's partner order.
    """
    comp = resolve_competency(competency)
    facts = LedgerFacts(ledger, rates, policy)
    ids = [p.id for p in ledger.partners] if partners is None else list(partners)
    per_partner = skills or {}
    kinds = _evidence_kinds(comp, evidence)
    return {pid: _evaluate(facts, pid, comp, as_of, per_partner.get(pid), kinds) for pid in ids}


def what_if(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    as_of: dt.date,
    add: Iterable[Record] = (),
    change: Callable[[Ledger], Ledger] | None = None,
    skills: Skills | None = None,
    extra_skills: Skills | None = None,
    policy: Policy | None = None,
    rates: RateTable | None = None,
) -> EvaluationDiff:
    """Evaluate with hypothetical records and report the difference, requirement by requirement.

    Example: "if this customer names us DPOR from next month":
    ``what_if(ledger, "P1", SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE, as_of=...,
    change=lambda l: l.name_dpor("SUB-9", "P1", on=date(2024, 8, 1)))``.

    Args:
        ledger: the facts as they are.
        partner_id: the partner.
        competency: the competency, or its catalog name.
        as_of: the day of the evaluation.
        add: records added to the ledger (associations, usage, seats ...).
        change: a function deriving the hypothetical ledger (applied after ``add``).
        skills: the skills as they are.
        extra_skills: people added to ``skills`` in the hypothetical evaluation.
        policy: see ``evaluate_competency``.
        rates: US dollar rates for credits in other currencies.

    Returns:
        The before and after evaluations and the change of every requirement.

    Raises:
        LedgerError: the hypothetical records break a ledger check.
    """
    comp = resolve_competency(competency)
    before = evaluate_competency(
        ledger, partner_id, comp, as_of=as_of, policy=policy, skills=skills, rates=rates
    )
    records = tuple(add)
    hypothetical = ledger.add(*records) if records else ledger
    if change is not None:
        hypothetical = change(hypothetical)
    after_skills: dict[str, int | Decimal] = dict(skills or {})
    for name, count in (extra_skills or {}).items():
        after_skills[name] = Decimal(after_skills.get(name, 0)) + Decimal(count)
    after = evaluate_competency(
        hypothetical,
        partner_id,
        comp,
        as_of=as_of,
        policy=policy,
        skills=after_skills,
        rates=rates,
    )
    return EvaluationDiff.between(before, after)


def earliest_qualification(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    policy: Policy | None = None,
    skills: Skills | None = None,
    rates: RateTable | None = None,
) -> Qualification:
    """Scan ``as_of`` days (the first of each month) and report the first at which it is met.

    Args:
        ledger: the facts.
        partner_id: the partner.
        competency: the competency, or its catalog name.
        start: the first ``as_of`` scanned (default: the month after the ledger's first data
            month); taken to the first of its month.
        end: the last ``as_of`` scanned, inclusive (default: the month after the last data
            month).
        policy: see ``evaluate_competency``.
        skills: the skills (the same for every month).
        rates: US dollar rates for credits in other currencies.

    Returns:
        The first qualifying ``as_of`` and its evaluation, or a "never met" answer.
    """
    comp = resolve_competency(competency)
    span = ledger.months
    if start is None:
        start = add_months(span[0], 1) if span else dt.date.today().replace(day=1)
    if end is None:
        end = add_months(span[1], 1) if span else start
    first = start.replace(day=1)
    facts = LedgerFacts(ledger, rates, policy)
    day = first
    while day <= end:
        evaluation = _evaluate(facts, partner_id, comp, day, skills, frozenset())
        if evaluation.met:
            kinds = _evidence_kinds(comp, evidence=True)
            credits = facts.partner_credits(partner_id, kinds) if kinds else None
            evaluation = attrs.evolve(evaluation, credits=credits)
            return Qualification(comp.name, partner_id, day, evaluation, first, end)
        day = add_months(day, 1)
    return Qualification(comp.name, partner_id, None, None, first, end)
