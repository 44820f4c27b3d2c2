"""Benchmark: loading a usage CSV into a ledger (issue 11's data path), with baselines.

Writes a folder with N usage rows (default 1,000,000 over 100,000 subscriptions), then times,
each in its own process (so peak memory is that step's own):

* ``load_folder``: the library's load, usage read into columns (every row checked, located
  rejects), target <= 5 s for 1M rows;
* ``read_records``: the object path (one ``Usage`` per row, streamed; what ``load_folder`` did
  before the columns), as the old baseline;
* ``csv.reader``: the standard library reading the file and doing nothing, the floor;
* ``pandas.read_csv``: pandas reading the same file as strings (no checks), when installed.

Usage: ``python benchmarks/bench_load.py [ROWS] [SUBSCRIPTIONS]``. Prints time, rows/s and
peak memory (max RSS) side by side.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = {
    "load_folder (columns)": """
from partner_of_record.io import load_folder
result = load_folder(FOLDER, progress=False)
assert result.report.ok, str(result.report)[:2000]
rows = len(result.ledger.usage)
""",
    "read_records (a Usage per row)": """
from partner_of_record.io import read_records
rows = sum(1 for _ in read_records(FOLDER / "usage.csv", "usage", duplicates=True))
""",
    "csv.reader (floor, no checks)": """
import csv
with open(FOLDER / "usage.csv", newline="", encoding="utf-8") as fh:
    rows = sum(1 for _ in csv.reader(fh)) - 1
""",
    "pandas.read_csv (strings, no checks)": """
import pandas
rows = len(pandas.read_csv(FOLDER / "usage.csv", dtype=str, keep_default_na=False))
""",
}

_RUNNER = """
import json, resource, sys, time
from pathlib import Path
FOLDER = Path(sys.argv[1])
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "rows": rows, "peak_mb": peak}}))
"""


def make_folder(folder: Path, rows: int, subscriptions: int) -> None:
    """A valid folder: partners, customers, subscriptions, one PAL, and ``rows`` usage rows."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "partners.csv").write_text("id,name\nP1,Contoso\n", encoding="utf-8")
    (folder / "customers.csv").write_text("id\nC1\n", encoding="utf-8")
    with (folder / "subscriptions.csv").open("w", encoding="utf-8") as out:
        out.write("id,customer_id,workload\n")
        out.writelines(f"S{i},C1,Azure\n" for i in range(subscriptions))
    (folder / "associations.csv").write_text(
        "partner_id,subscription_id,kind,start,end\nP1,S1,PAL,2024-01-01,\n", encoding="utf-8"
    )
    rng = random.Random(11)
    months = [f"2024-{m:02d}" for m in range(1, 13)]
    per = max(1, rows // subscriptions)
    services = ("Virtual Machines", "Storage", "SQL Database")
    with (folder / "usage.csv").open("w", encoding="utf-8") as out:
        out.write("subscription_id,month,amount,currency,service\n")
        written = 0
        for i in range(subscriptions):
            for k in range(per):
                if written == rows:
                    break
                amount = rng.randrange(1, 10**7) / 100
                service = services[(k // 12) % len(services)]
                out.write(f"S{i},{months[k % 12]},{amount:.2f},USD,{service}\n")
                written += 1


def measure(name: str, folder: Path) -> dict[str, float] | None:
    """Run one step in a fresh interpreter; None when it cannot run (pandas missing)."""
    code = _RUNNER.format(body=STEPS[name])
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(f"  {name}: skipped ({done.stderr.strip().splitlines()[-1][:120]})")
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Build the folder, time every step, print the table."""
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    subscriptions = int(sys.argv[2]) if len(sys.argv) > 2 else max(1, rows // 10)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "data"
        started = time.perf_counter()
        make_folder(folder, rows, subscriptions)
        size = (folder / "usage.csv").stat().st_size / 1e6
        print(
            f"usage.csv: {rows:,} rows, {subscriptions:,} subscriptions, {size:.0f} MB"
            f" (written in {time.perf_counter() - started:.1f} s)"
        )
        print(f"{'step':40} {'seconds':>8} {'rows/s':>12} {'peak MB':>8}")
        for name in STEPS:
            found = measure(name, folder)
            if found is None:
                continue
            rate = found["rows"] / found["seconds"] if found["seconds"] else 0
            print(f"{name:40} {found['seconds']:8.2f} {rate:12,.0f} {found['peak_mb']:8.0f}")


if __name__ == "__main__":
    main()
