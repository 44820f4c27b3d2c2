"""Tests that kill the ledger mutants which survived the mutation sample of issue 18.

``benchmarks/mutation.sh`` (seed 2026) left these ``ledger.py`` mutants alive; each test states
the law or the documented behaviour the mutant breaks, and names the mutant in its docstring.
(The issue's "duplicate with exactly two associations" and "a custom rule rejecting one usage
row drops the others" mutants are killed by ``tests/test_rules.py``, now run by the tester.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    Ledger,
    LedgerError,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.errors import Finding
from partner_of_record.ledger import LenientLoad

PAL = AssociationKind.PAL
D = dt.date
PARTNERS = (Partner("P1"), Partner("P2"))
CUSTOMERS = (Customer("C1"),)
SUBS = tuple(Subscription(f"S{i}", "C1", Workload.AZURE) for i in range(1, 7))


def _pal(partner: str, sub: str, start: dt.date, end: dt.date | None = None) -> Association:
    return Association(partner, sub, PAL, start, end)


@given(
    start=st.dates(min_value=D(2020, 1, 1), max_value=D(2024, 12, 31)),
    length=st.integers(min_value=1, max_value=400),
    gap=st.integers(min_value=-30, max_value=30),
)
def test_same_partner_same_kind_is_a_duplicate_exactly_when_the_windows_overlap(
    start: dt.date, length: int, gap: int
) -> None:
    """Law: a second PAL of the same partner on a subscription is a DUPLICATE_ASSOCIATION iff it
    starts before the first ends; windows that only touch (``[a, b)`` then ``[b, c)``) are fine.

    Mutant: ``a.start < (prev.end or _FOREVER)`` -> ``<=`` in the duplicate check."""
    end = start + dt.timedelta(days=length)
    first = _pal("P1", "S1", start, end)
    second = _pal("P1", "S1", end + dt.timedelta(days=gap))
    result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (first, second))
    overlap = second.start < end
    rejected = [(r.record, r.finding.code) for r in result.rejected]
    if overlap:
        assert [code for _, code in rejected] == ["DUPLICATE_ASSOCIATION"]
        [kept] = result.ledger.associations
        assert kept.start == min(first.start, second.start)
    else:
        assert rejected == []
        assert set(result.ledger.associations) == {first, second}


def test_touching_windows_are_not_duplicates() -> None:
    """PAL [Jan, Feb) then PAL from Feb for the same partner: both kept, no finding."""
    first = _pal("P1", "S1", D(2024, 1, 1), D(2024, 2, 1))
    second = _pal("P1", "S1", D(2024, 2, 1))
    led = Ledger(PARTNERS, CUSTOMERS, SUBS, (first, second))
    assert led.associations_of("S1") == (first, second)


@pytest.mark.parametrize("which", range(6))
def test_ending_one_of_many_tied_associations_equals_rebuilding(which: int) -> None:
    """Law: an event gives the same ledger as building it from scratch with the result.

    Six PALs of P1 share (start, kind, partner), the ledger's association order key, so the
    event must find the right one among ties. Mutant: ``i += 1`` -> ``i += 2`` in that search."""
    start = D(2024, 1, 1)
    pals = [_pal("P1", s.id, start) for s in SUBS]
    led = Ledger(PARTNERS, CUSTOMERS, SUBS, pals)
    on = D(2024, 6, 1)
    sub = SUBS[which].id
    after = led.end_association(sub, "P1", PAL, on)
    expected = [attrs.evolve(a, end=on) if a.subscription_id == sub else a for a in pals]
    assert after == Ledger(PARTNERS, CUSTOMERS, SUBS, expected)
    assert after.associations_of(sub) == (attrs.evolve(pals[which], end=on),)
    for other in SUBS:
        if other.id != sub:
            assert after.associations_of(other.id) == led.associations_of(other.id)


def test_ending_every_tied_association_in_turn_equals_rebuilding() -> None:
    """Ending the six tied PALs one after the other, in reverse order, matches a rebuild."""
    pals = [_pal("P1", s.id, D(2024, 1, 1)) for s in SUBS]
    led = Ledger(PARTNERS, CUSTOMERS, SUBS, pals)
    for s in reversed(SUBS):
        led = led.end_association(s.id, "P1", PAL, D(2024, 3, 1))
    assert led == Ledger(
        PARTNERS, CUSTOMERS, SUBS, [attrs.evolve(a, end=D(2024, 3, 1)) for a in pals]
    )


def _columns(*rows: tuple[str, dt.date, int]) -> dict[str, list[object]]:
    return {
        "subscription_id": [r[0] for r in rows],
        "month": [r[1] for r in rows],
        "amount_minor": [r[2] for r in rows],
    }


def test_from_columns_accepts_valid_facts_and_refuses_bad_ones() -> None:
    """``from_columns`` builds a ledger from valid facts and raises LedgerError on a bad one.

    Mutant: ``if errors: raise LedgerError(errors)`` negated (valid facts refused, bad kept)."""
    pal = _pal("P1", "S1", D(2024, 1, 1))
    usage = _columns(("S1", D(2024, 1, 1), 12345))
    led = Ledger.from_columns(PARTNERS, CUSTOMERS, SUBS, (pal,), usage)
    assert isinstance(led, Ledger)
    assert led.usage == (Usage("S1", D(2024, 1, 1), Decimal("123.45")),)
    assert Ledger.from_columns(PARTNERS, CUSTOMERS, SUBS) == Ledger(PARTNERS, CUSTOMERS, SUBS)
    stranger = _pal("P9", "S1", D(2024, 1, 1))
    with pytest.raises(LedgerError):
        Ledger.from_columns(PARTNERS, CUSTOMERS, SUBS, (pal, stranger), usage)
    lenient = Ledger.from_columns(PARTNERS, CUSTOMERS, SUBS, (pal, stranger), usage, lenient=True)
    assert isinstance(lenient, LenientLoad)
    assert [r.record for r in lenient.rejected] == [stranger]
    assert lenient.ledger.associations == (pal,)


@given(
    index=st.integers(min_value=0, max_value=3),
    name=st.text(alphabet="abcxyz", min_size=1, max_size=5),
)
def test_ledgers_with_the_same_counts_but_other_records_differ(index: int, name: str) -> None:
    """Law: two ledgers are equal iff they hold the same records (in any order) and rules.

    Mutant: ``len(mine) == len(theirs) and set(mine) == set(theirs)`` -> ``or`` in ``__eq__``."""
    pals = [_pal("P1", "S1", D(2024, 1, 1)), _pal("P2", "S2", D(2024, 2, 1))]
    usage = [Usage("S1", D(2024, 1, 1), "10.00"), Usage("S2", D(2024, 2, 1), "20.00")]
    base = Ledger(PARTNERS, CUSTOMERS, SUBS, pals, usage)
    assert base == Ledger(PARTNERS[::-1], CUSTOMERS, SUBS[::-1], pals[::-1], usage[::-1])
    partners = list(PARTNERS)
    customers = list(CUSTOMERS)
    subs = list(SUBS)
    rows = list(usage)
    if index == 0:
        partners[0] = Partner("P1", name)
    elif index == 1:
        customers[0] = Customer("C1", name)
    elif index == 2:
        subs[-1] = Subscription("S6", "C1", Workload.AZURE, name=name)
    else:
        rows[0] = Usage("S1", D(2024, 1, 1), "10.01")
    other = Ledger(partners, customers, subs, pals, rows)
    assert other != base
    assert base != other


@pytest.mark.parametrize(
    "ends", [(None, D(2024, 6, 1)), (D(2024, 3, 1), D(2024, 6, 1)), (D(2024, 9, 1), None)]
)
def test_a_same_day_duplicate_is_resolved_whatever_the_input_order(
    ends: tuple[dt.date | None, dt.date | None],
) -> None:
    """Law: of two same-partner, same-kind associations starting the same day, the one kept
    does not depend on the input order (a total order decides, not the file's row order).

    Mutant: ``if a.start == prev.start and _tiebreak(a) < _tiebreak(prev)`` -> ``!=``."""
    one = _pal("P1", "S1", D(2024, 1, 1), ends[0])
    two = _pal("P1", "S1", D(2024, 1, 1), ends[1])
    forward = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (one, two))
    backward = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (two, one))
    assert forward.ledger.associations == backward.ledger.associations
    assert [r.record for r in forward.rejected] == [r.record for r in backward.rejected]
    assert [r.finding.code for r in forward.rejected] == ["DUPLICATE_ASSOCIATION"]


@attrs.frozen
class _NoteEveryDpor:
    """A custom rule that only warns (severity "warning") about every DPOR, naming it."""

    code: str = "DPOR_NOTE"
    description: str = "a note about each DPOR"

    def check(self, facts: Any) -> Iterable[Finding]:
        for a in facts.by_kind.get(AssociationKind.DPOR, ()):
            yield Finding(self.code, f"{a.describe()} noted", (a,), "warning")


def test_a_warning_about_a_dpor_does_not_block_its_handover() -> None:
    """A DPOR handover (the old DPOR open-ended, the new one from June) ends the old one on the
    new one's start even when another rule warns about both: only errors refuse a record.

    Mutant: ``f.severity == "error" and f.subject`` -> ``or`` in ``_refused_alone``."""
    from partner_of_record.rules import DEFAULT_RULES

    old = Association("P1", "S1", AssociationKind.DPOR, D(2024, 1, 1), granted_by=Actor.CUSTOMER)
    new = Association("P2", "S1", AssociationKind.DPOR, D(2024, 6, 1), granted_by=Actor.CUSTOMER)
    for rules in (DEFAULT_RULES, DEFAULT_RULES.extend(_NoteEveryDpor())):
        result = Ledger.lenient(PARTNERS, CUSTOMERS, SUBS, (old, new), rules=rules)
        assert result.rejected == ()
        assert set(result.ledger.associations) == {attrs.evolve(old, end=D(2024, 6, 1)), new}
        assert "DPOR_HANDOVER" in {f.code for f in result.findings}
