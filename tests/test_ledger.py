"""The Ledger: structural checks, lenient loading, as-of queries, events and display."""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record.errors import Finding, LedgerError, PartnerOfRecordError
from partner_of_record.ledger import EventError, Ledger, LenientLoad, UnknownRecordError
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.rules import (
    DEFAULT_RULES,
    MICROSOFT_2017,
    MICROSOFT_2023,
    STRUCTURAL_CODES,
    Facts,
)

D = dt.date
K = AssociationKind
W = Workload

PARTNERS = (Partner("P1", "Contoso"), Partner("P2", "Northwind"), Partner("P3"))
CUSTOMERS = (Customer("C1"), Customer("C2"))
SUBS = (
    Subscription("S1", "C1", W.AZURE),
    Subscription("S2", "C1", W.OFFICE_365),
    Subscription("S3", "C2", W.AZURE),
)
ASSOCS = (
    Association("P1", "S1", K.DPOR, D(2024, 1, 1), D(2024, 4, 1)),
    Association("P2", "S1", K.DPOR, D(2024, 4, 1)),
    Association("P3", "S1", K.PAL, D(2024, 2, 1)),
    Association("P2", "S2", K.DAP, D(2023, 6, 1)),
)
USAGE = (
    Usage("S1", D(2024, 1, 1), "100"),
    Usage("S1", D(2024, 2, 1), "120", service="VMs"),
    Usage("S1", D(2024, 2, 1), "30", service="SQL"),
    Usage("S3", D(2024, 5, 1), "50", "EUR"),
)
SEATS = (SeatUsage("S2", D(2024, 1, 1), 40, 20), SeatUsage("S2", D(2024, 3, 1), 42, 30))


def base() -> Ledger:
    """A small valid ledger."""
    return Ledger(PARTNERS, CUSTOMERS, SUBS, ASSOCS, USAGE, SEATS)


# ------------------------------------------------------------------------------ construction


def test_a_valid_ledger_keeps_every_record_in_input_order() -> None:
    """A valid set of facts is kept whole, each type in input order."""
    led = base()
    assert led.partners == PARTNERS
    assert led.customers == CUSTOMERS
    assert led.subscriptions == SUBS
    assert led.associations == ASSOCS
    assert led.usage == USAGE
    assert led.seats == SEATS
    assert led.rules is DEFAULT_RULES
    assert led.findings == ()


def test_ledger_accepts_any_iterables() -> None:
    """Generators and lists are accepted as well as tuples."""
    led = Ledger(list(PARTNERS), (c for c in CUSTOMERS), iter(SUBS))
    assert led.subscriptions == SUBS


def test_ledger_error_is_a_value_error_of_the_project() -> None:
    """LedgerError derives from the project's base error and from ValueError."""
    with pytest.raises(LedgerError) as info:
        Ledger((Partner("P1"), Partner("P1")))
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, PartnerOfRecordError)


@pytest.mark.parametrize(
    ("changes", "code", "names"),
    [
        ({"partners": (*PARTNERS, Partner("P1", "again"))}, "DUPLICATE_ID", "Partner 'P1'"),
        ({"customers": (*CUSTOMERS, Customer("C2"))}, "DUPLICATE_ID", "Customer 'C2'"),
        (
            {"subscriptions": (*SUBS, Subscription("S2", "C2", W.INTUNE))},
            "DUPLICATE_ID",
            "Subscription 'S2'",
        ),
        (
            {"subscriptions": (*SUBS, Subscription("S9", "C9", W.AZURE))},
            "UNKNOWN_CUSTOMER",
            "Subscription 'S9'",
        ),
        (
            {"associations": (*ASSOCS, Association("P9", "S3", K.PAL, D(2024, 1, 1)))},
            "UNKNOWN_PARTNER",
            "PAL P9 on S3 [2024-01-01, open)",
        ),
        (
            {"associations": (*ASSOCS, Association("P1", "S9", K.PAL, D(2024, 1, 1)))},
            "UNKNOWN_SUBSCRIPTION",
            "PAL P1 on S9 [2024-01-01, open)",
        ),
        (
            {"associations": (*ASSOCS, Association("P3", "S1", K.PAL, D(2024, 3, 1)))},
            "DUPLICATE_ASSOCIATION",
            "PAL P3 on S1 [2024-03-01, open)",
        ),
        (
            {"usage": (*USAGE, Usage("S1", D(2024, 2, 1), "1", service="SQL"))},
            "DUPLICATE_USAGE",
            "Usage S1 2024-02 SQL 1 USD",
        ),
        ({"usage": (*USAGE, Usage("S7", D(2024, 2, 1), "1"))}, "UNKNOWN_SUBSCRIPTION", "S7"),
        (
            {"seats": (*SEATS, SeatUsage("S2", D(2024, 1, 1), 1, 1))},
            "DUPLICATE_SEATS",
            "SeatUsage S2 2024-01",
        ),
        ({"seats": (*SEATS, SeatUsage("S8", D(2024, 1, 1)))}, "UNKNOWN_SUBSCRIPTION", "S8"),
    ],
)
def test_structural_problem_is_reported_naming_the_record(
    changes: dict[str, Any], code: str, names: str
) -> None:
    """Each structural check raises a LedgerError with its code, naming the record."""
    facts: dict[str, Any] = {
        "partners": PARTNERS,
        "customers": CUSTOMERS,
        "subscriptions": SUBS,
        "associations": ASSOCS,
        "usage": USAGE,
        "seats": SEATS,
        **changes,
    }
    with pytest.raises(LedgerError) as info:
        Ledger(**facts)
    [finding] = info.value.findings
    assert finding.code == code
    assert code in STRUCTURAL_CODES
    assert names in finding.message
    assert finding.severity == "error"
    assert names in str(info.value)


def test_every_problem_is_listed_in_one_error() -> None:
    """Several problems of several kinds are all listed in one LedgerError."""
    with pytest.raises(LedgerError) as info:
        Ledger(
            (*PARTNERS, Partner("P2")),
            CUSTOMERS,
            (*SUBS, Subscription("S9", "CX", W.AZURE)),
            (*ASSOCS, Association("P3", "S1", K.DPOR, D(2024, 2, 1))),
            (*USAGE, Usage("S1", D(2024, 1, 1), "5")),
        )
    codes = Counter(f.code for f in info.value.findings)
    assert codes == Counter(
        {"DUPLICATE_ID": 1, "UNKNOWN_CUSTOMER": 1, "DPOR_OVERLAP": 1, "DUPLICATE_USAGE": 1}
    )


def test_records_of_the_wrong_type_are_a_type_error_naming_the_position() -> None:
    """A record passed in the wrong argument raises a TypeError naming argument and index."""
    with pytest.raises(TypeError, match=r"Ledger\.customers\[1\]: Partner\(id='P1'"):
        Ledger(PARTNERS, (CUSTOMERS[0], PARTNERS[0]))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"Ledger\.usage\[0\].* is not a Usage"):
        Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, usage=SEATS)  # type: ignore[arg-type]


def test_rules_must_be_a_rule_set() -> None:
    """Passing something other than a RuleSet as rules is a TypeError."""
    with pytest.raises(TypeError, match="RuleSet"):
        Ledger(rules="Microsoft 2017")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ lenient loading


def test_lenient_keeps_valid_records_and_rejects_the_rest_with_findings() -> None:
    """A lenient load keeps what is valid and returns the rest, each with its finding."""
    bad_sub = Subscription("S9", "CX", W.AZURE)
    overlap = Association("P3", "S1", K.DPOR, D(2024, 2, 1), D(2024, 3, 1))  # inside P1's window
    orphan_usage = Usage("S9", D(2024, 1, 1), "5")
    orphan_link = Association("P1", "S9", K.PAL, D(2024, 1, 1))
    result = Ledger.lenient(
        PARTNERS,
        CUSTOMERS,
        (*SUBS, bad_sub),
        (*ASSOCS, overlap, orphan_link),
        (*USAGE, orphan_usage),
        SEATS,
    )
    assert isinstance(result, LenientLoad)
    assert not result.ok
    assert result.ledger == base()
    rejected = {r.record: r.finding.code for r in result.rejected}
    assert rejected == {
        bad_sub: "UNKNOWN_CUSTOMER",
        overlap: "DPOR_OVERLAP",
        orphan_link: "REJECTED_REFERENCE",
        orphan_usage: "REJECTED_REFERENCE",
    }
    assert [r.record for r in result.rejected_of(Usage)] == [orphan_usage]
    for r in result.rejected:
        assert r.finding in result.findings


def test_lenient_overlap_keeps_the_earlier_starting_dpor() -> None:
    """Of two overlapping DPORs (a closed window and a later one starting inside it), the
    earlier-starting one is kept, whatever the input order."""
    early = Association("P2", "S3", K.DPOR, D(2024, 1, 1), D(2024, 3, 1))
    late = Association("P1", "S3", K.DPOR, D(2024, 2, 1))
    for order in ((early, late), (late, early)):
        result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, order)
        assert result.ledger.associations == (early,)
        assert [r.record for r in result.rejected] == [late]


def test_lenient_on_valid_data_is_the_strict_ledger() -> None:
    """On valid data a lenient load finds nothing and equals the strict ledger."""
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, ASSOCS, USAGE, SEATS)
    assert result.ok
    assert result.findings == ()
    assert result.ledger == base()


def test_strict_error_omits_cascade_findings() -> None:
    """A LedgerError lists root problems, not the records that only follow a rejected one."""
    with pytest.raises(LedgerError) as info:
        Ledger(
            PARTNERS,
            CUSTOMERS,
            (*SUBS, Subscription("S9", "CX", W.AZURE)),
            usage=(Usage("S9", D(2024, 1, 1), "5"),),
        )
    assert [f.code for f in info.value.findings] == ["UNKNOWN_CUSTOMER"]


# messy data: ids drawn from small pools so duplicates, unknown references and overlaps occur
_ids = st.sampled_from(["A", "B", "C", "D"])
_days = st.dates(min_value=D(2024, 1, 1), max_value=D(2024, 12, 31))
_months = st.sampled_from([D(2024, m, 1) for m in (1, 2, 3)])


@st.composite
def _association(draw: st.DrawFn) -> Association:
    start = draw(_days)
    length = draw(st.one_of(st.none(), st.integers(1, 900)))
    end = None if length is None else start + dt.timedelta(days=length)
    return Association(
        draw(_ids),
        draw(_ids),
        draw(st.sampled_from(list(AssociationKind))),
        start,
        end,
        granted_by=draw(st.one_of(st.none(), st.sampled_from(list(Actor)))),
    )


messy = st.fixed_dictionaries(
    {
        "partners": st.lists(st.builds(Partner, _ids), max_size=5),
        "customers": st.lists(st.builds(Customer, _ids), max_size=4),
        "subscriptions": st.lists(
            st.builds(Subscription, _ids, _ids, st.sampled_from(list(Workload))), max_size=5
        ),
        "associations": st.lists(_association(), max_size=12),
        "usage": st.lists(
            st.builds(
                Usage,
                _ids,
                _months,
                st.integers(-5, 100),
                st.sampled_from(["USD", "EUR"]),
                st.sampled_from([None, "VMs"]),
            ),
            max_size=10,
        ),
        "seats": st.lists(
            st.builds(SeatUsage, _ids, _months, st.integers(0, 9), st.integers(0, 9)), max_size=6
        ),
    }
)

_TYPES = {
    "partners": Partner,
    "customers": Customer,
    "subscriptions": Subscription,
    "associations": Association,
    "usage": Usage,
    "seats": SeatUsage,
}


@given(messy, st.sampled_from([MICROSOFT_2017, MICROSOFT_2023]))
def test_lenient_conserves_every_record(facts: dict[str, Any], rules: Any) -> None:
    """For each record type, input count == kept count + rejected count; nothing is dropped."""
    result = Ledger.lenient(**facts, rules=rules)
    summary = result.ledger.summary()
    for name, record_type in _TYPES.items():
        rejected = result.rejected_of(record_type)
        assert len(facts[name]) == summary[name] + len(rejected)
        kept = list(getattr(result.ledger, name))
        if record_type is Association:  # a handed-over DPOR is kept with the end it was given
            ended = {id(f.subject[0]) for f in result.findings if f.code == "DPOR_HANDOVER"}
            kept = [attrs.evolve(a, end=None) if id(a) in ended else a for a in kept]
        assert Counter(facts[name]) == Counter(kept) + Counter(r.record for r in rejected)


@given(messy, st.sampled_from([MICROSOFT_2017, MICROSOFT_2023]))
def test_lenient_result_is_valid_and_strict_agrees(facts: dict[str, Any], rules: Any) -> None:
    """The kept records form a valid ledger, and a strict build raises exactly the root findings."""
    result = Ledger.lenient(**facts, rules=rules)
    led = result.ledger
    again = Ledger(led.partners, led.customers, led.subscriptions, led.associations, led.usage,
                   led.seats, rules=rules)  # fmt: skip
    assert again == led
    roots = [f for f in result.findings if f.severity == "error" and f.code != "REJECTED_REFERENCE"]
    if any(f.code == "DPOR_HANDOVER" for f in result.findings):
        # the strict constructor applies no handover: it refuses the open-ended DPOR's overlap
        with pytest.raises(LedgerError) as info:
            Ledger(**facts, rules=rules)
        assert "DPOR_OVERLAP" in {f.code for f in info.value.findings}
    elif roots:
        with pytest.raises(LedgerError) as info:
            Ledger(**facts, rules=rules)
        assert list(info.value.findings) == roots
    else:
        assert Ledger(**facts, rules=rules) == led


@given(messy, st.randoms(use_true_random=False))
def test_ledger_does_not_depend_on_association_order(facts: dict[str, Any], rnd: Any) -> None:
    """Shuffling the associations gives an equal ledger and the same per-subscription history."""
    first = Ledger.lenient(**facts).ledger
    shuffled = list(facts["associations"])
    rnd.shuffle(shuffled)
    second = Ledger.lenient(**{**facts, "associations": shuffled}).ledger
    assert first == second
    for sub in first.subscriptions:
        assert first.associations_of(sub.id) == second.associations_of(sub.id)


@given(st.lists(_association(), max_size=10))
def test_dpor_overlap_matches_a_pairwise_oracle(assocs: list[Association]) -> None:
    """A lenient load refuses DPORs exactly when two DPORs of a subscription share a day once
    each open-ended DPOR is ended by the next DPOR of another partner (the handover)."""
    subs = [Subscription(i, "C", W.AZURE) for i in "ABCD"]
    partners = [Partner(i) for i in "ABCD"]
    dpors = [attrs.evolve(a, kind=K.DPOR, granted_by=None) for a in assocs]

    def handed(a: Association) -> Association:
        later = [
            b.start
            for b in dpors
            if b.subscription_id == a.subscription_id
            and b.partner_id != a.partner_id
            and b.start > a.start
        ]
        return attrs.evolve(a, end=min(later)) if a.end is None and later else a

    ended = [handed(a) for a in dpors]
    clash = any(
        a.subscription_id == b.subscription_id and a.overlaps(b.start, b.end)
        for i, a in enumerate(ended)
        for b in ended[i + 1 :]
    )
    result = Ledger.lenient(partners, [Customer("C")], subs, dpors)
    assert (not result.ok) == clash
    kept = result.ledger.associations
    assert not any(
        a.subscription_id == b.subscription_id and a.overlaps(b.start, b.end)
        for i, a in enumerate(kept)
        for b in kept[i + 1 :]
    )


# ------------------------------------------------------------------------------ lookups and queries


def test_lookups_by_id() -> None:
    """partner/customer/subscription return the record with the id."""
    led = base()
    assert led.partner("P2") is PARTNERS[1]
    assert led.customer("C2") is CUSTOMERS[1]
    assert led.subscription("S3") is SUBS[2]


@pytest.mark.parametrize(
    ("method", "record"),
    [
        ("partner", "Partner"),
        ("customer", "Customer"),
        ("subscription", "Subscription"),
        ("subscriptions_of", "Customer"),
        ("history", "Subscription"),
        ("usage_of", "Subscription"),
        ("seats_of", "Subscription"),
    ],
)
def test_unknown_ids_raise_a_key_error_naming_the_id(method: str, record: str) -> None:
    """Looking up an unknown id raises UnknownRecordError (a KeyError) naming type and id."""
    with pytest.raises(UnknownRecordError) as info:
        getattr(base(), method)("NOPE")
    assert isinstance(info.value, KeyError)
    assert (info.value.record, info.value.id) == (record, "NOPE")
    assert str(info.value) == f"no {record} with id 'NOPE' in the ledger"


def test_as_of_queries() -> None:
    """in_effect, partners_of and dpor answer for a given day (start <= day < end)."""
    led = base()
    assert led.in_effect("S1", D(2024, 1, 15)) == (ASSOCS[0],)
    assert led.in_effect("S1", D(2024, 3, 31)) == (ASSOCS[0], ASSOCS[2])
    assert led.in_effect("S1", D(2024, 4, 1)) == (ASSOCS[2], ASSOCS[1])
    assert led.in_effect("NOPE", D(2024, 4, 1)) == ()
    assert led.partners_of("S1", D(2024, 4, 1)) == frozenset({"P2", "P3"})
    assert led.partners_of("S1", D(2024, 4, 1), kinds=[K.DPOR]) == frozenset({"P2"})
    assert led.partners_of("S1", D(2023, 12, 31)) == frozenset()
    assert led.dpor("S1", D(2024, 3, 31)) == ASSOCS[0]
    assert led.dpor("S2", D(2024, 3, 31)) is None


def test_associations_of_are_ordered_by_start_kind_partner() -> None:
    """associations_of and history order by (start, kind value, partner id)."""
    same_day = (
        Association("P2", "S3", K.PAL, D(2024, 1, 1)),
        Association("P1", "S3", K.PAL, D(2024, 1, 1)),
        Association("P3", "S3", K.DPOR, D(2024, 1, 1)),
        Association("P3", "S3", K.CSP_TIER1, D(2023, 1, 1)),
    )
    led = Ledger(PARTNERS, CUSTOMERS, SUBS, same_day)
    expected = (same_day[3], same_day[2], same_day[1], same_day[0])
    assert led.associations_of("S3") == expected
    assert led.history("S3") == expected
    assert led.associations_of("NOPE") == ()


def test_customer_and_row_queries() -> None:
    """subscriptions_of, usage_of and seats_of return the records of one id in input order."""
    led = base()
    assert led.subscriptions_of("C1") == SUBS[:2]
    assert led.subscriptions_of("C2") == SUBS[2:]
    assert led.usage_of("S1") == USAGE[:3]
    assert led.usage_of("S2") == ()
    assert led.seats_of("S2") == SEATS
    assert Ledger(PARTNERS, (*CUSTOMERS, Customer("C3"))).subscriptions_of("C3") == ()


def test_months_summary_repr_and_html() -> None:
    """months spans the usage and seat months; summary, repr and HTML give the counts."""
    led = base()
    assert led.months == (D(2024, 1, 1), D(2024, 5, 1))
    assert Ledger().months is None
    assert led.summary() == {
        "partners": 3,
        "customers": 2,
        "subscriptions": 3,
        "associations": 4,
        "usage": 4,
        "seats": 2,
    }
    assert repr(led) == (
        "<Ledger partners=3, customers=2, subscriptions=3, associations=4, usage=4, seats=2, "
        "rules='Microsoft, all eras'>"
    )
    page = led._repr_html_()
    assert "<table>" in page
    assert "2024-01 to 2024-05" in page
    assert "Microsoft, all eras" in page
    assert "<td>4</td>" in page


def test_equality_is_by_facts_and_rules() -> None:
    """Ledgers are equal when they hold the same records (any order) under the same rules."""
    led = base()
    same = Ledger(PARTNERS[::-1], CUSTOMERS, SUBS[::-1], ASSOCS[::-1], USAGE[::-1], SEATS)
    assert led == same
    assert led != Ledger(PARTNERS, CUSTOMERS, SUBS, ASSOCS[:3], USAGE, SEATS)
    assert led != led.with_rules(MICROSOFT_2017.remove("GDAP_OPEN_ENDED"))
    assert led != "a ledger"


def test_with_rules_rechecks_the_facts() -> None:
    """Re-checking under the 2023 rules refuses the 2017-valid DPOR on Dynamics CRM Online."""
    crm = Subscription("S4", "C1", W.DYNAMICS_CRM_ONLINE)
    led = Ledger(
        PARTNERS, CUSTOMERS, (*SUBS, crm), (Association("P1", "S4", K.DPOR, D(2024, 1, 1)),)
    )
    with pytest.raises(LedgerError, match="DPOR_WORKLOAD"):
        led.with_rules(MICROSOFT_2023)
    assert led.with_rules(MICROSOFT_2017).rules is MICROSOFT_2017


# ------------------------------------------------------------------------------ events


def test_name_dpor_ends_the_previous_dpor_that_day() -> None:
    """Naming a new DPOR ends the one in effect on that day and starts the new one open-ended."""
    led = base().name_dpor("S1", "P3", D(2024, 6, 1))
    assert led.dpor("S1", D(2024, 5, 31)) == attrs.evolve(ASSOCS[1], end=D(2024, 6, 1))
    new = led.dpor("S1", D(2024, 6, 1))
    assert new == Association("P3", "S1", K.DPOR, D(2024, 6, 1), granted_by=Actor.CUSTOMER)
    assert base().associations == ASSOCS  # the original is unchanged
    assert len(led.associations) == len(ASSOCS) + 1


def test_name_dpor_on_a_subscription_without_one() -> None:
    """The first DPOR of a subscription just starts."""
    led = base().name_dpor("S3", "P1", D(2024, 2, 1))
    assert led.partners_of("S3", D(2024, 2, 1)) == frozenset({"P1"})
    assert led.partners_of("S3", D(2024, 1, 31)) == frozenset()


@pytest.mark.parametrize(
    ("partner", "day", "match"),
    [
        ("P2", D(2024, 6, 1), "already is"),
        ("P3", D(2024, 4, 1), "cannot end on its first day"),
        ("P3", D(2024, 3, 1), "starts later"),
    ],
)
def test_name_dpor_refusals(partner: str, day: dt.date, match: str) -> None:
    """Renaming the same DPOR, replacing one on its first day, or going back in time is refused."""
    with pytest.raises(EventError, match=match) as info:
        base().name_dpor("S1", partner, day)
    assert "'S1'" in str(info.value)


def test_name_dpor_is_checked_against_the_rules() -> None:
    """An event that breaks a rule raises a LedgerError naming the new association."""
    power_bi = Subscription("S4", "C1", W.POWER_BI)
    led = Ledger(PARTNERS, CUSTOMERS, (*SUBS, power_bi), rules=MICROSOFT_2023)
    with pytest.raises(LedgerError, match=r"DPOR P1 on S4 \[2024-01-01, open\)"):
        led.name_dpor("S4", "P1", D(2024, 1, 1))


def test_remove_dpor() -> None:
    """Removing the DPOR ends it that day; removing when there is none is refused."""
    led = base().remove_dpor("S1", D(2024, 7, 1))
    assert led.dpor("S1", D(2024, 7, 1)) is None
    assert led.dpor("S1", D(2024, 6, 30)) == attrs.evolve(ASSOCS[1], end=D(2024, 7, 1))
    with pytest.raises(EventError, match="there is none"):
        led.remove_dpor("S1", D(2024, 8, 1))


def test_pal_link_and_unlink() -> None:
    """link_pal adds an open PAL made by the partner; unlink_pal ends it that day."""
    led = base().link_pal("S3", "P1", D(2024, 3, 1), role="Contributor")
    link = Association(
        "P1", "S3", K.PAL, D(2024, 3, 1), granted_by=Actor.PARTNER, role="Contributor"
    )
    assert led.in_effect("S3", D(2024, 3, 1)) == (link,)
    led = led.unlink_pal("S3", "P1", D(2024, 5, 1))
    assert led.history("S3") == (attrs.evolve(link, end=D(2024, 5, 1)),)
    assert led.partners_of("S3", D(2024, 5, 1)) == frozenset()
    # a later link again is a second association in the history
    led = led.link_pal("S3", "P1", D(2024, 6, 1))
    assert len(led.history("S3")) == 2


def test_linking_twice_at_once_is_refused() -> None:
    """A second PAL of the same partner while the first is in effect is refused."""
    with pytest.raises(EventError, match=r"PAL P3 on S1 \[2024-02-01, open\)"):
        base().link_pal("S1", "P3", D(2024, 9, 1))


def test_dap_grant_and_revoke() -> None:
    """grant_dap and revoke_dap record and end a customer-granted DAP; DAP on Azure is refused."""
    led = base().revoke_dap("S2", "P2", D(2024, 2, 1))
    assert led.partners_of("S2", D(2024, 2, 1)) == frozenset()
    led = led.grant_dap("S2", "P1", D(2024, 3, 1))
    assert led.partners_of("S2", D(2024, 3, 1)) == frozenset({"P1"})
    with pytest.raises(LedgerError, match="ADMIN_ON_AZURE"):
        led.grant_dap("S1", "P1", D(2024, 3, 1))


def test_gdap_grant_and_revoke() -> None:
    """grant_gdap records a time-bound GDAP; more than two years is refused; revoke ends it."""
    led = base().grant_gdap("S2", "P1", D(2024, 1, 1), D(2025, 1, 1))
    assert led.partners_of("S2", D(2024, 12, 31)) >= {"P1"}
    assert "P1" not in led.partners_of("S2", D(2025, 1, 1))
    with pytest.raises(LedgerError, match="GDAP_TOO_LONG"):
        base().grant_gdap("S2", "P1", D(2024, 1, 1), D(2026, 1, 2))
    led = led.revoke_gdap("S2", "P1", D(2024, 6, 1))
    assert "P1" not in led.partners_of("S2", D(2024, 6, 1))


def test_cpor_claims() -> None:
    """claim_cpor records a claim; a rival claim on the same tenant and workload is refused."""
    led = base().claim_cpor("S2", "P1", D(2024, 1, 1))
    assert "P1" in led.partners_of("S2", D(2024, 1, 1), kinds=[K.CPOR])
    with pytest.raises(LedgerError, match="CPOR_OVERLAP"):
        led.claim_cpor("S2", "P2", D(2024, 2, 1), D(2024, 3, 1))


@pytest.mark.parametrize(
    ("partner", "kind", "day", "match"),
    [
        ("P1", K.PAL, D(2024, 5, 1), "there is none"),
        ("P3", K.PAL, D(2024, 1, 15), "before its start 2024-02-01"),
        ("P3", K.PAL, D(2024, 2, 1), "must be after its start"),
        ("P1", K.DPOR, D(2024, 5, 1), "none is in effect"),
    ],
)
def test_end_association_refusals(
    partner: str, kind: AssociationKind, day: dt.date, match: str
) -> None:
    """Ending what is not in effect, or on or before its start, is refused with the reason."""
    with pytest.raises(EventError, match=match):
        base().end_association("S1", partner, kind, day)


def test_events_refuse_unknown_ids() -> None:
    """Events naming an unknown subscription or partner raise UnknownRecordError."""
    with pytest.raises(UnknownRecordError, match="Subscription"):
        base().link_pal("S9", "P1", D(2024, 1, 1))
    with pytest.raises(UnknownRecordError, match="Partner"):
        base().name_dpor("S1", "P9", D(2024, 6, 1))


def test_add_records() -> None:
    """add() checks new records of any type like a new ledger and returns a new ledger."""
    led = base().add(
        Partner("P4"),
        Subscription("S4", "C2", W.INTUNE),
        Association("P4", "S4", K.DPOR, D(2024, 1, 1)),
        Usage("S4", D(2024, 1, 1), Decimal("9.99")),
        SeatUsage("S4", D(2024, 1, 1), 3, 2),
    )
    assert led.partners_of("S4", D(2024, 1, 1)) == frozenset({"P4"})
    assert led.usage_of("S4") == (Usage("S4", D(2024, 1, 1), Decimal("9.99")),)
    only_links = base().add(Association("P1", "S3", K.PAL, D(2024, 1, 1)))
    assert only_links.usage is base().usage or only_links.usage == USAGE
    with pytest.raises(LedgerError, match="UNKNOWN_SUBSCRIPTION"):
        base().add(Usage("S9", D(2024, 1, 1), "1"))
    with pytest.raises(LedgerError, match=r"UNKNOWN_PARTNER.*PAL P9 on S3"):
        base().add(Association("P9", "S3", K.PAL, D(2024, 1, 1)))
    with pytest.raises(LedgerError, match=r"DUPLICATE_ASSOCIATION.*PAL P3 on S1 \[2024-03-01"):
        base().add(Association("P3", "S1", K.PAL, D(2024, 3, 1)))
    with pytest.raises(TypeError, match="not a model record"):
        base().add("P5")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ rules and cascades


@attrs.frozen
class RefuseSubscription:
    """A user rule refusing one subscription by id (to test cascades)."""

    sub_id: str
    code: str = "REFUSED_SUBSCRIPTION"
    description: str = "this subscription is refused"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield an error naming the refused subscription, if present."""
        sub = facts.subscriptions.get(self.sub_id)
        if sub is not None:
            yield Finding(self.code, f"Subscription {sub.id!r} is refused", (sub,))


def test_a_rule_rejecting_a_subscription_cascades_to_its_records() -> None:
    """When a rule rejects a subscription, its associations, usage and seats are rejected too."""
    rules = MICROSOFT_2017.extend(RefuseSubscription("S2"))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, ASSOCS, USAGE, SEATS, rules=rules)
    assert [s.id for s in result.ledger.subscriptions] == ["S1", "S3"]
    assert {(type(r.record).__name__, r.finding.code) for r in result.rejected} == {
        ("Subscription", "REFUSED_SUBSCRIPTION"),
        ("Association", "REJECTED_REFERENCE"),
        ("SeatUsage", "REJECTED_REFERENCE"),
    }
    assert len(result.rejected) == 1 + 1 + len(SEATS)
    assert result.ledger.seats == ()
    with pytest.raises(LedgerError) as info:
        Ledger(PARTNERS, CUSTOMERS, SUBS, ASSOCS, USAGE, SEATS, rules=rules)
    assert [f.code for f in info.value.findings] == ["REFUSED_SUBSCRIPTION"]


@attrs.frozen
class RefuseEntity:
    """A user rule refusing the partner or customer with one id (to test cascades)."""

    kind: str
    entity_id: str
    code: str = "REFUSED_ENTITY"
    description: str = "this partner or customer is refused"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield an error naming the refused partner or customer, if present."""
        found: Partner | Customer | None = (
            facts.partners.get(self.entity_id)
            if self.kind == "partner"
            else facts.customers.get(self.entity_id)
        )
        if found is not None:
            yield Finding(self.code, f"{self.kind} {found.id!r} is refused", (found,))


def test_a_rule_rejecting_a_customer_cascades_through_its_subscriptions() -> None:
    """A rejected customer takes its subscriptions and, through them, their associations,
    usage and seats with it; each cascaded record names the rejected record it refers to."""
    rules = MICROSOFT_2017.extend(RefuseEntity("customer", "C1"))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, ASSOCS, USAGE, SEATS, rules=rules)
    assert [c.id for c in result.ledger.customers] == ["C2"]
    assert [s.id for s in result.ledger.subscriptions] == ["S3"]
    assert result.ledger.associations == ()
    assert result.ledger.usage == (USAGE[3],)
    assert result.ledger.seats == ()
    codes = Counter((type(r.record).__name__, r.finding.code) for r in result.rejected)
    assert codes == {
        ("Customer", "REFUSED_ENTITY"): 1,
        ("Subscription", "REJECTED_REFERENCE"): 2,
        ("Association", "REJECTED_REFERENCE"): len(ASSOCS),
        ("Usage", "REJECTED_REFERENCE"): 3,
        ("SeatUsage", "REJECTED_REFERENCE"): len(SEATS),
    }
    sub_rejection = next(r for r in result.rejected if type(r.record) is Subscription)
    assert "customer_id 'C1' names a Customer that was rejected" in sub_rejection.finding.message
    link_rejection = next(r for r in result.rejected if type(r.record) is Association)
    assert "subscription_id 'S1' names a Subscription that was rejected" in (
        link_rejection.finding.message
    )


def test_a_rule_rejecting_a_partner_cascades_to_its_associations_only() -> None:
    """A rejected partner takes its associations with it; subscriptions and usage stay."""
    rules = MICROSOFT_2017.extend(RefuseEntity("partner", "P2"))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, ASSOCS, USAGE, SEATS, rules=rules)
    assert [p.id for p in result.ledger.partners] == ["P1", "P3"]
    assert result.ledger.associations == (ASSOCS[0], ASSOCS[2])
    assert result.ledger.subscriptions == SUBS
    assert result.ledger.usage == USAGE
    assert [(type(r.record).__name__, r.finding.code) for r in result.rejected] == [
        ("Partner", "REFUSED_ENTITY"),
        ("Association", "REJECTED_REFERENCE"),
        ("Association", "REJECTED_REFERENCE"),
    ]
    assert all("partner_id 'P2'" in r.finding.message for r in result.rejected[1:])
    assert result.ledger.associations_of("S1") == (ASSOCS[0], ASSOCS[2])
    assert result.ledger.in_effect("S1", D(2024, 5, 1)) == (ASSOCS[2],)


def test_facts_of_kinds_yields_kind_by_kind() -> None:
    """Facts.of_kinds yields the associations of the asked kinds, kind by kind."""
    seen: list[list[Association]] = []

    @attrs.frozen
    class Spy:
        code: str = "SPY"
        description: str = "records what it sees"

        def check(self, facts: Facts) -> Iterator[Finding]:
            seen.append(list(facts.of_kinds([K.PAL, K.DAP])))
            return iter(())

    Ledger(PARTNERS, CUSTOMERS, SUBS, ASSOCS, rules=MICROSOFT_2017.extend(Spy()))
    assert seen == [[ASSOCS[2], ASSOCS[3]]]


def test_garbage_collection_is_restored_after_a_failed_check() -> None:
    """Checking pauses the cyclic GC but restores it, also when the ledger is refused."""
    assert gc.isenabled()
    with pytest.raises(LedgerError):
        Ledger((Partner("P1"), Partner("P1")))
    assert gc.isenabled()
    gc.disable()
    try:
        base()
        assert not gc.isenabled()
    finally:
        gc.enable()


# ------------------------------------------------------------------------------ one home each


def test_the_verbs_of_one_kind_are_associate_or_end_association_with_that_kind() -> None:
    """link_pal, grant_dap, grant_gdap and claim_cpor record what ``associate`` records with
    their kind and actor; unlink_pal, revoke_dap and revoke_gdap what ``end_association`` does."""
    led = base()
    on, end = D(2024, 7, 1), D(2025, 7, 1)
    assert led.link_pal("S1", "P1", on, role="Owner") == led.associate(
        "S1", "P1", K.PAL, on, granted_by=Actor.PARTNER, role="Owner"
    )
    assert led.grant_dap("S2", "P1", on) == led.associate(
        "S2", "P1", K.DAP, on, granted_by=Actor.CUSTOMER
    )
    assert led.grant_gdap("S2", "P1", on, end, auto_extend_days=180) == led.associate(
        "S2", "P1", K.GDAP, on, end, granted_by=Actor.CUSTOMER, auto_extend_days=180
    )
    assert led.claim_cpor("S2", "P3", on, end) == led.associate("S2", "P3", K.CPOR, on, end)
    assert led.unlink_pal("S1", "P3", on) == led.end_association("S1", "P3", K.PAL, on)
    assert led.revoke_dap("S2", "P2", on) == led.end_association("S2", "P2", K.DAP, on)
    gdap = led.grant_gdap("S2", "P1", on, end)
    later = D(2024, 9, 1)
    assert gdap.revoke_gdap("S2", "P1", later) == gdap.end_association("S2", "P1", K.GDAP, later)
    with pytest.raises(EventError, match="cannot end the DAP"):
        led.revoke_dap("S2", "P1", on)


@given(st.lists(st.sampled_from(list(AssociationKind)), max_size=40))
def test_kind_codes_are_each_kinds_rank_by_value(kinds: list[AssociationKind]) -> None:
    """The ledger's index codes each association's kind as its rank among all kinds ordered by
    value, whichever kinds are present (the coding is ``_codes.value_codes``)."""
    from partner_of_record.ledger._links import _KINDS_IN_ORDER, _kind_codes

    assert [k.value for k in _KINDS_IN_ORDER] == sorted(k.value for k in AssociationKind)
    assocs = [Association("P1", "S1", k, D(2024, 1, 1)) for k in kinds]
    assert _kind_codes(assocs).tolist() == [_KINDS_IN_ORDER.index(k) for k in kinds]


@given(
    st.lists(st.one_of(st.none(), st.sampled_from(list(Workload)), st.text(max_size=2))),
    st.booleans(),
)
def test_value_codes_code_equal_values_alike(values: list[Any], ordered: bool) -> None:
    """``value_codes`` gives equal values (also equal but distinct objects) one code, each code
    names its value, and codes follow the values' order (``None`` first, enum members by
    value) or, unordered, their first appearance."""
    from partner_of_record._codes import value_codes

    values = [v if not isinstance(v, str) else "".join(list(v)) for v in values]  # new objects
    codes, distinct = value_codes(values, ordered=ordered)
    assert [distinct[c] for c in codes.tolist()] == values
    assert len(distinct) == len(set(map(repr, distinct)))
    if ordered:
        key = [
            (0, "") if v is None else (1, v.value if isinstance(v, Workload) else v)
            for v in distinct
        ]
        assert key == sorted(key)
    else:
        assert distinct == list(dict.fromkeys(values))
