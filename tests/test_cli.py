"""The command line: ``partner-of-record`` / ``python -m partner_of_record``.

First the entry points, the parser and the summary; then the data commands (validate,
attribute, evaluate, competencies, report) run on the sample exported by ``demo --export``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import partner_of_record
from partner_of_record import Customer, Ledger, Partner, Subscription, Usage, Workload, cli
from partner_of_record.catalog import ALL
from partner_of_record.cli import (
    COMMAND_BUILDERS,
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
from partner_of_record.evaluation import evaluate_competency
from partner_of_record.io.export import export_json
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


# --------------------------------------------------------------------------------------------
# the data commands

CONTOSO = "4100231"  # meets Cloud Platform gold in the sample
FABRIKAM = "4200517"  # Cloud Platform silver only
AS_OF = SAMPLE_AS_OF.isoformat()
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample exported by ``demo --export`` (through a subprocess)."""
    folder = tmp_path_factory.mktemp("sample")
    result = _run("demo", "--export", str(folder))
    assert result.returncode == EXIT_OK, result.stderr
    return folder


@pytest.fixture
def broken(tmp_path: Path, data: Path) -> Path:
    """A copy of the sample with one usage row whose amount cannot be read."""
    folder = tmp_path / "broken"
    folder.mkdir()
    for file in data.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    usage = folder / "usage.csv"
    lines = usage.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    first[2] = "twelve"
    lines[1] = ",".join(first)
    usage.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------------------------
# through a subprocess


def test_demo_export_writes_the_files_the_other_commands_read(data: Path) -> None:
    """``demo --export DIR`` writes the six record files and the skills of the sample."""
    names = {p.name for p in data.iterdir()}
    assert {"partners.csv", "usage.csv", "associations.csv", "skills.json"} <= names
    skills = json.loads((data / "skills.json").read_text(encoding="utf-8"))
    assert skills == {p: dict(s) for p, s in SAMPLE_SKILLS.items()}


def test_subprocess_validate_exits_0_on_clean_data(data: Path) -> None:
    """``validate`` on the exported sample accepts every row and exits 0."""
    result = _run("validate", str(data))
    assert result.returncode == EXIT_OK, result.stderr
    assert "OK" in result.stdout
    assert f"{len(load_sample().usage):,}" in result.stdout


def test_subprocess_validate_exits_2_and_names_the_bad_row(broken: Path, tmp_path: Path) -> None:
    """``validate`` exits 2 on a bad cell, names file and line, and writes --rejects."""
    rejects = tmp_path / "rejects.csv"
    result = _run("validate", str(broken), "--rejects", str(rejects))
    assert result.returncode == EXIT_USAGE
    assert "usage.csv:2" in result.stdout
    assert "twelve" in result.stdout
    rows = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    assert [(r["line"], r["value"]) for r in rows] == [("2", "twelve")]


def test_subprocess_attribute_totals_match_the_demo(data: Path) -> None:
    """``attribute`` on the exported folder credits each partner what the library credits."""
    from partner_of_record.attribution import attribute

    result = _run("attribute", str(data))
    assert result.returncode == EXIT_OK, result.stderr
    totals = attribute(load_sample()).totals(by="partner_id")
    for partner_id, amount in totals.items():
        line = next(x for x in result.stdout.splitlines() if x.strip().startswith(partner_id))
        assert line.endswith(f"{amount:,}")


def test_subprocess_evaluate_met_exits_0_and_not_met_exits_1(data: Path) -> None:
    """``evaluate`` exits 0 for a partner that meets the entry and 1 for one that does not."""
    met = _run(
        "evaluate", str(data), "--partner", CONTOSO, "--competency", "CLOUD_PLATFORM_GOLD",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert met.returncode == EXIT_OK, met.stderr
    assert "MET" in met.stdout
    missed = _run(
        "evaluate", str(data), "--partner", FABRIKAM, "--competency", "CLOUD_PLATFORM_GOLD",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert missed.returncode == EXIT_NOT_MET
    assert "NOT met" in missed.stdout
    assert "short of" in missed.stdout


def test_subprocess_evaluate_unknown_competency_exits_2(data: Path) -> None:
    """A misspelt competency exits 2 with one line on stderr that suggests the right name."""
    result = _run(
        "evaluate", str(data), "--partner", CONTOSO, "--competency", "CLOUD_PLATFORM_GOLDD",
        "--as-of", AS_OF,
    )  # fmt: skip
    assert result.returncode == EXIT_USAGE
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "CLOUD_PLATFORM_GOLD" in result.stderr


def test_subprocess_report_writes_a_png(data: Path, tmp_path: Path) -> None:
    """``report --plot FILE`` exits 0 and writes a non-empty PNG file."""
    pytest.importorskip("matplotlib")
    png = tmp_path / "contoso.png"
    result = _run(
        "report", str(data), "--partner", CONTOSO, "--competency", "CLOUD_PLATFORM_GOLD",
        "--plot", str(png),
    )  # fmt: skip
    assert result.returncode == EXIT_OK, result.stderr
    content = png.read_bytes()
    assert content.startswith(PNG_SIGNATURE)
    assert len(content) > 10_000
    assert "Position against the catalog" in result.stdout
    assert str(png) in result.stdout


def test_subprocess_help_of_every_command_shows_an_example() -> None:
    """``<command> --help`` of every registered command exits 0 and shows an example."""
    for build in COMMAND_BUILDERS:
        command = build()
        result = _run(command.name, "--help")
        assert result.returncode == EXIT_OK, command.name
        assert "Example" in result.stdout, command.name
        assert f"partner-of-record {command.examples[0]}" in result.stdout


# --------------------------------------------------------------------------------------------
# in process: validate


def test_validate_json_reports_counts(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``validate --format json`` reports read = accepted + rejected and no rejects."""
    assert main(["validate", str(data), "--format", "json"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    assert doc["read"] == doc["accepted"] + doc["rejected"]
    assert doc["rejects"] == []


def test_validate_strict_stops_at_the_first_reject(
    capsys: pytest.CaptureFixture[str], broken: Path
) -> None:
    """``validate --strict`` exits 2 with one error line naming the bad value."""
    assert main(["validate", str(broken), "--strict"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "twelve" in err


def test_validate_reads_a_json_document(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """``validate`` accepts a .json document of facts."""
    path = tmp_path / "facts.json"
    export_json(load_sample(), path)
    assert main(["validate", str(path)]) == EXIT_OK
    assert "OK" in capsys.readouterr().out


def test_missing_data_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A DATA path that does not exist is a usage error, on stderr."""
    assert main(["validate", str(tmp_path / "nowhere")]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no such file or folder" in captured.err


def test_lenient_load_warns_once_on_stderr(
    capsys: pytest.CaptureFixture[str], broken: Path
) -> None:
    """With --allow-rejects, commands other than validate load leniently and warn in one line."""
    assert main(["attribute", str(broken), "--allow-rejects"]) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "1 row(s)" in captured.err
    assert "warning" in captured.err


# --------------------------------------------------------------------------------------------
# in process: attribute


def test_attribute_csv_writes_one_line_per_credit(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``attribute --format csv`` writes one line per credit, summing to the engine's total."""
    from partner_of_record.attribution import attribute

    assert main(["attribute", str(data), "--format", "csv", "--from", "2024-12"]) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    credits = attribute(load_sample()).filter(start=SAMPLE_AS_OF.replace(year=2024, month=12))
    assert len(rows) == len(credits)
    assert sum(Decimal(r["amount"]) for r in rows) == credits.total()
    assert {r["month"] for r in rows} == {"2024-12-01"}


def test_attribute_by_fields_json(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``--by partner_id,workload --format json`` gives one item per group, currency kept."""
    from partner_of_record.attribution import attribute

    argv = ["attribute", str(data), "--by", "partner_id,workload", "--format", "json"]
    assert main(argv) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    items = document["totals"]
    credits = attribute(load_sample())
    assert document["unattributed_total"] == {"USD": str(credits.unattributed_total())}
    expected = credits.totals(by=("partner_id", "workload", "currency"))
    got = {(i["partner_id"], i["workload"], i["currency"]): Decimal(i["amount"]) for i in items}
    assert got == {(p, w.value, c): a for (p, w, c), a in expected.items()}


def test_attribute_json_includes_the_unattributed_amounts(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``attribute --format json`` gives the credits and what nobody was credited with."""
    from partner_of_record.attribution import attribute

    assert main(["attribute", str(data), "--format", "json", "--from", "2024-12"]) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    credits = attribute(load_sample()).filter(start=SAMPLE_AS_OF.replace(year=2024, month=12))
    assert len(document["credits"]) == len(credits)
    assert sum(Decimal(c["amount"]) for c in document["credits"]) == credits.total()
    parts = document["unattributed"]
    assert parts, "the sample leaves usage unattributed in 2024-12"
    total = Decimal(document["unattributed_total"]["USD"])
    assert sum(Decimal(p["amount"]) for p in parts) == total > 0
    usage = sum(
        (
            u.amount
            for u in load_sample().usage
            if u.month == SAMPLE_AS_OF.replace(year=2024, month=12)
        ),
        Decimal(0),
    )
    assert total <= usage


@pytest.mark.parametrize(
    "extra", [[], ["--by", "partner_id"], ["--format", "json"], ["--explain", "4100231"]]
)
def test_attribute_reversed_range_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], data: Path, extra: list[str]
) -> None:
    """``--from 2024-06 --to 2024-01`` exits 2 with a message, never an empty table."""
    argv = ["attribute", str(data), "--from", "2024-06", "--to", "2024-01", *extra]
    assert main(argv) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--from 2024-06 is after --to 2024-01" in captured.err


def test_attribute_policy_window_and_output_file(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """``--policy``, ``--from``/``--to`` and ``--output`` shape what is written to the file."""
    from partner_of_record.attribution import attribute
    from partner_of_record.policies import get

    out = tmp_path / "totals.csv"
    argv = [
        "attribute", str(data), "--policy", "dpor_only", "--from", "2024-01", "--to", "2024-06",
        "--by", "partner_id", "--format", "csv", "--output", str(out),
    ]  # fmt: skip
    assert main(argv) == EXIT_OK
    assert capsys.readouterr().out == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    first = SAMPLE_AS_OF.replace(year=2024)
    credits = attribute(load_sample(), get("dpor_only"), start=first, end=first.replace(month=7))
    assert {r["partner_id"]: Decimal(r["amount"]) for r in rows} == credits.totals()


def test_attribute_explain_and_reconcile(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``--explain`` shows a partner's usage rows; ``--reconcile`` prints the check (OK)."""
    argv = ["attribute", str(data), "--explain", CONTOSO, "--from", "2024-12", "--to", "2024-12"]
    assert main([*argv, "--reconcile"]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"Partner {CONTOSO}" in out
    assert "association: DPOR" in out
    assert "Reconciliation" in out
    assert "OK" in out


def test_attribute_bad_field_and_policy_exit_2(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """An unknown ``--by`` field or policy name is a usage error with a one-line message."""
    assert main(["attribute", str(data), "--by", "colour"]) == EXIT_USAGE
    assert "colour" in capsys.readouterr().err
    assert main(["attribute", str(data), "--policy", "recognise_all"]) == EXIT_USAGE
    assert "recognize_all" in capsys.readouterr().err


def test_attribute_bad_month_exits_2(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """A month that is not YYYY-MM is refused by the parser, exit 2."""
    assert main(["attribute", str(data), "--from", "2024-13"]) == EXIT_USAGE
    assert "2024-13" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# in process: evaluate


def _evaluate(data: Path, partner: str, competency: str, *extra: str) -> list[str]:
    return [
        "evaluate", str(data), "--partner", partner, "--competency", competency,
        "--as-of", AS_OF, *extra,
    ]  # fmt: skip


def test_evaluate_json_matches_the_library(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``evaluate --format json`` reports the library's verdict, score and requirements."""
    name = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
    skills = data / "skills.json"
    argv = _evaluate(data, FABRIKAM, name, "--skills", str(skills), "--format", "json")
    expected = evaluate_competency(
        load_sample(), FABRIKAM, name, as_of=SAMPLE_AS_OF, skills=SAMPLE_SKILLS[FABRIKAM]
    )
    assert main(argv) == (EXIT_OK if expected.met else EXIT_NOT_MET)
    doc = json.loads(capsys.readouterr().out)
    assert doc["met"] is expected.met
    assert Decimal(doc["score"]) == expected.score
    assert [r["name"] for r in doc["requirements"]] == [r.name for r in expected.requirements]


def test_evaluate_skill_options_change_the_score(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``--skill name=count`` feeds the skilling metrics and overrides ``--skills``."""
    name = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
    main(_evaluate(data, "4500168", name, "--format", "json"))
    without = Decimal(json.loads(capsys.readouterr().out)["score"])
    skills = ["--skill", "intermediate_certifications=5", "--skill", "advanced_certifications=5"]
    main(_evaluate(data, "4500168", name, "--format", "json", *skills))
    with_skills = Decimal(json.loads(capsys.readouterr().out)["score"])
    assert with_skills == without + 40


def test_evaluate_skills_file_with_nan_exits_2(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """A skills file holding ``NaN`` is refused with exit 2 and a message naming the file."""
    bad = tmp_path / "nan-skills.json"
    bad.write_text('{"intermediate_certifications": NaN}', encoding="utf-8")
    argv = _evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--skills", str(bad))
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "nan-skills.json" in err
    assert "NaN" in err


def test_evaluate_bad_skill_exits_2(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """A ``--skill`` without a count, or a skills file that is not JSON, exits 2."""
    assert main(_evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--skill", "x")) == EXIT_USAGE
    assert "name=count" in capsys.readouterr().err
    bad = data.parent / "bad-skills.json"
    bad.write_text("{nope", encoding="utf-8")
    argv = _evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--skills", str(bad))
    assert main(argv) == EXIT_USAGE
    assert "not JSON" in capsys.readouterr().err


def test_evaluate_all_partners_table_and_exit(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``--all-partners`` lists every partner with met / score; exit 1 when one is not met."""
    argv = [
        "evaluate", str(data), "--all-partners", "--competency", "CLOUD_PLATFORM_SILVER",
        "--as-of", AS_OF, "--format", "csv",
    ]  # fmt: skip
    assert main(argv) == EXIT_NOT_MET
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    met = {r["partner_id"]: r["evaluation_met"] for r in rows}
    assert met == {CONTOSO: "true", FABRIKAM: "true", "4300874": "false", "4400392": "false",
                   "4500168": "true"}  # fmt: skip
    assert main(argv[:-2]) == EXIT_NOT_MET
    out = capsys.readouterr().out
    assert "Cloud Platform (Silver)" in out
    assert "azure_consumption" in out


def test_evaluate_what_if_reports_the_difference(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """``--what-if`` adds the file's records and exits on the verdict after the change."""
    extra = tmp_path / "extra.json"
    contoso_sub = next(a.subscription_id for a in load_sample().associations
                       if a.partner_id == CONTOSO and a.kind.value == "dpor")  # fmt: skip
    link = {"partner_id": FABRIKAM, "subscription_id": contoso_sub, "kind": "pal",
            "start": "2024-01-01"}  # fmt: skip
    extra.write_text(json.dumps({"associations": [link]}), encoding="utf-8")
    argv = _evaluate(data, FABRIKAM, "CLOUD_PLATFORM_SILVER", "--what-if", str(extra))
    assert main([*argv, "--format", "json"]) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    change = doc["changes"][0]
    assert Decimal(change["measured_after"]) > Decimal(change["measured_before"])
    assert main(argv) == EXIT_OK
    assert "azure_consumption: US$" in capsys.readouterr().out


def test_evaluate_what_if_bad_file_exits_2(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """A what-if record that does not fit its type is a usage error naming the field."""
    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"associations": [{"partner_id": FABRIKAM}]}), encoding="utf-8")
    argv = _evaluate(data, FABRIKAM, "CLOUD_PLATFORM_GOLD", "--what-if", str(extra))
    assert main(argv) == EXIT_USAGE
    assert "subscription_id" in capsys.readouterr().err


def test_evaluate_earliest(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``--earliest`` names the first qualifying day (exit 0) or says never (exit 1)."""
    from partner_of_record.evaluation import earliest_qualification

    found = earliest_qualification(load_sample(), CONTOSO, "CLOUD_PLATFORM_GOLD", end=SAMPLE_AS_OF)
    assert found.as_of is not None
    assert main(_evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--earliest")) == EXIT_OK
    assert f"as of {found.as_of.isoformat()}" in capsys.readouterr().out
    assert main(_evaluate(data, "4300874", "CLOUD_PLATFORM_GOLD", "--earliest")) == EXIT_NOT_MET
    assert "never meets" in capsys.readouterr().out


def test_evaluate_rates_file_is_read(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """``--rates`` accepts constant and per-month rates; a malformed one exits 2."""
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps({"EUR": "1.08", "GBP": {"2024-12": "1.27"}}), encoding="utf-8")
    assert main(_evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--rates", str(rates))) == EXIT_OK
    capsys.readouterr()
    rates.write_text(json.dumps({"EUR": "-1"}), encoding="utf-8")
    argv = _evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--rates", str(rates))
    assert main(argv) == EXIT_USAGE
    assert "EUR" in capsys.readouterr().err


def test_evaluate_unknown_partner_exits_2(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """A partner not in DATA is a usage error naming the id."""
    assert main(_evaluate(data, "999", "CLOUD_PLATFORM_GOLD")) == EXIT_USAGE
    assert "999" in capsys.readouterr().err


def test_evaluate_requires_a_partner_choice(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """Neither --partner nor --all-partners is a usage error from the parser."""
    argv = ["evaluate", str(data), "--competency", "CLOUD_PLATFORM_GOLD", "--as-of", AS_OF]
    assert main(argv) == EXIT_USAGE
    assert "--partner" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# in process: competencies, report


def test_competencies_lists_every_entry_with_source_and_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``competencies`` names every catalog entry with its source URL and publication day."""
    assert main(["competencies"]) == EXIT_OK
    out = capsys.readouterr().out
    for entry in ALL.values():
        assert f"{entry.name}  {entry.published.isoformat()}  {entry.title}" in out
        assert entry.source_url in out
    assert main(["competencies", "--format", "json"]) == EXIT_OK
    items = json.loads(capsys.readouterr().out)
    assert [i["name"] for i in items] == list(ALL)
    assert all(i["published"] and i["source"] for i in items)


def test_competencies_notes(capsys: pytest.CaptureFixture[str]) -> None:
    """``competencies --notes`` adds each entry's notes."""
    main(["competencies", "--notes"])
    out = " ".join(capsys.readouterr().out.split())
    for entry in ALL.values():
        for note in entry.notes:
            assert " ".join(note.split()) in out


def test_report_json_has_months_positions(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``report --format json`` gives the months asked for and one position per entry."""
    argv = ["report", str(data), "--partner", CONTOSO, "--months", "3", "--format", "json"]
    assert main(argv) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["as_of"] == AS_OF
    assert {m["month"] for m in doc["monthly"]} == {"2024-10-01", "2024-11-01", "2024-12-01"}
    assert [p["competency"] for p in doc["positions"]] == list(ALL)
    assert doc["plot"] is None


def test_report_csv_rows_sum_to_the_credits(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``report --format csv`` rows sum to the partner's credits of those months."""
    from partner_of_record.attribution import attribute

    argv = ["report", str(data), "--partner", FABRIKAM, "--format", "csv"]
    assert main(argv) == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    start = SAMPLE_AS_OF.replace(year=2024)
    expected = attribute(load_sample()).total(partner_id=FABRIKAM, start=start, end=SAMPLE_AS_OF)
    assert sum(Decimal(r["amount"]) for r in rows) == expected
    assert "Fourth Coffee" in {r["customer_name"] for r in rows}


def test_report_bad_months_and_partner_exit_2(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``--months 0`` and an unknown partner are usage errors."""
    assert main(["report", str(data), "--partner", CONTOSO, "--months", "0"]) == EXIT_USAGE
    assert "--months" in capsys.readouterr().err
    assert main(["report", str(data), "--partner", "nobody"]) == EXIT_USAGE
    assert "nobody" in capsys.readouterr().err


def test_report_without_matplotlib_exits_2(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without matplotlib, ``report --plot`` exits 2 and names the extra to install."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    png = tmp_path / "x.png"
    argv = ["report", str(data), "--partner", CONTOSO, "--plot", str(png)]
    assert main(argv) == EXIT_USAGE
    assert "pip install -e '.[plot]'" in capsys.readouterr().err
    assert not png.exists()


def test_evaluate_what_if_skills_and_output_file(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """A what-if ``skills`` object adds people; ``--output`` receives the difference."""
    extra = tmp_path / "people.json"
    extra.write_text(json.dumps({"skills": {"intermediate_certifications": 5}}), encoding="utf-8")
    out = tmp_path / "diff.json"
    name = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
    argv = _evaluate(data, "4500168", name, "--what-if", str(extra), "--format", "json")
    assert main([*argv, "--output", str(out)]) == EXIT_NOT_MET
    assert capsys.readouterr().out == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert Decimal(doc["score_delta"]) == 20
    changed = {c["name"] for c in doc["changes"] if c["met_before"] != c["met_after"]}
    assert changed == {"score.intermediate_certifications"}


def test_evaluate_rates_with_text_that_is_not_a_number_exits_2(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """A rate written as words is a usage error naming the currency."""
    rates = tmp_path / "rates.json"
    rates.write_text(json.dumps({"EUR": {"2024-12": "one"}}), encoding="utf-8")
    argv = _evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--rates", str(rates))
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "EUR" in err
    assert "'one'" in err


def test_report_text_tables_and_default_plot_entry(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """The text report has both credit tables, the position, and plots the nearest miss."""
    pytest.importorskip("matplotlib")
    png = tmp_path / "fabrikam.png"
    skills = str(data / "skills.json")
    argv = ["report", str(data), "--partner", FABRIKAM, "--skills", skills, "--plot", str(png)]
    assert main(argv) == EXIT_OK
    out = capsys.readouterr().out
    assert "Credited consumption per month, by association kind" in out
    assert "Credited consumption by customer, workload and kind" in out
    assert "Fourth Coffee" in out
    assert "meets 1 of 12" in out
    # Fabrikam's nearest miss: the Azure infrastructure designation, 80 of 70 points
    assert "Plot of SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE written to" in out
    assert png.read_bytes().startswith(PNG_SIGNATURE)


def test_report_plot_of_an_empty_folder_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A folder with a partner but no usage has nothing to plot: a usage error, no traceback."""
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "partners.csv").write_text("partner_id,name\r\nP1,One\r\n", encoding="utf-8")
    argv = ["report", str(folder), "--partner", "P1", "--plot", str(tmp_path / "x.png")]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no usage or seat month to plot" in err


def test_attribute_by_text_table(capsys: pytest.CaptureFixture[str], data: Path) -> None:
    """``--by workload`` as text lists one aligned line per workload and currency."""
    from partner_of_record.attribution import attribute

    assert main(["attribute", str(data), "--by", "workload"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["workload", "currency", "amount"]
    totals = attribute(load_sample()).totals(by=("workload", "currency"))
    assert len(lines) == 2 + len(totals)
    for (workload, currency), amount in totals.items():
        assert any(line.split() == [workload.value, currency, f"{amount:,}"] for line in lines)


def test_missing_input_file_exits_2(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """A --skills file that does not exist is one error line naming the file, exit 2."""
    missing = tmp_path / "no-skills.json"
    argv = _evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--skills", str(missing))
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(missing) in err


def test_evaluate_earliest_json_and_what_if_csv(
    capsys: pytest.CaptureFixture[str], data: Path, tmp_path: Path
) -> None:
    """``--earliest --format json`` names the day; ``--what-if --format csv`` one row per change."""
    argv = _evaluate(data, CONTOSO, "CLOUD_PLATFORM_GOLD", "--earliest", "--format", "json")
    assert main(argv) == EXIT_OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["met"] is True
    assert doc["evaluation"]["as_of"] == doc["as_of"]
    extra = tmp_path / "people.json"
    extra.write_text(json.dumps({"skills": {"intermediate_certifications": 5}}), encoding="utf-8")
    name = "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE"
    argv = _evaluate(data, "4500168", name, "--what-if", str(extra), "--format", "csv")
    assert main(argv) == EXIT_NOT_MET
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    changed = {r["name"] for r in rows if r["changed"] == "true"}
    assert "score.intermediate_certifications" in changed


def test_evaluate_project_states_the_projection_and_its_assumption(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``evaluate --project 24`` names the projected month and the trend it assumes."""
    from partner_of_record.evaluation import project_qualification

    argv = [
        "evaluate", str(data), "--partner", "4200517", "--competency", "CLOUD_PLATFORM_GOLD",
        "--as-of", "2025-01-01", "--project", "24",
    ]  # fmt: skip
    expected = project_qualification(
        load_sample(), "4200517", "CLOUD_PLATFORM_GOLD", as_of=SAMPLE_AS_OF, horizon=24
    )
    assert main(argv) == (EXIT_OK if expected.met else EXIT_NOT_MET)
    out = capsys.readouterr().out
    assert out.startswith(expected.describe())
    assert "assuming each usage line" in out
    assert main([*argv, "--format", "json"]) in (EXIT_OK, EXIT_NOT_MET)
    document = json.loads(capsys.readouterr().out)
    assert document["projection"] is True
    assert document["assumption"] == expected.assumption
    assert document["as_of"] == (expected.as_of.isoformat() if expected.as_of else None)


def test_evaluate_text_shows_the_stale_data_warning(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """Evaluated past the data, ``evaluate`` prints NO_USAGE_IN_MONTH: is the data refreshed?"""
    argv = [
        "evaluate", str(data), "--partner", "4100231", "--competency", "CLOUD_PLATFORM_GOLD",
        "--as-of", "2025-06-01",
    ]  # fmt: skip
    main(argv)
    out = capsys.readouterr().out
    assert "NO_USAGE_IN_MONTH" in out
    assert "is the data refreshed?" in out
    main([*argv, "--format", "json"])
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "NO_USAGE_IN_MONTH" in codes


def test_all_partners_and_report_show_the_stale_data_warning(
    capsys: pytest.CaptureFixture[str], data: Path
) -> None:
    """``evaluate --all-partners`` and ``report`` past the data say: is the data refreshed?"""
    argv = [
        "evaluate", str(data), "--all-partners", "--competency", "CLOUD_PLATFORM_GOLD",
        "--as-of", "2025-06-01",
    ]  # fmt: skip
    main(argv)
    out = capsys.readouterr().out
    assert "! [NO_USAGE_IN_MONTH]" in out
    assert "is the data refreshed? (partners 4100231, 4200517" in out
    main(["report", str(data), "--partner", "4100231", "--as-of", "2025-06-01"])
    assert "is the data refreshed? (partner 4100231)" in capsys.readouterr().out
    main(["report", str(data), "--partner", "4100231", "--as-of", "2025-06-01", "--format", "json"])
    positions = json.loads(capsys.readouterr().out)["positions"]
    assert all("NO_USAGE_IN_MONTH" in [f["code"] for f in p["findings"]] for p in positions)


@pytest.mark.parametrize("mode", ["--earliest", "--project"])
def test_evaluate_earliest_and_project_in_every_format(
    capsys: pytest.CaptureFixture[str], data: Path, mode: str
) -> None:
    """``--earliest`` and ``--project``: JSON lists the result's fields then ``evaluation``;
    CSV is the evaluation's rows; text starts with the result's ``describe()``."""
    from partner_of_record.evaluation import earliest_qualification, project_qualification
    from partner_of_record.io.export import write_evaluations_csv

    partner, name = "4200517", "CLOUD_PLATFORM_GOLD"
    argv = [
        "evaluate", str(data), "--partner", partner, "--competency", name,
        "--as-of", "2025-01-01", mode, *(["24"] if mode == "--project" else []),
    ]  # fmt: skip
    if mode == "--earliest":
        found: object = earliest_qualification(load_sample(), partner, name, end=SAMPLE_AS_OF)
        fields = ["competency", "partner_id", "met", "as_of", "scanned_from", "scanned_to"]
    else:
        found = project_qualification(load_sample(), partner, name, as_of=SAMPLE_AS_OF, horizon=24)
        fields = [
            "competency", "partner_id", "projection", "from_as_of", "already_met", "as_of",
            "scanned_to", "assumption",
        ]  # fmt: skip
    evaluation = found.evaluation  # type: ignore[attr-defined]
    main([*argv, "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert list(document) == [*fields, "evaluation"]
    assert (document["evaluation"] is None) == (evaluation is None)
    main([*argv, "--format", "csv"])
    expected = io.StringIO()
    write_evaluations_csv([evaluation] if evaluation else [], expected)
    assert capsys.readouterr().out == expected.getvalue()
    main(argv)
    out = capsys.readouterr().out
    assert out.startswith(found.describe() + "\n")  # type: ignore[attr-defined]
    projected = "Projected evaluation (on projected records):\n" in out
    assert projected == (mode == "--project" and evaluation is not None and not found.already_met)  # type: ignore[attr-defined]
