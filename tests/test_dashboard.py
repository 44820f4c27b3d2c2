"""The partner dashboard's HTML: self-contained, complete, accessible (no browser needed here)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from partner_of_record._dashboard import SECTIONS, dashboard_data
from partner_of_record.attribution import attribute
from partner_of_record.cli import main
from partner_of_record.report import dashboard
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

CONTOSO = "4100231"


@pytest.fixture(scope="module")
def page() -> str:
    """Contoso's dashboard on the sample."""
    return dashboard(load_sample(), CONTOSO, skills=SAMPLE_SKILLS[CONTOSO])


class _Outline(HTMLParser):
    """Collects headings, tables, external references and ids."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.refs: list[str] = []
        self.ids: list[str] = []
        self.tables = 0
        self.tables_with_headers = 0
        self._in_table = False
        self._table_has_th = False
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = values.get(name)
            if value is not None and not value.startswith("#"):
                self.refs.append(f"{tag} {name}={value}")
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if tag == "table":
            self.tables += 1
            self._table_has_th = False
        if tag == "th" and values.get("scope") == "col":
            self._table_has_th = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._table_has_th:
            self.tables_with_headers += 1


def _outline(text: str) -> _Outline:
    parser = _Outline()
    parser.feed(text)
    return parser


def test_every_section_is_there_in_order(page: str) -> None:
    """Each section of SECTIONS is present once, in order, with its h2 heading."""
    positions = [page.index(f'<section id="{sid}"') for sid, _ in SECTIONS]
    assert positions == sorted(positions)
    for sid, heading in SECTIONS:
        assert page.count(f'<section id="{sid}"') == 1
        assert f'<h2 id="h-{sid}">{heading}</h2>' in page


def test_self_contained(page: str) -> None:
    """No external reference: no src, href or url() outside the page, no font, no import."""
    outline = _outline(page)
    assert outline.refs == []
    assert "@import" not in page
    assert "@font-face" not in page
    assert not re.search(r"url\((?!#)", page)
    assert "<link" not in page
    assert "<script src" not in page
    assert "<img" not in page  # charts are inline SVG, not files


def test_headings_in_order_and_tables_with_headers(page: str) -> None:
    """One h1, then no heading level skipped; every table has column headers and a caption."""
    outline = _outline(page)
    assert outline.headings[0] == 1
    assert outline.headings.count(1) == 1
    for before, after in zip(outline.headings, outline.headings[1:], strict=False):
        assert after <= before + 1
    assert outline.tables >= 5
    assert outline.tables_with_headers == outline.tables
    assert page.count("<caption>") == outline.tables


def test_ids_are_unique(page: str) -> None:
    """The inline SVGs' ids are prefixed, so no id repeats in the page."""
    ids = _outline(page).ids
    assert len(ids) == len(set(ids))


def test_charts_are_matplotlib_svg_with_a_text_alternative(page: str) -> None:
    """Each chart is matplotlib's SVG, labelled, captioned and followed by its figures table."""
    charts = re.findall(r'<figure aria-labelledby="([^"]+)">(.*?)</figure>', page, re.DOTALL)
    assert len(charts) == 2
    for caption_id, body in charts:
        assert "<svg" in body
        assert "Created with Matplotlib" in body or "matplotlib" in body.lower()
        assert 'role="img"' in body
        assert f'id="{caption_id}"' in body
        after = page[page.index(body) + len(body) :]
        assert after.lstrip().startswith("</figure>")
        assert "Figures of the chart" in after[:2000]


def test_headline_figures_equal_the_api() -> None:
    """The data behind the page equals attribute() over the period."""
    ledger = load_sample()
    data = dashboard_data(ledger, CONTOSO, skills=SAMPLE_SKILLS[CONTOSO])
    assert data.as_of == SAMPLE_AS_OF
    assert (data.start, data.end) == (dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    credits = attribute(ledger).filter(partner_id=CONTOSO)
    assert data.credited == {"USD": credits.total(start=data.start, end=data.end)}
    assert data.credited_last_year == {
        "USD": credits.total(start=dt.date(2023, 1, 1), end=dt.date(2024, 1, 1))
    }
    assert sum(data.credited.values(), Decimal(0)) == sum(
        (r.amount for r in data.monthly), Decimal(0)
    )


def test_incentive_earnings_equal_evaluate_incentive() -> None:
    """With programs, the earnings are evaluate_incentive's over the period; names work too."""
    from partner_of_record.incentives import (
        PARTNER_EARNED_CREDIT,
        azure_dpor_incentive,
        evaluate_incentive,
    )

    ledger = load_sample()
    dpor = azure_dpor_incentive("0.05")
    data = dashboard_data(ledger, CONTOSO, programs=["PARTNER_EARNED_CREDIT", dpor])
    assert [e.program for e in data.earnings] == ["PARTNER_EARNED_CREDIT", "AZURE_DPOR_2015"]
    for earned, program in zip(data.earnings, (PARTNER_EARNED_CREDIT, dpor), strict=True):
        assert earned == evaluate_incentive(
            ledger, CONTOSO, program, start=data.start, end=data.end
        )
    page = dashboard(ledger, CONTOSO, programs=[PARTNER_EARNED_CREDIT])
    assert 'id="table-earnings"' in page
    assert 'data-program="PARTNER_EARNED_CREDIT"' in page
    assert 'id="table-earnings"' not in dashboard(ledger, CONTOSO)


def test_unknown_partner_and_bad_months() -> None:
    """An unknown partner and a period under one month are refused."""
    with pytest.raises(KeyError):
        dashboard(load_sample(), "nope")
    with pytest.raises(ValueError, match="months"):
        dashboard(load_sample(), CONTOSO, months=0)


def test_cli_writes_the_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`dashboard DATA --partner ID --output FILE` writes the same page as the API."""
    data = tmp_path / "data"
    assert main(["demo", "--export", str(data)]) == 0
    target = tmp_path / "page.html"
    code = main(
        [
            "dashboard",
            str(data),
            "--partner",
            CONTOSO,
            "--as-of",
            "2024-07-01",
            "--months",
            "6",
            "--output",
            str(target),
        ]
    )
    assert code == 0
    assert "written to" in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert 'datetime="2024-07-01"' in text
    assert "period 2024-01 to 2024-06" in text


def test_cli_opportunities_formats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`opportunities` prints the explanation, JSON and CSV of the same result."""
    import json

    data = tmp_path / "data"
    assert main(["demo", "--export", str(data)]) == 0
    capsys.readouterr()
    assert main(["opportunities", str(data), "--partner", "4500168"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Unclaimed consumption of partner 4500168")
    assert main(["opportunities", str(data), "--partner", "4500168", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["partner_id"] == "4500168"
    assert document["opportunities"]
    assert main(["opportunities", str(data), "--partner", "4500168", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rank,subscription_id")
    assert len(lines) == 1 + len(document["opportunities"])
    assert main(["opportunities", str(data), "--partner", "4500168", "--program", "x"]) == 2
    assert "not a program" in capsys.readouterr().err
    argv = ["opportunities", str(data), "--partner", "4500168", "--format", "json"]
    assert main([*argv, "--incentive", "PARTNER_EARNED_CREDIT"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["opportunities"][0]["earnings"][0]["program"] == "PARTNER_EARNED_CREDIT"
    assert main([*argv, "--incentive", "AZURE_DPOR_2015"]) == 2
    assert "give its rate" in capsys.readouterr().err


def test_a_partner_with_nothing_and_other_currencies() -> None:
    """A partner without links gets a complete page; EUR figures stay in EUR, per currency."""
    from partner_of_record import (
        Association,
        AssociationKind,
        Customer,
        Ledger,
        Partner,
        Subscription,
        Usage,
        Workload,
    )

    months = [dt.date(2024, m, 1) for m in range(1, 13)]
    ledger = Ledger(
        partners=[Partner("P1", "One"), Partner("P2", "Two")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        associations=[Association("P1", "S1", AssociationKind.PAL, dt.date(2024, 3, 15))],
        usage=[Usage("S1", m, Decimal("310.00"), "EUR") for m in months],
    )
    from partner_of_record.evaluation import RateTable

    rates = RateTable.constant({"EUR": "1.08"})
    empty = dashboard(ledger, "P2", rates=rates)
    for sid, _ in SECTIONS:
        assert f'<section id="{sid}"' in empty
    assert '<data id="fig-credited" value="0">none</data>' in empty
    page = dashboard(ledger, "P1", as_of=dt.date(2025, 1, 1), rates=rates)
    data = dashboard_data(ledger, "P1", as_of=dt.date(2025, 1, 1), rates=rates)
    credited = attribute(ledger).filter(partner_id="P1").total()
    assert data.credited == {"EUR": credited}
    assert f'data-currency="EUR" value="{credited}"' in page
    assert 'id="table-monthly-eur"' in page
    assert data.unattributed["EUR"] == attribute(ledger).unattributed_total()
