"""The partner dashboard in a real browser: headless Chromium (the OS package) via Playwright.

Chromium is the Debian package at ``/usr/bin/chromium`` (``.ci/run`` installs it when
missing); Playwright drives it and never downloads a browser. These tests are skipped only
when that binary is absent, with a loud reason. Screenshots are kept under pytest's temporary
folder (or under ``$PARTNER_OF_RECORD_SCREENSHOTS`` when set, for CI to keep as artefacts);
set ``PARTNER_OF_RECORD_DOCS_SCREENSHOT=1`` to refresh the small screenshot the docs show
(``docs/assets/dashboard.png``).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from partner_of_record._dashboard import SECTIONS
from partner_of_record.attribution import attribute
from partner_of_record.incentives import (
    PARTNER_EARNED_CREDIT,
    azure_dpor_incentive,
    evaluate_incentive,
)
from partner_of_record.opportunities import unclaimed
from partner_of_record.report import catalog_position, dashboard, monthly_credits
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONTOSO = "4100231"
START, END = dt.date(2024, 1, 1), dt.date(2025, 1, 1)
DESKTOP, PHONE = (1280, 900), (390, 844)
DOCS_PNG = Path(__file__).resolve().parent.parent / "docs" / "assets" / "dashboard.png"
PROGRAMS = (PARTNER_EARNED_CREDIT, azure_dpor_incentive("0.05"))

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=(
        "!!! BROWSER TESTS SKIPPED: no Chromium at /usr/bin/chromium. Install the OS package: "
        "apt-get install -y chromium chromium-driver (.ci/run does this) !!!"
    ),
)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Contoso's dashboard on the sample, written to a temporary file."""
    folder = tmp_path_factory.mktemp("dashboard")
    target = folder / "contoso.html"
    page = dashboard(load_sample(), CONTOSO, skills=SAMPLE_SKILLS[CONTOSO], programs=PROGRAMS)
    target.write_text(page, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium with a fresh profile, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as play, tempfile.TemporaryDirectory() as profile:
        context = play.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            viewport={"width": DESKTOP[0], "height": DESKTOP[1]},
        )
        try:
            yield context
        finally:
            context.close()


class Visit:
    """A page opened in the browser, with its console errors and network requests."""

    def __init__(self, context: Any, url: str, size: tuple[int, int]) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = context.new_page()
        self.page.set_viewport_size({"width": size[0], "height": size[1]})
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("request", lambda request: self.requests.append(request.url))
        # anything but the page itself is refused (and recorded above)
        self.page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url == url else route.abort(),
        )
        self.page.goto(url, wait_until="load")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def close(self) -> None:
        self.page.close()


@pytest.fixture
def desktop(browser: Any, page_file: Path) -> Iterator[Visit]:
    """The page at a desktop width."""
    visit = Visit(browser, page_file.as_uri(), DESKTOP)
    yield visit
    visit.close()


def test_loads_without_console_errors_or_network_requests(desktop: Visit, page_file: Path) -> None:
    """The page loads, logs no error and requests nothing but itself."""
    assert desktop.errors == []
    assert desktop.requests == [page_file.as_uri()]
    assert desktop.page.title().startswith("Partner dashboard: Contoso")


def test_every_section_is_visible(desktop: Visit) -> None:
    """Every section is in the DOM, visible, with its heading."""
    for sid, heading in SECTIONS:
        section = desktop.page.locator(f"section#{sid}")
        assert section.count() == 1
        assert section.is_visible()
        assert section.locator("h2").inner_text() == heading


def _decimal(text: str | None) -> Decimal:
    assert text is not None
    return Decimal(text)


def test_figures_equal_the_api(desktop: Visit) -> None:
    """The figures read from the DOM equal the library's own results for the sample."""
    ledger = load_sample()
    page = desktop.page
    credits = attribute(ledger)
    mine = credits.filter(partner_id=CONTOSO)
    credited = _decimal(page.locator("#fig-credited").get_attribute("value"))
    assert credited == mine.total(start=START, end=END)
    change = _decimal(page.locator("#fig-change").get_attribute("value"))
    assert change == credited - mine.total(start=dt.date(2023, 1, 1), end=START)
    customers = sorted(
        {
            ledger.subscription(a.subscription_id).customer_id
            for a in ledger.associations
            if a.partner_id == CONTOSO and a.overlaps(START, END)
        }
    )
    nobody = _decimal(page.locator("#fig-unattributed").get_attribute("value"))
    assert (
        nobody == credits.filter(customer_id=customers, start=START, end=END).unattributed_total()
    )
    found = unclaimed(
        ledger,
        CONTOSO,
        start=START,
        end=END,
        skills=SAMPLE_SKILLS[CONTOSO],
        incentives=PROGRAMS,
    )
    claimable = _decimal(page.locator("#fig-unclaimed").get_attribute("value"))
    assert claimable == found.totals()["USD"]
    # the monthly table: one row per month, totals as monthly_credits sums them
    per_month: dict[str, Decimal] = {}
    for r in monthly_credits(credits, CONTOSO, start=START, end=END):
        key = f"{r.month:%Y-%m}"
        per_month[key] = per_month.get(key, Decimal(0)) + r.amount
    rows = page.locator("#table-monthly-usd tbody tr")
    assert rows.count() == 12
    total_col = page.locator("#table-monthly-usd thead th").all_inner_texts().index("total")
    for i in range(rows.count()):
        row = rows.nth(i)
        month = row.get_attribute("data-month")
        value = row.locator("td").nth(total_col).get_attribute("data-value")
        assert _decimal(value) == per_month.get(str(month), Decimal(0))
    # the unclaimed table: the same actions in the same order
    subs = page.locator("#table-unclaimed tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.subscription)"
    )
    assert subs == [o.subscription_id for o in found.opportunities]
    # the catalog table: every entry's verdict and score
    for p in catalog_position(ledger, CONTOSO, SAMPLE_AS_OF, SAMPLE_SKILLS[CONTOSO]):
        row = page.locator(f'#table-catalog tr[data-competency="{p.competency}"]')
        assert row.count() == 1
        cells = row.locator("td")
        assert cells.nth(1).inner_text() == ("met" if p.met else "not met")
        score = cells.nth(2).get_attribute("data-value")
        assert (score or None) == (None if p.score is None else str(p.score))
    assert page.locator("#as-of").get_attribute("datetime") == SAMPLE_AS_OF.isoformat()
    # the incentive earnings: each program's figures as evaluate_incentive computes them
    for program in PROGRAMS:
        earned = evaluate_incentive(
            ledger, CONTOSO, program, start=START, end=END, skills=SAMPLE_SKILLS[CONTOSO]
        )
        cells = page.locator(f'#table-earnings tr[data-program="{program.name}"] td')
        values = [cells.nth(i).get_attribute("data-value") for i in (1, 2, 4, 5, 6)]
        expected = [earned.credited, earned.eligible, earned.earned, earned.paid]
        assert [_decimal(v) for v in values] == [*expected, earned.carried_forward]


def test_tables_sort_by_clicking_a_header(desktop: Visit) -> None:
    """Clicking a numeric column header sorts the rows by the exact values, then reverses."""
    page = desktop.page
    header = page.locator("#table-subscriptions thead th").nth(3)
    header.locator("button").click()
    values = page.locator("#table-subscriptions tbody td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => c.dataset.value)"
    )
    numbers = [Decimal(v) for v in values]
    assert numbers == sorted(numbers)
    assert header.get_attribute("aria-sort") == "ascending"
    header.locator("button").click()
    values = page.locator("#table-subscriptions tbody td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => c.dataset.value)"
    )
    assert [Decimal(v) for v in values] == sorted(numbers, reverse=True)
    assert desktop.errors == []


@pytest.mark.parametrize(("name", "size"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_no_horizontal_overflow_and_screenshot(
    browser: Any,
    page_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    size: tuple[int, int],
) -> None:
    """At desktop and phone widths the page does not scroll sideways; a screenshot is kept."""
    visit = Visit(browser, page_file.as_uri(), size)
    try:
        widths = visit.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{name}: page is {widths[0]}px wide in {widths[1]}px"
        for svg_width in visit.page.locator("figure svg").evaluate_all(
            "svgs => svgs.map(s => s.getBoundingClientRect().right)"
        ):
            assert svg_width <= size[0]
        keep = os.environ.get("PARTNER_OF_RECORD_SCREENSHOTS")  # a CI artefact folder
        shots = Path(keep) if keep else tmp_path_factory.mktemp("dashboard-screenshots")
        shots.mkdir(parents=True, exist_ok=True)
        target = shots / f"dashboard-{name}.png"
        visit.page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        print(f"screenshot: {target}")
        if name == "desktop" and os.environ.get("PARTNER_OF_RECORD_DOCS_SCREENSHOT"):
            DOCS_PNG.parent.mkdir(parents=True, exist_ok=True)
            visit.page.set_viewport_size({"width": 1000, "height": 760})
            visit.page.screenshot(path=str(DOCS_PNG), full_page=False)
            from PIL import Image  # matplotlib's dependency: shrink the PNG for the docs

            with Image.open(DOCS_PNG) as shot:
                small = shot.convert("RGB").quantize(colors=64)
            small.save(DOCS_PNG, optimize=True)
        assert visit.errors == []
    finally:
        visit.close()


def test_print_layout_has_no_overflow(browser: Any, page_file: Path) -> None:
    """Emulating print media, the page still fits its width (it prints without clipping)."""
    visit = Visit(browser, page_file.as_uri(), (794, 1123))  # A4 at 96 dpi
    try:
        visit.page.emulate_media(media="print")
        widths = visit.page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
        pdf_ok = visit.page.evaluate("typeof window.print === 'function'")
        assert pdf_ok
    finally:
        visit.close()
