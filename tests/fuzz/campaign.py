"""A long fuzz campaign over the loaders: ``python tests/fuzz/campaign.py --campaign 50000``.

Generates damaged CSV folders and JSON documents (``damage.py``; 4 folders for each document),
checks the invariant on each and, unlike the test, keeps going after a violation: it prints a
progress line every 1,000 inputs, then the number of inputs, the number of violations and the
first distinct ones. Exit code 1 when any
invariant was violated. Meant for long runs outside CI, at low priority (``nice -n 19``).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings

sys.path.insert(0, str(Path(__file__).parent))

from damage import check_folder, check_json, damaged_folders, damaged_json


def _progress(kind: str, runs: int, found: collections.Counter[str]) -> None:
    if runs % 1000 == 0:
        violations = sum(found.values())
        print(f"progress {kind}: {runs} inputs, {violations} violation(s)", flush=True)


def _run(kind: str, count: int, workdir: Path, found: collections.Counter[str]) -> int:
    runs = 0
    examples: dict[str, object] = {}
    config = settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    if kind == "csv":

        @config
        @given(files=damaged_folders())
        def body(files: dict[str, bytes]) -> None:
            nonlocal runs
            runs += 1
            _progress(kind, runs, found)
            where = workdir / "folder"
            shutil.rmtree(where, ignore_errors=True)
            for problem in check_folder(files, where):
                key = problem.split(": ", 1)[-1][:120]
                found[key] += 1
                examples.setdefault(key, {k: v.decode("latin-1") for k, v in files.items()})

    else:

        @config
        @given(text=damaged_json())
        def body(text: str) -> None:
            nonlocal runs
            runs += 1
            _progress(kind, runs, found)
            for problem in check_json(text):
                key = problem[:120]
                found[key] += 1
                examples.setdefault(key, text[:2000])

    body()
    for key, example in list(examples.items())[:5]:
        print(f"EXAMPLE [{kind}] {key}\n{json.dumps(example)[:2000]}", file=sys.stderr)
    return runs


def main(argv: list[str] | None = None) -> int:
    """Run the campaign; print the counts as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--campaign", type=int, default=1000, metavar="N", help="inputs in all")
    args = parser.parse_args(argv)
    json_count = max(1, args.campaign // 5)
    csv_count = max(1, args.campaign - json_count)
    found: collections.Counter[str] = collections.Counter()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        csv_runs = _run("csv", csv_count, Path(tmp), found)
        json_runs = _run("json", json_count, Path(tmp), found)
    summary = {
        "csv_folders": csv_runs,
        "json_documents": json_runs,
        "inputs": csv_runs + json_runs,
        "violations": sum(found.values()),
        "distinct_violations": dict(found.most_common(20)),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(summary, indent=2))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
