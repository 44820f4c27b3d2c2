"""DPOR handovers as exports show them (issue #17.1), the one-day gap warning (#17.3) and ISO
strings in the event API (#17.10), from the user's side: files and calls as a user writes them."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

import partner_of_record as por
from partner_of_record import Ledger, LedgerError, ValidationError
from partner_of_record.io import load_folder, load_json
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    Partner,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.rules import MICROSOFT_2017

D = dt.date
K = AssociationKind

HEADER = "partner_id,subscription_id,kind,start,end\n"
OLD = "P1,S1,DPOR,2024-01-01,\n"
NEW = "P2,S1,DPOR,2024-06-15,\n"


def _folder(tmp_path: Path, associations: str) -> Path:
    files = {
        "partners.csv": "id,name\nP1,Contoso\nP2,Fabrikam\n",
        "customers.csv": "id,name\nC1,Northwind\n",
        "subscriptions.csv": "id,customer_id,workload\nS1,C1,Azure\n",
        "associations.csv": HEADER + associations,
        "usage.csv": (
            "subscription_id,month,amount,currency\n"
            "S1,2024-05-01,310.00,USD\nS1,2024-06-01,300.00,USD\nS1,2024-07-01,310.00,USD\n"
        ),
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def _by_partner_month(ledger: Ledger) -> dict[tuple[str, str], Decimal]:
    credits = por.attribute(ledger)
    return {
        (p, f"{m:%Y-%m}"): v for (p, m), v in credits.totals(by=("partner_id", "month")).items()
    }


EXPECTED = {
    ("P1", "2024-05"): Decimal("310.00"),
    ("P1", "2024-06"): Decimal("140.00"),  # 14 of June's 30 days
    ("P2", "2024-06"): Decimal("160.00"),  # from the 15th: 16 days
    ("P2", "2024-07"): Decimal("310.00"),
}


@pytest.mark.parametrize("rows", [OLD + NEW, NEW + OLD], ids=["old-first", "new-first"])
def test_csv_export_with_open_old_dpor_credits_the_new_partner_from_its_start(
    tmp_path: Path, rows: str
) -> None:
    """An export listing the old DPOR with no end and the new one from 2024-06-15 (either row
    order) loads as a handover: nothing is rejected and P2 is credited from the 15th."""
    result = load_folder(_folder(tmp_path, rows), progress=False)
    assert result.report.rejects == ()
    messages = [w.message for w in result.report.warnings if w.code == "DPOR_HANDOVER"]
    assert messages == ["DPOR of P1 on S1 ended 2024-06-15 by the DPOR of P2"]
    assert all(w.severity == "info" for w in result.report.warnings if w.code == "DPOR_HANDOVER")
    assert _by_partner_month(result.ledger) == EXPECTED
    old = next(a for a in result.ledger.associations if a.partner_id == "P1")
    assert old.end == D(2024, 6, 15)


@pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["old-first", "new-first"])
def test_json_document_with_open_old_dpor_credits_the_new_partner_from_its_start(
    order: tuple[int, int],
) -> None:
    """The same handover in a JSON document read with load_json."""
    dpors = [
        {"partner_id": "P1", "subscription_id": "S1", "kind": "dpor", "start": "2024-01-01"},
        {"partner_id": "P2", "subscription_id": "S1", "kind": "dpor", "start": "2024-06-15"},
    ]
    doc = {
        "partners": [{"id": "P1"}, {"id": "P2"}],
        "customers": [{"id": "C1"}],
        "subscriptions": [{"id": "S1", "customer_id": "C1", "workload": "azure"}],
        "associations": [dpors[i] for i in order],
        "usage": [
            {"subscription_id": "S1", "month": m, "amount": a, "currency": "USD"}
            for m, a in (
                ("2024-05-01", "310.00"),
                ("2024-06-01", "300.00"),
                ("2024-07-01", "310.00"),
            )
        ],
    }
    result = load_json(json.dumps(doc))
    assert result.report.rejects == ()
    assert [w.message for w in result.report.warnings if w.code == "DPOR_HANDOVER"] == [
        "DPOR of P1 on S1 ended 2024-06-15 by the DPOR of P2"
    ]
    assert _by_partner_month(result.ledger) == EXPECTED


def test_two_dpors_starting_the_same_day_stay_a_conflict(tmp_path: Path) -> None:
    """Two DPORs starting the same day are a real conflict: one is rejected as DPOR_OVERLAP."""
    rows = "P1,S1,DPOR,2024-06-15,\nP2,S1,DPOR,2024-06-15,\n"
    result = load_folder(_folder(tmp_path, rows), progress=False)
    assert [r.code for r in result.report.rejects] == ["DPOR_OVERLAP"]
    assert not any(w.code == "DPOR_HANDOVER" for w in result.report.warnings)


def test_a_closed_window_overlapping_a_later_dpor_stays_a_conflict(tmp_path: Path) -> None:
    """A closed DPOR window that a later DPOR starts inside is a real conflict (DPOR_OVERLAP)."""
    rows = "P1,S1,DPOR,2024-01-01,2024-09-01\nP2,S1,DPOR,2024-06-15,\n"
    result = load_folder(_folder(tmp_path, rows), progress=False)
    # line 3: the header is line 1
    assert [(r.code, r.line) for r in result.report.rejects] == [("DPOR_OVERLAP", 3)]


def test_back_and_forth_reads_as_two_handovers() -> None:
    """P1, then P2, then P1 again, all open-ended in the export: two handovers, nothing rejected."""
    ps = [Partner("P1"), Partner("P2")]
    subs = [Subscription("S1", "C1", Workload.AZURE)]
    rows = [
        Association("P1", "S1", K.DPOR, D(2024, 1, 1)),
        Association("P2", "S1", K.DPOR, D(2024, 3, 1)),
        Association("P1", "S1", K.DPOR, D(2024, 9, 1)),
    ]
    result = Ledger.lenient(ps, [Customer("C1")], subs, rows)
    assert result.rejected == ()
    assert sorted((a.partner_id, a.start, a.end) for a in result.ledger.associations) == [
        ("P1", D(2024, 1, 1), D(2024, 3, 1)),
        ("P1", D(2024, 9, 1), None),
        ("P2", D(2024, 3, 1), D(2024, 9, 1)),
    ]


def test_no_handover_when_the_rule_set_allows_several_dpors() -> None:
    """Without a one-DPOR-per-subscription rule, nothing is ended: both DPORs stay open."""
    rules = MICROSOFT_2017.remove("DPOR_OVERLAP")
    ps = [Partner("P1"), Partner("P2")]
    rows = [
        Association("P1", "S1", K.DPOR, D(2024, 1, 1)),
        Association("P2", "S1", K.DPOR, D(2024, 6, 15)),
    ]
    subs = [Subscription("S1", "C1", Workload.AZURE)]
    result = Ledger.lenient(ps, [Customer("C1")], subs, rows, rules=rules)
    assert {a.end for a in result.ledger.associations} == {None}
    assert not result.findings


def test_strict_ledger_refuses_the_overlap_and_suggests_the_fix() -> None:
    """The strict constructor still refuses, and its message says which end date to set and
    names name_dpor."""
    ps = [Partner("P1"), Partner("P2")]
    subs = [Subscription("S1", "C1", Workload.AZURE)]
    rows = [
        Association("P1", "S1", K.DPOR, D(2024, 1, 1)),
        Association("P2", "S1", K.DPOR, D(2024, 6, 15)),
    ]
    with pytest.raises(LedgerError) as info:
        Ledger(ps, [Customer("C1")], subs, rows)
    text = str(info.value)
    assert "set the end of DPOR P1 on S1 [2024-01-01, open) to 2024-06-15" in text
    assert "ledger.name_dpor('S1', 'P2', on='2024-06-15')" in text


def test_a_handover_rejected_later_is_reported_as_input() -> None:
    """A handed-over DPOR that a rule then rejects is reported as the record the user gave."""
    ps = [Partner("P1"), Partner("P2")]
    subs = [Subscription("S1", "C1", Workload.POWER_BI)]  # DPOR not allowed on Power BI
    old = Association("P1", "S1", K.DPOR, D(2024, 1, 1))
    new = Association("P2", "S1", K.DPOR, D(2024, 6, 15))
    result = Ledger.lenient(ps, [Customer("C1")], subs, [old, new])
    assert {r.record for r in result.rejected} == {old, new}


# ------------------------------------------------------------------------------ #17.10 event API


def test_name_dpor_accepts_an_iso_date_string() -> None:
    """ledger.name_dpor("S1", "P2", on="2024-06-01") works as with a date."""
    ledger = Ledger(
        [Partner("P1"), Partner("P2")],
        [Customer("C1")],
        [Subscription("S1", "C1", Workload.AZURE)],
        [Association("P1", "S1", K.DPOR, D(2024, 1, 1))],
    )
    by_string = ledger.name_dpor("S1", "P2", on="2024-06-01")
    assert by_string == ledger.name_dpor("S1", "P2", on=D(2024, 6, 1))
    assert by_string.dpor("S1", D(2024, 6, 1)).partner_id == "P2"  # type: ignore[union-attr]
    again = by_string.remove_dpor("S1", "2024-07-01").link_pal("S1", "P1", "2024-07-02")
    assert again.dpor("S1", D(2024, 7, 1)) is None
    gdap = Ledger(
        [Partner("P1")], [Customer("C1")], [Subscription("S2", "C1", Workload.OFFICE_365)]
    ).grant_gdap("S2", "P1", "2024-01-01", "2024-12-31")
    assert gdap.associations[0].end == D(2024, 12, 31)


@pytest.mark.parametrize(
    ("value", "method", "param"),
    [
        ("01/06/2024", "name_dpor", "on"),
        ("2024-6-1", "name_dpor", "on"),
        (20240601, "name_dpor", "on"),
        (dt.datetime(2024, 6, 1, 12), "name_dpor", "on"),
        ("June 1st", "claim_cpor", "on"),
    ],
)
def test_event_api_refuses_other_values_naming_the_parameter(
    value: object, method: str, param: str
) -> None:
    """Anything but a date or an ISO date string is a ValueError naming method and parameter."""
    ledger = Ledger([Partner("P2")], [Customer("C1")], [Subscription("S1", "C1", Workload.AZURE)])
    with pytest.raises(ValidationError, match=rf"Ledger\.\w+\.{param}: .*ISO date") as info:
        getattr(ledger, method)("S1", "P2", on=value)
    assert isinstance(info.value, ValueError)


def test_usage_rows_unaffected_by_handover() -> None:
    """A handover changes associations only; every usage row is kept."""
    ps = [Partner("P1"), Partner("P2")]
    subs = [Subscription("S1", "C1", Workload.AZURE)]
    rows = [
        Association("P1", "S1", K.DPOR, D(2024, 1, 1)),
        Association("P2", "S1", K.DPOR, D(2024, 6, 15)),
    ]
    usage = [Usage("S1", D(2024, 6, 1), "300")]
    result = Ledger.lenient(ps, [Customer("C1")], subs, rows, usage)
    assert result.ledger.usage == tuple(usage)
    assert result.ok


def test_a_refused_new_dpor_does_not_end_its_predecessor() -> None:
    """A later DPOR that a rule refuses on its own (granted by the partner, not the customer)
    is rejected and hands nothing over: the old DPOR stays open (no silent loss of credit)."""
    ps = [Partner("P1"), Partner("P2")]
    subs = [Subscription("S1", "C1", Workload.AZURE)]
    old = Association("P1", "S1", K.DPOR, D(2024, 1, 1), granted_by=Actor.CUSTOMER)
    bad = Association("P2", "S1", K.DPOR, D(2024, 6, 15), granted_by=Actor.PARTNER)
    result = Ledger.lenient(ps, [Customer("C1")], subs, [old, bad])
    # rules run in order: DPOR_OVERLAP (before NOT_GRANTED_BY_CUSTOMER) rejects it first
    assert [(r.record, r.finding.code) for r in result.rejected] == [(bad, "DPOR_OVERLAP")]
    assert result.ledger.associations == (old,)
    assert not any(f.code == "DPOR_HANDOVER" for f in result.findings)
