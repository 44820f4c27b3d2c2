"""The ``incentives`` command: text, JSON and CSV output, program files, exit codes."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest

from partner_of_record.cli import EXIT_NOT_MET, EXIT_OK, EXIT_USAGE, main
from partner_of_record.incentives import PARTNER_EARNED_CREDIT, evaluate_incentive
from partner_of_record.samples import load_sample

LITWARE, TAILSPIN, CONTOSO = "4500168", "4400392", "4100231"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample, exported as CSV files by ``demo --export``."""
    path = tmp_path_factory.mktemp("sample") / "data"
    assert main(["demo", "--export", str(path)]) == EXIT_OK
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["incentives", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_text_output_shows_months_reasons_and_payments(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The text output has the monthly table, the ineligible reasons and the payments."""
    code, out, _ = _run(
        capsys,
        str(folder),
        "--partner",
        CONTOSO,
        "--program",
        "AZURE_DPOR_2015",
        "--rate",
        "3%",
        "--from",
        "2023-07",
        "--to",
        "2024-12",
    )
    assert code == EXIT_OK
    assert "AZURE_DPOR_2015) for partner 4100231, 2023-07..2024-12" in out
    assert "excluded offer: trial" in out
    assert "below the US$200.00 minimum: carried forward" in out


def test_json_output_matches_the_library(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format json prints Earnings.to_dict() of the same evaluation."""
    code, out, _ = _run(
        capsys, str(folder), "--partner", LITWARE, "--program", "partner-earned-credit",
        "--format", "json",
    )  # fmt: skip
    assert code == EXIT_OK
    document = json.loads(out)
    expected = evaluate_incentive(load_sample(), LITWARE, PARTNER_EARNED_CREDIT)
    assert Decimal(document["earned"]) == expected.earned
    assert len(document["months"]) == len(expected.months)


def test_csv_output_has_one_row_per_month(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--format csv writes one row per month whose totals add up to the earnings."""
    code, out, _ = _run(
        capsys, str(folder), "--partner", LITWARE, "--program", "PARTNER_EARNED_CREDIT",
        "--from", "2024-01", "--to", "2024-06", "--format", "csv",
    )  # fmt: skip
    assert code == EXIT_OK
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["month"] for r in rows] == [f"2024-0{m}" for m in range(1, 7)]
    assert all(
        Decimal(r["eligible"]) + Decimal(r["ineligible"]) == Decimal(r["credited"]) for r in rows
    )


def test_a_partner_earning_nothing_exits_1(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tailspin has no CSP Azure: PEC earns it nothing, exit code 1."""
    code, out, _ = _run(
        capsys, str(folder), "--partner", TAILSPIN, "--program", "PARTNER_EARNED_CREDIT"
    )
    assert code == EXIT_NOT_MET
    assert "earned 0.00" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--partner", CONTOSO, "--program", "AZURE_DPOR_2015"], "needs its rate"),
        (["--partner", CONTOSO, "--program", "PEC_2019"], "no incentive program named"),
        (["--partner", "nobody", "--program", "PARTNER_EARNED_CREDIT"], "nobody"),
        (["--partner", CONTOSO, "--program", "missing.toml"], "no such program file"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    folder: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    """A missing rate, an unknown program, partner or file: exit 2 and one line on stderr."""
    code, _, err = _run(capsys, str(folder), *argv)
    assert code == EXIT_USAGE
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_a_program_file_is_loaded_safely(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--program FILE.toml reads a declared program; --rate overrides its rate."""
    program = tmp_path / "pec10.toml"
    program.write_text(
        'name = "PEC10"\ntitle = "PEC at 10 %"\nsource = "test"\neffective = 2023-10-01\n'
        '[subscriptions]\nkinds = ["csp_tier1"]\nrequires = ["csp_tier1"]\n'
        '[earning]\nrate = "0.10"\nrounding = "billed_cost"\n',
        encoding="utf-8",
    )
    code, out, _ = _run(
        capsys, str(folder), "--partner", LITWARE, "--program", str(program), "--format", "json"
    )
    assert code == EXIT_OK
    ten = Decimal(json.loads(out)["earned"])
    code, out, _ = _run(
        capsys, str(folder), "--partner", LITWARE, "--program", str(program), "--rate", "0.15",
        "--format", "json",
    )  # fmt: skip
    fifteen = Decimal(json.loads(out)["earned"])
    assert fifteen == evaluate_incentive(load_sample(), LITWARE, PARTNER_EARNED_CREDIT).earned
    assert ten < fifteen
