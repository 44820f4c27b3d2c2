"""Smoke run of the attribution benchmark: the three engines agree (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_attribution.py"


def load_bench() -> ModuleType:
    """Import benchmarks/bench_attribution.py as a module."""
    spec = importlib.util.spec_from_file_location("bench_attribution", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_python_pandas_and_duckdb_agree_on_a_small_ledger(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """With 2,000 usage rows, python, pandas and DuckDB give every partner the same totals."""
    pytest.importorskip("pandas")
    pytest.importorskip("duckdb")
    bench = load_bench()
    status = bench.main(["--rows", "2000", "--seed", "7"])
    out = capsys.readouterr().out
    assert "agree: yes" in out
    assert status == 0


def test_frame_engines_would_detect_a_disagreement() -> None:
    """The agreement check compares real totals: a tampered ledger total makes them differ."""
    pytest.importorskip("pandas")
    pytest.importorskip("duckdb")
    bench = load_bench()
    data = bench.Synthetic(500, 50, 75, 3)
    data.build_usage()
    assoc, usage, names = bench._frames(data)
    sql = bench.duckdb_attribution(bench.duckdb_setup(assoc, usage), names, split=True)
    assert bench.pandas_attribution(assoc, usage, names, split=True) == sql
    usage.loc[0, "amount"] += 1
    assert bench.pandas_attribution(assoc, usage, names, split=True) != sql


def test_load_benchmark_runs_its_parquet_steps_end_to_end(tmp_path: Path) -> None:
    """benchmarks/bench_load.py on 2,000 rows: the Parquet load and the end-to-end step (load,
    attribute, totals, reconcile) each run in their own interpreter and print a figure."""
    pytest.importorskip("pyarrow")
    import subprocess

    script = BENCH.parent / "bench_load.py"
    args = ["--rows", "2000", "--repeat", "1", "--steps", "parquet,end2end"]
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    assert "parquet" in lines
    assert "parquet, end to end" in lines
    assert "skipped" not in done.stdout
