"""Tests that kill evaluation mutants which survived the mutation sample of issue 18.

``benchmarks/mutation.sh`` (seed 2026) left these ``evaluation/`` mutants alive; each test
states the law the mutant breaks through public behaviour, and names the mutant.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from partner_of_record import Ledger, catalog
from partner_of_record.evaluation import (
    RequirementResult,
    evaluate_all,
    evaluate_competency,
    project_qualification,
)
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

ENTRIES = tuple(catalog.ALL.values())


def _flat(result: RequirementResult) -> list[tuple[Any, ...]]:
    """Every requirement of a tree: name, met, measured value, points."""
    out = [(result.name, result.met, result.measured, result.points)]
    for child in result.children:
        out += _flat(child)
    return out


@pytest.fixture(scope="module")
def sample() -> Ledger:
    return load_sample()


def test_the_batch_agrees_with_one_partner_evaluations_on_the_sample(sample: Ledger) -> None:
    """Law: ``evaluate_all`` over every catalog entry gives each partner's
    ``evaluate_competency`` (met, and every requirement's measured value and points), and the
    sample has partners that meet some entries, so the check is not vacuous."""
    partners = [p.id for p in sample.partners]
    batch = evaluate_all(
        sample, entries=ENTRIES, as_of=SAMPLE_AS_OF, partners=partners, skills=SAMPLE_SKILLS
    )
    met = 0
    for entry in ENTRIES:
        for partner in partners:
            one = evaluate_competency(
                sample, partner, entry, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS.get(partner)
            )
            got = batch[entry.name][partner]
            assert batch[entry.name].met[partner] == one.met, (entry.name, partner)
            assert batch[entry.name].score[partner] == one.score, (entry.name, partner)
            assert got.met == one.met, (entry.name, partner)
            assert _flat(got.result) == _flat(one.result), (entry.name, partner)
            met += one.met
    assert met > 0


def test_a_projection_is_asked_for_the_months_right_after_the_data(sample: Ledger) -> None:
    """``project_qualification`` asks the projection for the months from the one after the
    ledger's last data month through the last measurement month scanned, with no gap.

    Mutant: ``first = add_months(span[1], 1)`` -> ``add_months(span[1], 2)``."""
    asked: list[tuple[dt.date, dt.date]] = []

    def nothing_new(ledger: Ledger, first: dt.date, last: dt.date) -> tuple[()]:
        asked.append((first, last))
        return ()

    span = sample.months
    assert span is not None
    partners = [p.id for p in sample.partners]
    unmet = next(
        (entry, partner)
        for entry in ENTRIES
        for partner in partners
        if not evaluate_competency(
            sample, partner, entry, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS.get(partner)
        ).met
    )
    project_qualification(
        sample,
        unmet[1],
        unmet[0],
        as_of=SAMPLE_AS_OF,
        horizon=6,
        projection=nothing_new,
        assumption="nothing changes",
        skills=SAMPLE_SKILLS.get(unmet[1]),
    )
    [(first, last)] = asked
    last_data = span[1]
    after = dt.date(last_data.year + last_data.month // 12, last_data.month % 12 + 1, 1)
    assert first == after
    assert first <= last


@pytest.mark.parametrize("cents", [1, 2, 100])
def test_a_service_credited_one_cent_counts_in_the_batch_too(cents: int) -> None:
    """Law: a service counts toward ``DistinctServices`` as soon as its credited consumption is
    above zero (one cent is enough), in ``evaluate_all`` as in ``evaluate_competency``.

    Mutant: ``counted = uniq[sums > 0]`` -> ``sums > 1`` in the batched distinct services."""
    from decimal import Decimal

    from partner_of_record import (
        Association,
        AssociationKind,
        Customer,
        Partner,
        Subscription,
        Usage,
        Workload,
    )
    from partner_of_record.evaluation import AcrScope, AtLeast, Competency, DistinctServices

    month = dt.date(2024, 5, 1)
    ledger = Ledger(
        partners=[Partner("P1"), Partner("P2")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[
            Association(p, "S1", AssociationKind.PAL, dt.date(2024, 1, 1)) for p in ("P1", "P2")
        ],
        usage=[
            Usage("S1", month, Decimal(cents).scaleb(-2), service="Tiny"),
            Usage("S1", month, Decimal("50.00"), service="Virtual Machines"),
        ],
    )
    competency = Competency(
        name="TWO_SERVICES",
        title="two services",
        requirement=AtLeast("services", DistinctServices(AcrScope({AssociationKind.PAL})), 2),
        source="test",
        published=dt.date(2024, 1, 1),
    )
    as_of = dt.date(2024, 6, 15)
    batch = evaluate_all(ledger, competency, as_of=as_of)
    for partner in ("P1", "P2"):
        one = evaluate_competency(ledger, partner, competency, as_of=as_of)
        assert one.met
        assert one.result.measured == 2
        assert batch[partner].met
        assert batch[partner].result.measured == 2


def _explained_lines(result: RequirementResult) -> int:
    """The lines ``explain`` writes: a summary, the reason if any, findings, the parts."""
    own = 1 + bool(result.reason) + len(result.findings)
    return own + sum(_explained_lines(child) for child in result.children)


def test_explain_writes_the_reason_exactly_when_there_is_one(sample: Ledger) -> None:
    """Law: ``explain`` has one line per result, one per reason given, one per finding; every
    reason appears under its result (checked over the sample's evaluations).

    Mutant: ``if self.reason:`` negated in ``RequirementResult.explain``."""
    with_reason = 0
    for entry in ENTRIES:
        for partner in sample.partners:
            result = evaluate_competency(
                sample, partner.id, entry, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS.get(partner.id)
            ).result
            text = result.explain()
            assert len(text.splitlines()) == _explained_lines(result)
            if result.reason:
                with_reason += 1
                assert f"  - {result.reason}" in text
    assert with_reason > 0


def test_a_straight_line_of_usage_is_projected_exactly(sample: Ledger) -> None:
    """Law: ``trend_projection`` continues a usage line that grows by a constant step: the
    months after the data get the next terms, and rows outside the fitted window are ignored.

    Mutant: ``if u.month not in index: continue`` -> ``in`` (rows outside the window read)."""
    from decimal import Decimal

    from partner_of_record import Customer, Partner, Subscription, Usage, Workload
    from partner_of_record.evaluation import trend_projection

    months = [dt.date(2023 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 19)]
    usage = [Usage("S1", m, Decimal(100 * (i + 1))) for i, m in enumerate(months)]
    usage.append(Usage("S1", months[0], Decimal(999_999), service="Old"))  # outside the window
    ledger = Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        usage=usage,
    )
    first, last = dt.date(2024, 7, 1), dt.date(2024, 9, 1)
    projected = trend_projection(ledger, first, last, months=12)
    assert [(u.month, u.amount) for u in projected] == [
        (dt.date(2024, 7, 1), Decimal("1900.00")),
        (dt.date(2024, 8, 1), Decimal("2000.00")),
        (dt.date(2024, 9, 1), Decimal("2100.00")),
    ]


# ---------------------------------------------------------------------------------------------
# small ledgers built for one measure each


def _facts(
    usage: list[tuple[str, dt.date, str]],
    seats: list[tuple[str, dt.date, int, int]] = (),  # type: ignore[assignment]
    workload: str = "azure",
) -> Ledger:
    """P1 with a PAL from 2022 on one subscription per customer (C1, C2, C3: S1, S2, S3)."""
    from partner_of_record import (
        Association,
        AssociationKind,
        Customer,
        Partner,
        SeatUsage,
        Subscription,
        Usage,
        Workload,
    )

    ids = ("1", "2", "3")
    return Ledger(
        partners=[Partner("P1")],
        customers=[Customer(f"C{i}") for i in ids],
        subscriptions=[Subscription(f"S{i}", f"C{i}", Workload(workload)) for i in ids],
        associations=[
            Association("P1", f"S{i}", AssociationKind.PAL, dt.date(2022, 1, 1)) for i in ids
        ],
        usage=[Usage(s, m, a) for s, m, a in usage],
        seats=[SeatUsage(s, m, paid, active) for s, m, paid, active in seats],
    )


def _one(requirement: Any, ledger: Ledger, as_of: dt.date) -> tuple[RequirementResult, ...]:
    """The requirement's result from evaluate_competency and from evaluate_all (the batch),
    after checking that the batch's array verdict (``Evaluations.met`` / ``.score``, scored
    before any evaluation is built) agrees with the single evaluation."""
    from partner_of_record.evaluation import Competency

    competency = Competency(
        name="ONE", title="one", requirement=requirement, source="test", published=as_of
    )
    single = evaluate_competency(ledger, "P1", competency, as_of=as_of)
    batch = evaluate_all(ledger, competency, as_of=as_of)
    assert batch.met["P1"] == single.met
    assert batch.score["P1"] == single.score
    return single.result, batch["P1"].result


MAY_23, MAY_24, AS_OF = dt.date(2023, 5, 1), dt.date(2024, 5, 1), dt.date(2024, 6, 15)


@pytest.mark.parametrize("strict", [False, True])
def test_a_customer_at_exactly_the_minimum_counts_unless_strict(strict: bool) -> None:
    """``AcrCustomers(min_usd=100)``: a customer with exactly US$100 counts ("at least"), and
    not with ``strict=True`` ("strictly more"); US$100.01 counts either way.

    Mutant: ``value > self.min_usd if self.strict`` -> ``>=``."""
    from partner_of_record import AssociationKind
    from partner_of_record.evaluation import AcrCustomers, AcrScope, AtLeast, DistinctCustomers

    ledger = _facts([("S1", MAY_24, "100.00"), ("S2", MAY_24, "100.01"), ("S3", MAY_24, "99.99")])
    rule = AcrCustomers(AcrScope({AssociationKind.PAL}), min_usd=100, strict=strict)
    for result in _one(AtLeast("customers", DistinctCustomers([rule]), 1), ledger, AS_OF):
        assert result.measured == (1 if strict else 2)


@pytest.mark.parametrize("base_customers", [0, 1, 2])
def test_net_customer_adds_subtract_the_base(base_customers: int) -> None:
    """Law: net customer adds = customers at m minus customers at m-12, batch and single.

    Mutant: ``net = np.diff(n_off) - np.diff(b_off)`` -> ``+`` in the batched net adds."""
    from partner_of_record import AssociationKind
    from partner_of_record.evaluation import AcrCustomers, AcrScope, AtLeast, NetCustomerAdds

    usage = [(f"S{i}", MAY_24, "10.00") for i in (1, 2, 3)]
    usage += [(f"S{i}", MAY_23, "10.00") for i in range(1, base_customers + 1)]
    measure = NetCustomerAdds([AcrCustomers(AcrScope({AssociationKind.PAL}))])
    net = 3 - base_customers
    for threshold in (net, net + 1):
        for result in _one(AtLeast("adds", measure, threshold), _facts(usage), AS_OF):
            assert result.measured == net
            assert result.met is (threshold == net)


@pytest.mark.parametrize(("amount", "met"), [("69.99", False), ("70.00", True), ("70.01", True)])
def test_a_scorecard_at_exactly_its_minimum_total_is_met(amount: str, met: bool) -> None:
    """A scorecard is met when its points reach ``minimum_total`` (70 of 70 is met), in the
    batch as in the single evaluation.

    Mutant: ``tot >= lo`` -> ``tot > lo`` in the batch's scorecard scoring."""
    from partner_of_record import AssociationKind
    from partner_of_record.evaluation import AcrScope, CreditedAcr, Scorecard, Scored

    scored = Scored("acr", CreditedAcr(AcrScope({AssociationKind.PAL})), cap=100, per_unit=1)
    ledger = _facts([("S1", MAY_24, amount)])
    for result in _one(Scorecard("card", [scored], minimum_total=70), ledger, AS_OF):
        assert result.met is met


def test_seat_customers_are_the_tenants_with_a_nonzero_value() -> None:
    """``SeatTotal`` lists the customers whose value is not zero: a tenant with paid seats and
    no active users adds 0 and is not listed.

    Mutant: ``if value: customers.add(customer)`` negated."""
    from partner_of_record import AssociationKind
    from partner_of_record.evaluation import AtLeast, SeatScope, SeatTotal

    seats = [("S1", MAY_24, 20, 12), ("S2", MAY_24, 30, 0)]
    ledger = _facts([], seats, workload="microsoft_365")
    scope = SeatScope({AssociationKind.PAL}, {"microsoft_365"})
    for result in _one(AtLeast("users", SeatTotal(scope), 1), ledger, AS_OF):
        assert result.measured == 12
        assert result.customers == ("C1",)


def test_chosen_child_falls_back_to_the_first_part() -> None:
    """``chosen_child`` is the part named by ``chosen``, else the first part.

    Mutant: ``return self.children[0]`` -> ``children[1]``."""
    import attrs

    from partner_of_record import AssociationKind
    from partner_of_record.evaluation import AcrScope, AtLeast, BestOf, CreditedAcr

    acr = CreditedAcr(AcrScope({AssociationKind.PAL}))
    tree = BestOf("best", [AtLeast("a", acr, 1), AtLeast("b", acr, 2), AtLeast("c", acr, 3)])
    [result, _] = _one(tree, _facts([("S1", MAY_24, "5.00")]), AS_OF)
    assert result.chosen_child().name == result.chosen
    unnamed = attrs.evolve(result, chosen=None)
    assert unnamed.chosen_child() is unnamed.children[0]


@pytest.mark.parametrize(
    ("base", "now", "minimum", "met"),
    [("100.00", "150.00", 0, True), ("100.00", "150.00", 1000, False), ("0", "150.00", 0, False)],
)
def test_acr_growth_is_eligible_with_a_base_and_enough_trailing_acr(
    base: str, now: str, minimum: int, met: bool
) -> None:
    """ACR growth of 50 % meets a 10 % threshold when there is a base month and the trailing
    ACR reaches ``minimum_usd``; with no base (growth undefined) or too little ACR it does not,
    in the batch's verdict as in the single evaluation.

    Mutant: ``eligible.append(enough and got is not None)`` -> ``got is None``."""
    from partner_of_record import AssociationKind
    from partner_of_record.evaluation import AcrGrowth, AcrScope, AtLeast

    usage = [("S1", MAY_24, now)] + ([("S1", MAY_23, base)] if base != "0" else [])
    growth = AcrGrowth(AcrScope({AssociationKind.PAL}), minimum_usd=minimum)
    for result in _one(AtLeast("growth", growth, 10), _facts(usage), AS_OF):
        assert result.met is met


def test_a_projection_over_a_ledger_without_usage_starts_on_a_first_of_month() -> None:
    """With no usage yet, the projection is asked from the first of ``as_of``'s month: the
    months it is given are always firsts of months.

    Mutant: ``as_of.replace(day=1)`` -> ``day=2`` (the no-data branch of the first month)."""
    asked: list[tuple[dt.date, dt.date]] = []

    def nothing_new(ledger: Ledger, first: dt.date, last: dt.date) -> tuple[()]:
        asked.append((first, last))
        return ()

    empty = _facts([])
    assert empty.months is None
    project_qualification(
        empty,
        "P1",
        ENTRIES[0],
        as_of=AS_OF,
        horizon=3,
        projection=nothing_new,
        assumption="nothing changes",
    )
    [(first, last)] = asked
    assert first == AS_OF.replace(day=1)
    assert last.day == 1
    assert first <= last
