"""Tests that kill mutants which survived the mutation sample of issue 18 (io and Credits side).

Each test goes through public behaviour only: the mutant it kills is named in its docstring.
The ledger's mutants (duplicate association with two associations, a custom rule rejecting one
usage row, a warning with a subject) are tested with the ledger.
"""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal, localcontext

import pytest

from partner_of_record import (
    Association,
    AssociationKind,
    Customer,
    Ledger,
    OfferCategory,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.attribution import CurrencyMixError, EqualSplit, RecognizeAll, attribute
from partner_of_record.attribution.reconcile import Reconciliation, RowReconciliation
from partner_of_record.model import AMOUNT_MAX_DECIMALS, AMOUNT_MAX_INTEGER_DIGITS

JAN = dt.date(2024, 1, 1)
FEB = dt.date(2024, 2, 1)


def _two_currency_ledger() -> Ledger:
    return Ledger(
        partners=[Partner("P1")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[Association("P1", "S1", AssociationKind.DPOR, JAN)],
        usage=[
            Usage("S1", JAN, Decimal("100.00"), "USD"),
            Usage("S1", FEB, Decimal("80.00"), "EUR"),
        ],
    )


def test_totals_by_workload_over_two_currencies_raises() -> None:
    """Mutant: ``totals(by="workload")`` summing USD and EUR into one number must raise."""
    credits = attribute(_two_currency_ledger())
    with pytest.raises(CurrencyMixError):
        credits.totals(by="workload")
    by_currency = credits.totals(by=("workload", "currency"))
    assert by_currency == {
        (Workload.AZURE, "EUR"): Decimal("80.00"),
        (Workload.AZURE, "USD"): Decimal("100.00"),
    }


def _row(amount: str, *, ok: bool, month: dt.date = JAN) -> RowReconciliation:
    value = Decimal(amount)
    return RowReconciliation(
        usage=Usage("S1", month, value),
        amount=value,
        credited=value if ok else Decimal(0),
        largest_credit=value if ok else Decimal(0),
        unattributed=Decimal(0),
        partners=1 if ok else 0,
        ok=ok,
        problem="" if ok else "credited 0.00 of 5.00",
    )


def test_failures_over_a_plain_tuple_of_rows() -> None:
    """Mutant: ``Reconciliation.failures`` over a plain tuple must list exactly the failing rows."""
    bad = _row("5.00", ok=False, month=FEB)
    reconciliation = Reconciliation(
        policy="recognize_all",
        split=False,
        ok=False,
        rows=(_row("1.00", ok=True), bad, _row("2.00", ok=True, month=dt.date(2024, 3, 1))),
        currencies=(),
    )
    assert reconciliation.failures == (bad,)
    clean = Reconciliation("recognize_all", False, True, (_row("1.00", ok=True),), ())
    assert clean.failures == ()


LARGEST = Decimal("9" * AMOUNT_MAX_INTEGER_DIGITS + "." + "9" * AMOUNT_MAX_DECIMALS)
"""The largest amount the model accepts (issue 18 item 4)."""


def _largest_ledger() -> Ledger:
    """Three partners over a mid-month change, so shares are not whole (8/31, 15/62, 1/2)."""
    mid = dt.date(2024, 1, 17)
    return Ledger(
        partners=[Partner("P1"), Partner("P2"), Partner("P3")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[
            Association("P1", "S1", AssociationKind.DPOR, JAN, mid),
            Association("P2", "S1", AssociationKind.DPOR, mid),
            Association("P3", "S1", AssociationKind.PAL, JAN),
        ],
        usage=[Usage("S1", JAN, LARGEST), Usage("S1", FEB, LARGEST.copy_negate())],
    )


with localcontext(Context(prec=100)):  # the test's own arithmetic, wide enough
    ROUNDED = LARGEST.quantize(Decimal("0.01"))  # 10**30 exactly: 31 digits and 2 decimals


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=["recognize", "split"])
def test_largest_amount_reconciles(policy: object) -> None:
    """At the largest allowed amount every row reconciles and a split conserves the row."""
    reconciliation = attribute(_largest_ledger(), policy).reconcile()  # type: ignore[arg-type]
    assert reconciliation.ok, str(reconciliation)
    assert Decimal(f"1e{AMOUNT_MAX_INTEGER_DIGITS}") == ROUNDED
    for row in reconciliation.rows:
        assert abs(row.amount) == ROUNDED
        if isinstance(policy, EqualSplit):
            assert row.credited + row.unattributed == row.amount


@pytest.mark.parametrize("policy", [RecognizeAll(), EqualSplit()], ids=["recognize", "split"])
def test_largest_amount_credits_are_exact_to_the_cent(policy: object) -> None:
    """Every credit of the largest allowed amount is a whole number of cents, computed exactly
    (no digit lost to a 28-digit context), and a split's credits sum to the row's amount."""
    credits = attribute(_largest_ledger(), policy)  # type: ignore[arg-type]
    january = credits.filter(start=JAN, end=FEB)
    made = list(january)  # in the caller's (default) context: the result must not depend on it
    totals = january.totals()
    with localcontext(Context(prec=100)):
        for credit in made:
            exact = (LARGEST * credit.share.numerator / credit.share.denominator).quantize(
                Decimal("0.01")
            )
            assert abs(credit.amount - exact) <= Decimal("0.01"), credit
            assert credit.amount.as_tuple().exponent == -2, credit
        if isinstance(policy, EqualSplit):
            assert sum(totals.values(), Decimal(0)) == ROUNDED


def test_half_open_windows_touching_do_not_overlap() -> None:
    """Mutant (model sample): ``overlaps`` with ``<=``: [Jan 1, Feb 1) and [Feb 1, ...) touch."""
    pal = Association("P1", "S1", AssociationKind.PAL, JAN, FEB)
    assert not pal.overlaps(FEB, None)
    assert pal.overlaps(dt.date(2024, 1, 31), FEB)
    later = Association("P1", "S1", AssociationKind.PAL, FEB)
    assert not later.overlaps(JAN, FEB)
    assert later.overlaps(JAN, dt.date(2024, 2, 2))


def test_seat_counts_default_to_zero() -> None:
    """Mutant (model sample): a seat row's counts default to 0 (not 1) when not given."""
    row = SeatUsage("S1", JAN)
    assert (row.paid_seats, row.active_users) == (0, 0)


def test_subscription_options_are_keyword_only() -> None:
    """Mutant (model sample): ``name`` and ``offer`` of a Subscription are keyword-only."""
    with pytest.raises(TypeError):
        Subscription("S1", "C1", Workload.AZURE, "Prod", OfferCategory.TRIAL)  # type: ignore[misc]
    built = Subscription("S1", "C1", Workload.AZURE, name="Prod", offer=OfferCategory.TRIAL)
    assert built.offer is OfferCategory.TRIAL
