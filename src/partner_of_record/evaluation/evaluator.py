"""Evaluate competencies: one partner, every partner, what-if, earliest qualification.

The measurement month is the last full calendar month before ``as_of``; see
``partner_of_record.evaluation.time``. Thresholds are in US dollars: pass a
[`RateTable`][partner_of_record.evaluation.RateTable] when credits are in other
currencies (a missing rate raises ``MissingRateError`` naming the currency and the month).

Every entry point here shares the same private steps (resolve the competency, attribute once
per set of kinds, score, attach the evidence). The forward view (``project_qualification``,
``trend_projection``) lives in ``evaluation/_projection.py`` and is re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Unpack, overload

import attrs

from partner_of_record.attribution.policies import Policy
from partner_of_record.errors import Finding, ValidationError
from partner_of_record.evaluation._batch import Batch, partner_selections, rewrite
from partner_of_record.evaluation._projection import (
    TREND_ASSUMPTION,
    ProjectionFn,
    project_qualification,
    trend_projection,
)
from partner_of_record.evaluation._scan import Scan, ScanOptions
from partner_of_record.evaluation._scoring import Scorer
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import MeasurementContext, Skills, normalize_skills
from partner_of_record.evaluation.rates import RateTable, as_rate_table
from partner_of_record.evaluation.requirements import counted_kinds
from partner_of_record.evaluation.results import (
    Evaluation,
    EvaluationDiff,
    Evaluations,
    Qualification,
)
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import measurement_month
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, PartnerId, Record

__all__ = [
    "TREND_ASSUMPTION",
    "ProjectionFn",
    "earliest_qualification",
    "evaluate_all",
    "evaluate_all_one_by_one",
    "evaluate_competency",
    "evaluate_context",
    "project_qualification",
    "resolve_competency",
    "trend_projection",
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


def _partner_skills(
    ledger: Ledger, skills: Mapping[PartnerId, Skills] | Skills | None
) -> Callable[[PartnerId], Skills | None]:
    """How ``evaluate_all`` finds each partner's skills.

    ``{partner_id: {metric: people}}`` gives each partner its own counts (a partner left out
    has none); a flat ``{metric: people}`` gives every partner the same counts. A mix of the
    two, or a partner id that is not in the ledger, raises: a skills input is never ignored.
    """
    if not skills:
        return lambda _pid: None
    nested = {key: isinstance(value, Mapping) for key, value in skills.items()}
    if not any(nested.values()):
        flat: Skills = normalize_skills(skills)  # type: ignore[arg-type]  # checked: flat
        return lambda _pid: flat
    if not all(nested.values()):
        key = next(k for k, is_map in nested.items() if not is_map)
        raise ValidationError(
            "skills",
            str(key),
            skills[key],
            "is a count among per-partner mappings",
            "give {partner_id: {metric: people}} for each partner, or one flat "
            "{metric: people} for every partner",
        )
    per_partner: Mapping[PartnerId, Skills] = skills  # type: ignore[assignment]  # checked
    known = {p.id for p in ledger.partners}
    for pid in per_partner:
        if pid not in known:
            ledger.partner(pid)  # raises UnknownRecordError naming the partner (and close ids)
    return per_partner.get


def evaluate_competency(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Skills | None = None,
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
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
        rates: US dollar rates for credits in other currencies: a
            [`RateTable`][partner_of_record.evaluation.RateTable], or a mapping currency ->
            US dollars per unit (``{"EUR": "1.08"}``, the same rate every month, as
            ``RateTable.constant``).
        evidence: attach the partner's credits under the counted kinds as ``credits`` (only
            for competencies that count consumption; seat-based ones get ``None``).

    Returns:
        The evaluation.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        MissingRateError: a credit's currency has no rate for its month.
        UnknownCompetencyError: a competency name is not in the catalog.
        TypeError: ``rates`` is neither a ``RateTable`` nor a mapping.
    """
    comp = resolve_competency(competency)
    facts = LedgerFacts(ledger, as_rate_table(rates), policy)
    return _evaluate(facts, partner_id, comp, as_of, skills, _evidence_kinds(comp, evidence))


@overload
def evaluate_all(
    ledger: Ledger,
    competency: Competency | str,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Mapping[PartnerId, Skills] | Skills | None = None,
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
    partners: Iterable[PartnerId] | None = None,
    evidence: bool = True,
    entries: None = None,
) -> Evaluations: ...


@overload
def evaluate_all(
    ledger: Ledger,
    competency: None = None,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Mapping[PartnerId, Skills] | Skills | None = None,
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
    partners: Iterable[PartnerId] | None = None,
    evidence: bool = True,
    entries: Iterable[Competency | str],
) -> dict[str, Evaluations]: ...


def evaluate_all(
    ledger: Ledger,
    competency: Competency | str | None = None,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Mapping[PartnerId, Skills] | Skills | None = None,
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
    partners: Iterable[PartnerId] | None = None,
    evidence: bool = True,
    entries: Iterable[Competency | str] | None = None,
) -> Evaluations | dict[str, Evaluations]:
    """Evaluate every partner (or the given ones): each measure computed for all of them at once.

    The ledger is attributed once per set of association kinds; each consumption measure
    (credited ACR, ACR growth, distinct services, customer counts from ``AcrCustomers`` rules)
    is then computed for every partner in one pass over the credit columns, and the requirement
    algebra scores every partner from those values at once: the answer's ``met`` and ``score``
    are known when it returns, and each [`Evaluation`][partner_of_record.evaluation.Evaluation]
    (results, reasons, findings) is built the first time it is read (see
    [`Evaluations`][partner_of_record.evaluation.Evaluations]). The evaluations are the same as
    ``evaluate_competency`` partner by partner (a property test checks it for every catalog
    entry); measures without a batch form (skills, your own measures) and credits in other
    currencies than US dollars are measured partner by partner.

    Args:
        ledger: the facts.
        competency: the competency, or its catalog name (or ``None`` with ``entries``).
        as_of: the day of the evaluation.
        policy: see ``evaluate_competency``.
        skills: either partner id -> that partner's skills
            (``{"P1": {"intermediate_certifications": 3}}``; a partner left out has no skills
            counts), or one flat skills mapping (``{"intermediate_certifications": 3}``) that
            gives every partner the same counts.
        rates: see ``evaluate_competency``.
        partners: the partners to evaluate (default: every partner of the ledger).
        evidence: attach each partner's credits.
        entries: several competencies (or catalog names) evaluated together, sharing one
            attribution per set of kinds and one computation of each measure; the result is
            then keyed by competency name.

    Returns:
        Partner id -> evaluation (an ``Evaluations`` dict), in the ledger's partner order
        (``partners``' order when given); with ``entries``: competency name -> partner id ->
        evaluation, in the entries' order.

    Raises:
        UnknownRecordError: a partner (in ``partners`` or a key of ``skills``) is not in the
            ledger.
        ValidationError: ``skills`` mixes per-partner mappings with counts, or a count is not
            a whole number of people.
        TypeError: both or neither of ``competency`` and ``entries`` are given.
    """
    if (competency is None) == (entries is None):
        msg = "evaluate_all: give either a competency or entries=[...], not both nor neither"
        raise TypeError(msg)
    targets = list(entries or ()) if competency is None else [competency]
    comps = [resolve_competency(c) for c in targets if c is not None]
    facts = LedgerFacts(ledger, as_rate_table(rates), policy)
    ids = [p.id for p in ledger.partners] if partners is None else list(partners)
    skills_of = _partner_skills(ledger, skills)
    found = _evaluate_batch(facts, comps, ids, as_of, skills_of, evidence)
    if entries is None:
        return found[comps[0].name]
    return found


def _evaluate_batch(
    facts: LedgerFacts,
    comps: list[Competency],
    ids: list[PartnerId],
    as_of: dt.date,
    skills_of: Callable[[PartnerId], Skills | None],
    evidence: bool,
) -> dict[str, Evaluations]:
    """Evaluate ``comps`` for ``ids`` with batched measures (see ``_batch`` and ``_scoring``)."""
    for pid in ids:
        facts.ledger.partner(pid)  # raises UnknownRecordError naming the partner
    batch = Batch(facts, ids, measurement_month(as_of), skills_of)
    # one context per partner, shared by the entries: what a measure derives from the facts
    # (a scope's rows, a seat scope's pairs) is kept in it and reused by the next entry
    contexts: dict[PartnerId, MeasurementContext] = {}

    def context(pid: PartnerId) -> MeasurementContext:
        found = contexts.get(pid)
        if found is None:
            found = contexts[pid] = MeasurementContext(pid, as_of, facts, skills_of(pid))
        return found

    scorer = Scorer(ids, batch.values, context)
    out: dict[str, Evaluations] = {}
    for comp in comps:
        # every partner's verdict and score now, from the measures' arrays ...
        scores = scorer.score(comp.requirement, range(len(ids)))
        # ... and each Evaluation, reasons included, when it is read: the readable algebra on
        # the tree whose batched measures build the partner's measurement from the arrays
        requirement = rewrite(comp.requirement, batch)
        batched = (
            comp if requirement is comp.requirement else attrs.evolve(comp, requirement=requirement)
        )
        out[comp.name] = Evaluations(
            comp.name,
            ids,
            _builder(
                facts, batched, ids, as_of, skills_of, _evidence_kinds(comp, evidence), context
            ),
            dict(zip(ids, scores.met, strict=True)),
            dict(zip(ids, scores.points, strict=True)),
        )
    return out


def _builder(
    facts: LedgerFacts,
    comp: Competency,
    ids: list[PartnerId],
    as_of: dt.date,
    skills_of: Callable[[PartnerId], Skills | None],
    kinds: frozenset[AssociationKind],
    context: Callable[[PartnerId], MeasurementContext],
) -> Callable[[PartnerId], Evaluation]:
    """How ``evaluate_all`` builds one partner's evaluation when it is read."""
    evidence_of: Mapping[PartnerId, object] | None = None
    selected = False

    def build(pid: PartnerId) -> Evaluation:
        nonlocal evidence_of, selected
        if not selected:  # every partner's evidence in one pass, on the first read
            evidence_of, selected = _evidence(facts, ids, kinds), True
        if evidence_of is None:
            return _evaluate(facts, pid, comp, as_of, skills_of(pid), kinds)
        return evaluate_context(context(pid), comp, credits=evidence_of[pid])

    return build


def _evidence(
    facts: LedgerFacts, ids: list[PartnerId], kinds: frozenset[AssociationKind]
) -> Mapping[PartnerId, object] | None:
    """Every partner's evidence in one pass (``None``: filter partner by partner instead)."""
    if not kinds:
        return dict.fromkeys(ids)
    credits = facts.credits(kinds)
    return partner_selections(credits, ids, kinds if facts.policy is not None else None)


def evaluate_all_one_by_one(
    ledger: Ledger,
    competency: Competency | str,
    *,
    as_of: dt.date,
    policy: Policy | None = None,
    skills: Mapping[PartnerId, Skills] | Skills | None = None,
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
    partners: Iterable[PartnerId] | None = None,
    evidence: bool = True,
) -> dict[PartnerId, Evaluation]:
    """``evaluate_all`` on the readable path: every partner measured on its own (the reference).

    Slower (each partner's credits are selected and measured separately); kept as the
    reference the batch path is tested against, and as the baseline of the benchmark.

    Args:
        ledger: the facts.
        competency: the competency, or its catalog name.
        as_of: the day of the evaluation.
        policy: see ``evaluate_competency``.
        skills: see ``evaluate_all``.
        rates: see ``evaluate_competency``.
        partners: the partners to evaluate (default: every partner of the ledger).
        evidence: attach each partner's credits.

    Returns:
        Partner id -> evaluation, in the ledger's partner order.
    """
    comp = resolve_competency(competency)
    facts = LedgerFacts(ledger, as_rate_table(rates), policy)
    ids = [p.id for p in ledger.partners] if partners is None else list(partners)
    skills_of = _partner_skills(ledger, skills)
    kinds = _evidence_kinds(comp, evidence)
    return {pid: _evaluate(facts, pid, comp, as_of, skills_of(pid), kinds) for pid in ids}


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
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
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
    table = as_rate_table(rates)
    kinds = _evidence_kinds(comp, evidence=True)
    facts = LedgerFacts(ledger, table, policy)
    before = _evaluate(facts, partner_id, comp, as_of, skills, kinds)
    records = tuple(add)
    hypothetical = ledger.add(*records) if records else ledger
    if change is not None:
        hypothetical = change(hypothetical)
    after_skills: dict[str, int | Decimal] = dict(skills or {})
    for name, count in (extra_skills or {}).items():
        after_skills[name] = Decimal(after_skills.get(name, 0)) + Decimal(count)
    # the same ledger (a what-if on skills only) reuses the first attribution and its rows
    after_facts = facts if hypothetical is ledger else LedgerFacts(hypothetical, table, policy)
    after = _evaluate(after_facts, partner_id, comp, as_of, after_skills, kinds)
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
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
) -> Qualification:
    """Scan ``as_of`` days (the first of each month) and report the first at which it is met.

    The ledger is attributed once and the measures' tables are built once for the whole scan
    (``evaluate_all``'s arrays, for one partner); each month is only scored, and the evaluation
    is built for the month found. The answer equals a full evaluation month by month.

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
    scan = Scan.of(ledger, partner_id, comp, start=start, end=end, policy=policy, rates=rates)
    ledger.partner(partner_id)  # raises UnknownRecordError naming the partner
    # one attribution and one set of arrays for the whole scan: each month only scores the
    # partner from them (``evaluate_all``'s path for one partner); the Evaluation is built,
    # on the readable path, for the month found
    batch = Batch(scan.facts, [partner_id], measurement_month(scan.first), lambda _pid: skills)
    contexts: dict[PartnerId, MeasurementContext] = {}

    def met_at(day: dt.date) -> Evaluation | None:
        values = batch.at(measurement_month(day)).values
        contexts[partner_id] = ctx = MeasurementContext(partner_id, day, scan.facts, skills)
        scorer = Scorer([partner_id], values, contexts.__getitem__)
        if scorer.score(scan.comp.requirement, range(1)).met[0]:
            return evaluate_context(ctx, scan.comp)
        return None

    return scan.first_met(met_at)


def _earliest_qualification_one_by_one(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    skills: Skills | None = None,
    **options: Unpack[ScanOptions],
) -> Qualification:
    """``earliest_qualification`` on the readable path, each month evaluated in full.

    The reference the scan over arrays is tested against: the same arguments (keywords
    ``start``, ``end``, ``policy``, ``skills``, ``rates``), the same answer.
    """
    scan = Scan.of(ledger, partner_id, resolve_competency(competency), **options)

    def met_at(day: dt.date) -> Evaluation | None:
        evaluation = _evaluate(scan.facts, partner_id, scan.comp, day, skills, frozenset())
        return evaluation if evaluation.met else None

    return scan.first_met(met_at)
