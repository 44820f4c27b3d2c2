"""The command line: ``partner-of-record`` / ``python -m partner_of_record``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import entry_points

import pytest

import partner_of_record
from partner_of_record import Customer, Ledger, Partner, Subscription, Usage, Workload, cli
from partner_of_record.cli import (
    EXIT_NOT_MET,
    EXIT_OK,
    EXIT_USAGE,
    Command,
    Streams,
    build_parser,
    ledger_summary,
    main,
    render_summary,
)
from partner_of_record.errors import Finding, LedgerError, ValidationError
from partner_of_record.samples import SAMPLE_AS_OF, SAMPLE_SKILLS, load_sample


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "partner_of_record", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_module_entry_point_runs_the_demo() -> None:
    """``python -m partner_of_record demo`` exits 0 and prints the sample summary."""
    result = _run("demo")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for partner in load_sample().partners:
        assert partner.name in result.stdout
    assert "Total consumption" in result.stdout


def test_module_entry_point_reports_usage_errors() -> None:
    """An unknown command exits 2 through ``python -m`` with the error on stderr only."""
    result = _run("no-such-command")
    assert result.returncode == EXIT_USAGE
    assert result.stdout == ""
    assert "invalid choice" in result.stderr


def test_exit_codes_are_distinct() -> None:
    """Success, not met and usage errors have the documented codes 0, 1 and 2."""
    assert (EXIT_OK, EXIT_NOT_MET, EXIT_USAGE) == (0, 1, 2)


def test_demo_text_lists_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    """The text demo names the as-of day, every workload, every kind and the USD total."""
    ledger = load_sample()
    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert SAMPLE_AS_OF.isoformat() in out
    assert "2023-01 to 2024-12" in out
    for s in ledger.subscriptions:
        assert s.workload.value in out
    for a in ledger.associations:
        assert a.kind.name in out
    total = sum((u.amount for u in ledger.usage), Decimal(0))
    assert f"USD  {total:,}" in out


def test_demo_text_aligns_columns(capsys: pytest.CaptureFixture[str]) -> None:
    """The partner table's name column starts at the same offset on every row."""
    main(["demo"])
    lines = capsys.readouterr().out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("Partners:")))
    rows = lines[start + 1 : start + 1 + len(load_sample().partners)]
    names = [p.name for p in load_sample().partners]
    assert len({row.index(name) for row, name in zip(rows, names, strict=True)}) == 1
    assert "\x1b[" not in "\n".join(lines)


def test_demo_json_matches_the_ledger(capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --format json`` reports counts and totals equal to the sample ledger's."""
    ledger = load_sample()
    assert main(["demo", "--format", "json"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_of"] == SAMPLE_AS_OF.isoformat()
    assert [p["id"] for p in doc["partners"]] == [p.id for p in ledger.partners]
    assert doc["customers"] == len(ledger.customers)
    assert sum(doc["subscriptions"]["by_workload"].values()) == len(ledger.subscriptions)
    assert sum(doc["associations"]["by_kind"].values()) == len(ledger.associations)
    assert doc["usage"]["rows"] == len(ledger.usage)
    assert Decimal(doc["usage"]["total"]["USD"]) == sum(
        (u.amount for u in ledger.usage), Decimal(0)
    )
    assert "credits" in doc


def test_demo_story_prints_every_partner_story(capsys: pytest.CaptureFixture[str]) -> None:
    """``demo --story`` adds one story line per partner."""
    main(["demo", "--story"])
    out = capsys.readouterr().out
    for p in load_sample().partners:
        assert f"{p.id} {p.name}:" in out


def test_summary_totals_each_currency_separately() -> None:
    """The summary keeps one total per currency and never adds different currencies."""
    ledger = Ledger(
        partners=[Partner("P1", "One")],
        customers=[Customer("C1")],
        subscriptions=[Subscription("S1", "C1", Workload.AZURE)],
        usage=[
            Usage("S1", SAMPLE_AS_OF.replace(month=1), Decimal("10.50"), "USD"),
            Usage("S1", SAMPLE_AS_OF.replace(month=2), Decimal("7"), "EUR"),
            Usage("S1", SAMPLE_AS_OF.replace(month=3), Decimal("1.25"), "EUR"),
        ],
    )
    summary = ledger_summary(ledger)
    assert summary["usage"]["total"] == {"EUR": "8.25", "USD": "10.50"}
    text = render_summary(summary, None, "t")
    assert "EUR   8.25" in text
    assert "USD  10.50" in text


def test_summary_of_an_empty_ledger_renders() -> None:
    """An empty ledger summarises to zero counts and renders without error."""
    summary = ledger_summary(Ledger())
    assert summary["usage"] == {"rows": 0, "first_month": None, "last_month": None, "total": {}}
    assert "no months" in render_summary(summary, None, "empty")


@pytest.mark.parametrize(
    "argv",
    [["--help"], *([build().name, "--help"] for build in cli.COMMAND_BUILDERS)],
)
def test_help_shows_an_example_and_exit_codes(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """``--help`` on the program and on every command shows an example and the exit codes."""
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "Examples:" in out
    assert "partner-of-record demo" in out or f"partner-of-record {argv[0]} " in out
    assert "Exit codes:" in out


def test_demo_shows_the_catalog_position_of_every_partner(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The demo says, per partner, which entries it meets, with shortfalls; under 100 lines."""
    from partner_of_record.report import evaluate_catalog

    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 100  # reasons are wrapped in full, never cut
    assert "Catalog position as of 2025-01-01" in out
    found = evaluate_catalog(load_sample(), as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    for p in load_sample().partners:
        met = sum(per[p.id].met for per in found.values())
        assert f"{p.id} {p.name}: meets {met} of {len(found)}" in out
    assert "CLOUD_PLATFORM_GOLD" in out
    assert "nearest misses (2 of 7 not met):" in out
    assert main(["demo", "--format", "json"]) == EXIT_OK
    positions = json.loads(capsys.readouterr().out)["positions"]
    for name, per in found.items():
        for pid, evaluation in per.items():
            entry = next(x for x in positions[pid] if x["competency"] == name)
            assert entry["met"] is evaluation.met
            assert (entry["shortfall"] == "") is evaluation.met


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """``--version`` prints the installed version and exits 0."""
    assert main(["--version"]) == EXIT_OK
    assert partner_of_record.__version__ in capsys.readouterr().out


def test_unknown_command_exits_2_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command exits 2 and explains itself on stderr, not stdout."""
    assert main(["frobnicate"]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "frobnicate" in captured.err


def test_bad_option_value_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid option value (``--format xml``) is a usage error, exit 2."""
    assert main(["demo", "--format", "xml"]) == EXIT_USAGE
    assert "xml" in capsys.readouterr().err


def test_missing_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Running with no command prints the usage on stderr and exits 2."""
    assert main([]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage:" in captured.err
    assert "a command is required" in captured.err


def test_library_errors_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PartnerOfRecordError raised by a command becomes one line on stderr and exit 2."""

    def broken(_args: argparse.Namespace, _streams: Streams) -> int:
        raise ValidationError("Usage", "month", "2024-13", "is not a date")

    def builder() -> Command:
        return Command("broken", "fails", "always fails", ("broken",), lambda _p: None, broken)

    monkeypatch.setattr(cli, "COMMAND_BUILDERS", (builder,))
    assert main(["broken"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Usage.month" in err
    assert "Traceback" not in err


def test_ledger_errors_name_their_first_problem(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A LedgerError's one-line message names its first finding and how many more there are."""

    def broken(_args: argparse.Namespace, _streams: Streams) -> int:
        raise LedgerError([Finding("DPOR_OVERLAP", "two DPORs on S1"), Finding("X", "y")])

    def builder() -> Command:
        return Command("broken", "fails", "always fails", ("broken",), lambda _p: None, broken)

    monkeypatch.setattr(cli, "COMMAND_BUILDERS", (builder,))
    assert main(["broken"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err == "partner-of-record broken: error: [DPOR_OVERLAP] two DPORs on S1 (and 1 more)\n"


def test_registered_commands_get_parsers_and_dispatch(capsys: pytest.CaptureFixture[str]) -> None:
    """A command added to the registry gets its own parser, options, help and dispatch."""

    def add(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--times", type=int, default=1)

    def run(args: argparse.Namespace, streams: Streams) -> int:
        streams.out.write("hi\n" * args.times)
        return EXIT_NOT_MET

    hello = Command("hello", "say hi", "Says hi.", ("hello --times 2",), add, run)
    parser = build_parser([hello])
    args = parser.parse_args(["hello", "--times", "3"])
    assert args.command is hello
    assert args.command.run(args, Streams(sys.stdout, sys.stderr)) == EXIT_NOT_MET
    assert capsys.readouterr().out == "hi\nhi\nhi\n"
    assert "partner-of-record hello --times 2" in parser.format_help()


def test_demo_shows_credits_unattributed_and_reconciliation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With the attribution engine, the demo adds credits per partner, unattributed, reconcile."""
    pytest.importorskip("partner_of_record.attribution")
    ledger = load_sample()
    assert main(["demo", "--format", "json"]) == EXIT_OK
    credits = json.loads(capsys.readouterr().out)["credits"]
    assert credits["reconciled"] is True
    assert {c["partner_id"] for c in credits["by_partner"]} == {p.id for p in ledger.partners}
    total = sum((u.amount for u in ledger.usage), Decimal(0))
    linked = {a.subscription_id for a in ledger.associations}
    never_linked = sum(
        (u.amount for u in ledger.usage if u.subscription_id not in linked), Decimal(0)
    )
    unattributed = Decimal(credits["unattributed"]["USD"])
    assert never_linked <= unattributed < total
    for c in credits["by_partner"]:
        assert Decimal(0) <= Decimal(c["azure"]) <= Decimal(c["amount"]) <= total
    main(["demo"])
    out = capsys.readouterr().out
    assert "Credited consumption per partner" in out
    assert "unattributed" in out
    assert "Reconciliation" in out


def test_demo_works_without_the_attribution_layer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """If partner_of_record.attribution cannot be imported, the demo leaves the credits out."""
    monkeypatch.setitem(sys.modules, "partner_of_record.attribution", None)
    assert cli.credit_summary(load_sample()) is None
    assert main(["demo"]) == EXIT_OK
    assert "Credited" not in capsys.readouterr().out
    assert main(["demo", "--format", "json"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["credits"] is None


def test_console_script_points_at_main() -> None:
    """The installed ``partner-of-record`` console script runs ``partner_of_record.cli:main``."""
    (script,) = entry_points(group="console_scripts", name="partner-of-record")
    assert script.load() is main


def test_demo_explains_its_totals_and_never_cuts_a_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The demo says why credited + unattributed exceeds the input, and prints reasons whole."""
    from partner_of_record.report import evaluate_catalog, position_of

    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "Credited + unattributed can exceed the input: under recognize_all every" in out
    assert "credited its full amount" in out
    assert "..." not in out
    words = " ".join(out.split())
    found = evaluate_catalog(load_sample(), as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS)
    shown = 0
    for per in found.values():
        for evaluation in per.values():
            reason = position_of(evaluation).shortfall
            if reason and " ".join(reason.split()) in words:
                shown += 1
    assert shown >= 10  # two nearest misses for each of the five partners, each in full
    assert out.count("MCV: monthly consumption value") == 1
    assert "nearest misses (2 of 11 not met):" in out
