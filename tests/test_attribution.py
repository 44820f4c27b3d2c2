"""Worked examples for the attribution engine: proration, rounding, unattributed, currencies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from partner_of_record.attribution import (
    FIELDS,
    Credit,
    Credits,
    CurrencyMixError,
    EqualSplit,
    Priority,
    RecognizeAll,
    attribute,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Usage,
    Workload,
)

D = dt.date
K = AssociationKind
JAN = D(2024, 1, 1)
FEB = D(2024, 2, 1)
MAR = D(2024, 3, 1)


def make_ledger(
    associations: list[Association],
    usage: list[Usage],
    subscriptions: list[Subscription] | None = None,
) -> Ledger:
    """Build a small ledger: partners P1..P4, customers C1, C2, Azure subscriptions S1..S3."""
    subs = subscriptions or [
        Subscription("S1", "C1", Workload.AZURE),
        Subscription("S2", "C1", Workload.AZURE),
        Subscription("S3", "C2", Workload.AZURE),
    ]
    return Ledger(
        partners=[Partner(f"P{i}") for i in range(1, 5)],
        customers=[Customer("C1"), Customer("C2")],
        subscriptions=subs,
        associations=associations,
        usage=usage,
    )


@pytest.fixture
def handover() -> Ledger:
    """P1 holds a PAL all along; P2 becomes DPOR on January 11th; S2 has nobody; S3 pays EUR."""
    return make_ledger(
        [
            Association("P1", "S1", K.PAL, D(2023, 12, 1)),
            Association("P2", "S1", K.DPOR, D(2024, 1, 11)),
            Association("P3", "S3", K.PAL, D(2024, 1, 1), D(2024, 2, 1)),
        ],
        [
            Usage("S1", JAN, "310.00", service="SQL"),
            Usage("S1", FEB, "100.00", service="SQL"),
            Usage("S1", FEB, "29.00", service="VM"),
            Usage("S2", JAN, "42.00"),
            Usage("S3", JAN, "50.00", "EUR"),
            Usage("S3", FEB, "70.00", "EUR"),
        ],
    )


def by_key(credits: Credits) -> dict[tuple[str, str, dt.date, str | None], Decimal]:
    """Map (partner, subscription, month, service) to the credited amount."""
    return {(c.partner_id, c.subscription_id, c.month, c.service): c.amount for c in credits}


def test_credit_starts_on_the_association_day_and_is_not_retroactive(handover: Ledger) -> None:
    """A DPOR named on January 11th earns 21 of January's 31 days, and all of February."""
    credits = by_key(attribute(handover))
    assert credits[("P2", "S1", JAN, "SQL")] == Decimal("210.00")
    assert credits[("P2", "S1", FEB, "SQL")] == Decimal("100.00")
    assert credits[("P1", "S1", JAN, "SQL")] == Decimal("310.00")


def test_association_end_day_is_exclusive(handover: Ledger) -> None:
    """A PAL ending on February 1st earns all of January and nothing in February."""
    credits = by_key(attribute(handover))
    assert credits[("P3", "S3", JAN, None)] == Decimal("50.00")
    assert ("P3", "S3", FEB, None) not in credits


def test_recognize_all_credits_every_partner_in_full_once(handover: Ledger) -> None:
    """Under RecognizeAll two partners each get the whole overlapping amount, once each."""
    credits = attribute(handover).filter(subscription_id="S1")
    assert credits.totals() == {"P1": Decimal("439.00"), "P2": Decimal("339.00")}
    assert len(credits) == 6


def test_partner_holding_several_kinds_is_credited_once() -> None:
    """A partner with a PAL and the DPOR at once gets one credit carrying both kinds."""
    ledger = make_ledger(
        [
            Association("P1", "S1", K.PAL, JAN),
            Association("P1", "S1", K.DPOR, JAN),
        ],
        [Usage("S1", JAN, "10.00")],
    )
    (credit,) = attribute(ledger)
    assert credit.amount == Decimal("10.00")
    assert credit.kinds == frozenset({K.PAL, K.DPOR})
    assert credit.share == 1


def test_unattributed_usage_is_kept_with_days_and_reason(handover: Ledger) -> None:
    """Usage with no partner goes to the unattributed part, with its days and a reason."""
    credits = attribute(handover)
    parts = {(u.usage.subscription_id, u.usage.month): u for u in credits.unattributed}
    s2 = parts[("S2", JAN)]
    assert s2.amount == Decimal("42.00")
    assert s2.days == 31
    assert "no partner" in s2.reason
    assert parts[("S3", FEB)].amount == Decimal("70.00")
    assert credits.unattributed_total(currency="USD") == Decimal("42.00")
    assert credits.unattributed_total(currency="EUR") == Decimal("70.00")


def test_partly_covered_month_leaves_the_uncovered_days_unattributed() -> None:
    """A PAL from the 21st of a 31-day month leaves 20 days' worth unattributed."""
    ledger = make_ledger(
        [Association("P1", "S1", K.PAL, D(2024, 1, 21))],
        [Usage("S1", JAN, "31.00")],
    )
    credits = attribute(ledger)
    assert credits.total() == Decimal("11.00")
    (part,) = credits.unattributed
    assert (part.amount, part.days) == (Decimal("20.00"), 20)
    assert "20 of 31 days" in part.reason


def test_total_over_several_currencies_is_an_error_naming_them(handover: Ledger) -> None:
    """One total over USD and EUR credits raises CurrencyMixError naming both currencies."""
    credits = attribute(handover)
    with pytest.raises(CurrencyMixError, match="EUR, USD") as info:
        credits.total()
    assert info.value.currencies == ("EUR", "USD")
    with pytest.raises(CurrencyMixError):
        credits.totals(by="partner_id")
    with pytest.raises(CurrencyMixError):
        credits.unattributed_total()
    assert credits.currencies() == frozenset({"EUR", "USD"})


def test_totals_per_currency_never_add_currencies(handover: Ledger) -> None:
    """Grouping by partner and currency keeps each currency's total apart."""
    totals = attribute(handover).totals(by=("partner_id", "currency"))
    assert totals == {
        ("P1", "USD"): Decimal("439.00"),
        ("P2", "USD"): Decimal("339.00"),
        ("P3", "EUR"): Decimal("50.00"),
    }
    assert attribute(handover).total(currency="EUR") == Decimal("50.00")


def test_filters_accept_one_value_or_a_collection(handover: Ledger) -> None:
    """Each filter takes one value or several; kind matches credits whose kinds intersect."""
    credits = attribute(handover)
    assert credits.total(partner_id="P2") == Decimal("339.00")
    assert credits.total(partner_id=["P1", "P2"], service="SQL") == Decimal("720.00")
    assert credits.total(kind=K.DPOR) == Decimal("339.00")
    assert credits.filter(kind=[K.DPOR, K.PAL]).partners() == frozenset({"P1", "P2", "P3"})
    assert credits.total(customer_id="C2") == Decimal("50.00")
    assert credits.total(subscription_id="S1", start=FEB, end=MAR) == Decimal("258.00")
    assert credits.total(workload=Workload.OFFICE_365) == Decimal("0")
    assert len(credits.filter(service=("VM",))) == 2
    assert credits.filter(partner_id="nobody").total() == Decimal("0")


def test_filter_keeps_unattributed_for_row_filters_only(handover: Ledger) -> None:
    """Row filters keep matching unattributed parts; a partner filter leaves none."""
    credits = attribute(handover)
    assert credits.filter(customer_id="C1").unattributed_total() == Decimal("42.00")
    assert credits.filter(partner_id="P1").unattributed == ()


def test_totals_group_by_any_field_and_tuples(handover: Ledger) -> None:
    """totals(by=...) groups by any credit field, or a tuple of fields."""
    credits = attribute(handover).filter(currency="USD")
    assert credits.totals(by="month") == {JAN: Decimal("520.00"), FEB: Decimal("258.00")}
    assert credits.totals(by="service") == {"SQL": Decimal("720.00"), "VM": Decimal("58.00")}
    assert credits.totals(by=("partner_id", "month"))[("P2", JAN)] == Decimal("210.00")
    assert credits.totals(by="kinds") == {
        frozenset({K.DPOR}): Decimal("339.00"),
        frozenset({K.PAL}): Decimal("439.00"),
    }
    assert credits.totals(by="customer_id") == {"C1": Decimal("778.00")}
    assert credits.totals(by="workload") == {Workload.AZURE: Decimal("778.00")}
    assert credits.totals(by="share")[Fraction(21, 31)] == Decimal("210.00")
    for field in FIELDS:
        assert sum(credits.totals(by=field).values()) == credits.total()


def test_totals_agree_with_materialised_credits(handover: Ledger) -> None:
    """Column-wise totals equal the sum over the materialised Credit objects."""
    credits = attribute(handover, EqualSplit())
    expected: dict[tuple[str, str], Decimal] = {}
    for c in credits:
        key = (c.partner_id, c.currency)
        expected[key] = expected.get(key, Decimal(0)) + c.amount
    assert credits.totals(by=("partner_id", "currency")) == expected


def test_totals_rejects_unknown_field(handover: Ledger) -> None:
    """Asking totals by a field that does not exist is a ValueError naming it."""
    with pytest.raises(ValueError, match="'colour'"):
        attribute(handover).totals(by="colour")
    with pytest.raises(ValueError, match="at least one"):
        attribute(handover).totals(by=())


def test_empty_selection_totals_zero(handover: Ledger) -> None:
    """An empty selection totals Decimal('0') and has no partners or currencies."""
    empty = attribute(handover).filter(partner_id="P9")
    assert empty.total() == Decimal("0")
    assert empty.totals() == {}
    assert empty.partners() == frozenset()
    assert not empty
    assert empty.currencies() == frozenset()


def test_start_end_restrict_attribution_to_months(handover: Ledger) -> None:
    """attribute(start=, end=) attributes only months in [start, end)."""
    credits = attribute(handover, start=FEB, end=MAR)
    assert {c.month for c in credits} == {FEB}
    assert credits.unattributed_total(currency="USD") == Decimal("0")
    with pytest.raises(TypeError, match="start"):
        attribute(handover, start="2024-01-01")  # type: ignore[arg-type]


def test_equal_split_three_ways_conserves_cents_by_largest_remainder() -> None:
    """1.00 split three ways gives 0.34 to the first partner by id and 0.33 to the others."""
    ledger = make_ledger(
        [
            Association("P3", "S1", K.PAL, JAN),
            Association("P1", "S1", K.PAL, JAN),
            Association("P2", "S1", K.DPOR, JAN),
        ],
        [Usage("S1", JAN, "1.00"), Usage("S2", JAN, "-1.00")],
        [
            Subscription("S1", "C1", Workload.AZURE),
            Subscription("S2", "C1", Workload.AZURE),
        ],
    )
    credits = attribute(ledger, EqualSplit())
    assert [(c.partner_id, c.amount) for c in credits] == [
        ("P1", Decimal("0.34")),
        ("P2", Decimal("0.33")),
        ("P3", Decimal("0.33")),
    ]
    assert all(c.share == Fraction(1, 3) for c in credits)
    assert credits.reconcile().ok


def test_negative_amount_split_mirrors_the_charge() -> None:
    """A refund of -1.00 split three ways is the exact mirror of a 1.00 charge."""
    ledger = make_ledger(
        [Association(p, "S1", K.PAL, JAN) for p in ("P1", "P2", "P3")],
        [Usage("S1", JAN, "-1.00")],
    )
    credits = attribute(ledger, EqualSplit())
    assert [c.amount for c in credits] == [Decimal("-0.34"), Decimal("-0.33"), Decimal("-0.33")]


def test_split_unattributed_days_take_their_share_of_the_cents() -> None:
    """A split over a partly covered month gives the uncovered days to the unattributed part."""
    ledger = make_ledger(
        [
            Association("P1", "S1", K.PAL, D(2024, 1, 11)),
            Association("P2", "S1", K.PAL, D(2024, 1, 11)),
        ],
        [Usage("S1", JAN, "1.00")],
    )
    credits = attribute(ledger, EqualSplit())
    amounts = [c.amount for c in credits]
    assert sum(amounts) + credits.unattributed_total() == Decimal("1.00")
    assert credits.unattributed_total() == Decimal("0.32")
    assert amounts == [Decimal("0.34"), Decimal("0.34")]


def test_recognize_all_rounds_each_credit_half_even() -> None:
    """Half a cent rounds to even: 0.01 x 15/30 -> 0.00, and 0.03 x 15/30 -> 0.02."""
    apr, may = D(2024, 4, 1), D(2024, 5, 1)
    ledger = make_ledger(
        [
            Association("P1", "S1", K.PAL, D(2024, 4, 16), may),
            Association("P1", "S2", K.PAL, D(2024, 4, 16), may),
        ],
        [Usage("S1", apr, "0.01"), Usage("S2", apr, "0.03")],
    )
    credits = attribute(ledger)
    assert [c.amount for c in credits] == [Decimal("0.00"), Decimal("0.02")]
    assert [u.amount for u in credits.unattributed] == [Decimal("0.00"), Decimal("0.02")]
    assert credits.reconcile().ok


def test_amounts_are_rounded_to_each_currency_minor_unit() -> None:
    """JPY credits have no decimals, KWD three; the input is rounded half to even first."""
    ledger = make_ledger(
        [
            Association("P1", "S1", K.PAL, JAN),
            Association("P1", "S2", K.PAL, JAN),
        ],
        [Usage("S1", JAN, "100.5", "JPY"), Usage("S2", JAN, "1.23456", "KWD")],
    )
    credits = attribute(ledger)
    assert credits.total(currency="JPY") == Decimal("100")
    assert str(credits.total(currency="KWD")) == "1.235"


def test_priority_picks_one_partner_by_kind_order() -> None:
    """Under the Azure usage report order a PAL outranks the DPOR, and the rule says so."""
    ledger = make_ledger(
        [
            Association("P1", "S1", K.DPOR, JAN),
            Association("P2", "S1", K.PAL, D(2024, 1, 11)),
        ],
        [Usage("S1", JAN, "31.00")],
    )
    credits = attribute(ledger, Priority(Priority.AZURE_USAGE_REPORT))
    assert credits.totals() == {"P1": Decimal("10.00"), "P2": Decimal("21.00")}
    (p2,) = credits.filter(partner_id="P2")
    assert p2.explanation.rule == "Priority: PAL outranks DPOR"
    assert p2.kinds == frozenset({K.PAL})
    assert credits.reconcile().ok


def test_credit_explanation_lists_associations_spans_policy_and_rule(handover: Ledger) -> None:
    """Each credit carries its associations, the month's spans with days, policy and rule."""
    credit = next(
        c for c in attribute(handover) if (c.partner_id, c.month, c.service) == ("P2", JAN, "SQL")
    )
    ex = credit.explanation
    assert ex.policy == "recognize_all"
    assert ex.rule.startswith("RecognizeAll")
    assert ex.associations == (Association("P2", "S1", K.DPOR, D(2024, 1, 11)),)
    assert [(s.start, s.end, s.days) for s in ex.spans] == [
        (JAN, D(2024, 1, 11), 10),
        (D(2024, 1, 11), FEB, 21),
    ]
    assert ex.spans[1].shares == (("P1", Fraction(1)), ("P2", Fraction(1)))
    assert "DPOR P2 on S1" in str(ex)


def test_explain_text_goes_down_to_usage_rows_and_associations(handover: Ledger) -> None:
    """Credits.explain names the partner's total, each usage row, association and span."""
    text = attribute(handover).explain("P2", currency="USD")
    assert text.startswith("Partner P2: 339.00 USD from 3 usage row(s)")
    assert "S1 2024-01 SQL 310.00 USD" in text
    assert "DPOR P2 on S1 [2024-01-11, open)" in text
    assert "2024-01-11..2024-01-31 (21 days)" in text
    assert "no credits" in attribute(handover).explain("P4")


def test_credit_is_frozen_with_valid_repr(handover: Ledger) -> None:
    """A Credit is immutable and its repr names its fields."""
    credit = next(iter(attribute(handover)))
    assert isinstance(credit, Credit)
    with pytest.raises(AttributeError):
        credit.amount = Decimal(0)  # type: ignore[misc]
    assert repr(credit).startswith("Credit(partner_id='P1'")


def test_credits_keep_ledger_and_policy_and_cannot_be_built_directly(handover: Ledger) -> None:
    """Credits expose the ledger and policy; the public constructor refuses to build one."""
    policy = EqualSplit()
    credits = attribute(handover, policy)
    assert credits.ledger is handover
    assert credits.policy is policy
    assert "equal_split" in repr(credits)
    with pytest.raises(TypeError, match="attribute"):
        Credits()


def test_repr_html_shows_totals_by_partner_and_currency(handover: Ledger) -> None:
    """The notebook view is a table of totals by partner and currency."""
    page = attribute(handover)._repr_html_()
    assert "<table>" in page
    assert "<td>P3</td><td>EUR</td>" in page
    assert "439.00" in page


def test_default_policy_is_recognize_all(handover: Ledger) -> None:
    """attribute() without a policy uses RecognizeAll()."""
    assert attribute(handover).policy == RecognizeAll()


def test_object_without_shares_is_not_a_policy(handover: Ledger) -> None:
    """Passing an object with no shares method is a TypeError."""
    with pytest.raises(TypeError, match="shares"):
        attribute(handover, object())  # type: ignore[arg-type]


def test_empty_ledger_gives_empty_credits_that_reconcile() -> None:
    """A ledger without usage gives no credits, zero totals and a passing reconciliation."""
    credits = attribute(Ledger(), EqualSplit())
    assert len(credits) == 0
    assert credits.total() == Decimal("0")
    assert credits.totals(by=("partner_id", "month")) == {}
    assert credits.unattributed_total() == Decimal("0")
    assert credits.reconcile().ok


def test_to_pandas_has_one_row_per_credit_with_the_credit_fields(handover: Ledger) -> None:
    """Credits.to_pandas() holds every credit's fields, kinds as sorted comma-joined values."""
    pytest.importorskip("pandas")
    credits = attribute(handover)
    frame = credits.to_pandas()
    assert list(frame.columns) == [
        "partner_id",
        "subscription_id",
        "customer_id",
        "workload",
        "month",
        "service",
        "currency",
        "amount",
        "kinds",
        "share",
    ]
    expected = [
        (
            c.partner_id,
            c.subscription_id,
            c.customer_id,
            c.workload.value,
            c.month,
            c.service,
            c.currency,
            c.amount,
            ",".join(sorted(k.value for k in c.kinds)),
            c.share,
        )
        for c in credits
    ]
    assert [tuple(row) for row in frame.itertuples(index=False)] == expected
    assert len(frame) == len(credits) > 0
    mine = credits.filter(partner_id="P2").to_pandas()
    assert set(mine["partner_id"]) == {"P2"}
    assert mine["amount"].sum() == credits.total(partner_id="P2")
    empty = credits.filter(partner_id="nobody").to_pandas()
    assert empty.empty
    assert list(empty.columns) == list(frame.columns)


def test_a_policy_class_or_a_non_policy_is_a_clear_type_error(handover: Ledger) -> None:
    """attribute(ledger, RecognizeAll) says to pass an instance; a non-policy says what to pass."""
    with pytest.raises(TypeError, match=r"RecognizeAll is a class; pass an instance"):
        attribute(handover, RecognizeAll)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a credit policy"):
        attribute(handover, "recognize_all")  # type: ignore[arg-type]


def test_start_after_end_is_a_value_error_naming_both(handover: Ledger) -> None:
    """start > end raises a ValueError naming both days; start == end attributes nothing."""
    with pytest.raises(ValueError, match=r"start=2024-03-01 is after end=2024-02-01"):
        attribute(handover, start=MAR, end=FEB)
    assert len(attribute(handover, start=FEB, end=FEB)) == 0


def test_credits_export_to_arrow_polars_and_numeric_pandas(handover: Ledger) -> None:
    """to_arrow keeps exact amounts and minor units; to_polars goes through Arrow;
    to_pandas(numeric=True) gives floats and monthly periods, the default stays exact."""
    pa = pytest.importorskip("pyarrow")
    credits = attribute(handover)
    table = credits.to_arrow()
    assert table.num_rows == len(credits)
    assert table.schema.field("amount").type == pa.decimal128(38, 2)
    expected = [c.amount for c in credits]
    assert table.column("amount").to_pylist() == expected
    assert table.column("amount_minor").to_pylist() == [int(a.scaleb(2)) for a in expected]
    assert table.column("month").to_pylist() == [c.month for c in credits]
    pd = pytest.importorskip("pandas")
    exact = credits.to_pandas()
    assert list(exact["amount"]) == expected
    numeric = credits.to_pandas(numeric=True)
    assert numeric["amount"].dtype == "float64"
    assert list(numeric["amount"]) == [float(a) for a in expected]
    assert list(numeric["month"]) == [pd.Period(c.month, freq="M") for c in credits]
    pl = pytest.importorskip("polars")
    frame = credits.to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert frame["partner_id"].to_list() == [c.partner_id for c in credits]
