"""The evaluate_all benchmark runs on a tiny ledger and its two paths agree."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_evaluate_all.py"


def _bench() -> ModuleType:
    """Import benchmarks/bench_evaluate_all.py as a module."""
    spec = importlib.util.spec_from_file_location("bench_evaluate_all", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_smoke_run_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    """A 40-partner run prints both paths for each entry and exits 0 (the paths agree)."""
    bench = _bench()
    names = ["CLOUD_PLATFORM_SILVER", "SOLUTIONS_PARTNER_SECURITY"]
    status = bench.main(["--partners", "40", "--sample", "8", "--no-freeze", "--entries", *names])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "extrapolated" in out
    for name in names:
        assert name in out
    assert "DISAGREE" not in out
