"""Benchmark: loading usage into a ledger (issue 11's data path), with peers, in one run.

Writes a folder with N usage rows (default 1,000,000 over N / 10 subscriptions) as
``usage.csv`` and, when pyarrow is installed, the same rows as ``usage.parquet`` in a second
folder; then times, each step in its own interpreter (so its peak memory, the max RSS, is its
own):

* ``load_folder`` of the CSV with the standard library's ``csv`` module (``csv_engine=
  "python"``; target <= 5 s for 1M rows) and through pyarrow (``csv_engine="pyarrow"``); the
  rows are all checked, the rejects located;
* ``load_folder`` of the Parquet folder (target with the CSV through pyarrow: <= 1 s for 1M
  rows; at 10M rows, end to end, peak memory <= 3 GB), and the same followed by
  ``attribute`` (``RecognizeAll``), ``totals`` by partner and by month, the unattributed total
  and ``reconcile()`` (``parquet, end to end``: the folder has one association, so this shows
  the engine's memory per row, not a realistic timeline's);
* ``Ledger.from_columns`` alone on the usage as numpy columns (target <= 0.5 s for 1M rows);
* peers on the same file: ``pyarrow.csv.read_csv`` (typed, no checks), ``pandas.read_csv``
  (strings, no checks) and ``csv.reader`` (no checks, the floor of the stdlib path).

Module imports are not timed (pandas included: pyarrow imports it, when installed, on its
first conversion to numpy). Each load step reads the subscriptions file too (N / 10 rows,
through pyarrow's columns when the step reads with pyarrow; the records are built by the model's
constructor); the ``subscriptions only`` steps show that part alone.

Prints wall seconds, CPU seconds (``time.process_time``, the figure to compare on a shared
machine), rows/s, peak memory and the CPU ratio to ``pyarrow.csv.read_csv``, best of
``--repeat`` runs. Usage::

    python benchmarks/bench_load.py [--rows N] [--subscriptions S] [--repeat R]
        [--steps NAME,NAME]   # e.g. --rows 10000000 --steps parquet,pyarrow.csv
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEPS = {
    "subscriptions only": """
from partner_of_record.io import load_folder
result = load_folder(SUBS, progress=False, csv_engine="python")
rows = len(result.ledger.subscriptions)
""",
    "subscriptions only, pyarrow": """
from partner_of_record.io import load_folder
result = load_folder(SUBS, progress=False, csv_engine="pyarrow")
rows = len(result.ledger.subscriptions)
""",
    "csv, python": """
from partner_of_record.io import load_folder
result = load_folder(FOLDER, progress=False, csv_engine="python")
assert result.report.ok, str(result.report)[:2000]
rows = len(result.ledger.usage)
""",
    "csv, pyarrow": """
from partner_of_record.io import load_folder
result = load_folder(FOLDER, progress=False, csv_engine="pyarrow")
assert result.report.ok, str(result.report)[:2000]
rows = len(result.ledger.usage)
""",
    "parquet": """
from partner_of_record.io import load_folder
result = load_folder(PARQUET, progress=False)
assert result.report.ok, str(result.report)[:2000]
rows = len(result.ledger.usage)
""",
    "parquet, end to end": """
from partner_of_record import RecognizeAll, attribute
from partner_of_record.io import load_folder
result = load_folder(PARQUET, progress=False)
assert result.report.ok, str(result.report)[:2000]
credits = attribute(result.ledger, RecognizeAll())
credits.totals(by="partner_id"), credits.unattributed_total(), credits.totals(by="month")
assert credits.reconcile().ok
rows = len(result.ledger.usage)
""",
    "from_columns": """
import numpy as np
from partner_of_record import Ledger
from partner_of_record.io import load_folder
facts = load_folder(SUBS, progress=False, csv_engine="python").ledger
import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pacsv
table = pacsv.read_csv(
    FOLDER / "usage.csv",
    convert_options=pacsv.ConvertOptions(column_types={"amount": pa.string()}),
)
cents = pc.cast(pc.replace_substring(table.column("amount"), ".", ""), pa.int64())  # 2 decimals
columns = {
    "subscription_id": table.column("subscription_id").to_numpy(zero_copy_only=False),
    "month": np.asarray(table.column("month").to_numpy(zero_copy_only=False), "datetime64[D]"),
    "amount_minor": cents.to_numpy(),
    "currency": table.column("currency").to_numpy(zero_copy_only=False),
    "service": table.column("service").to_numpy(zero_copy_only=False),
}
del table
start, cpu = time.perf_counter(), time.process_time()  # only from_columns is timed
ledger = Ledger.from_columns(
    facts.partners, facts.customers, facts.subscriptions, facts.associations, usage=columns
)
rows = len(ledger.usage)
""",
    "peer: pyarrow.csv.read_csv": """
import pyarrow.csv
rows = pyarrow.csv.read_csv(FOLDER / "usage.csv").num_rows
""",
    "peer: pandas.read_csv (str)": """
import pandas
rows = len(pandas.read_csv(FOLDER / "usage.csv", dtype=str, keep_default_na=False))
""",
    "peer: csv.reader (floor)": """
import csv
with open(FOLDER / "usage.csv", newline="", encoding="utf-8") as fh:
    rows = sum(1 for _ in csv.reader(fh)) - 1
""",
}
SHORT = {
    "subs": "subscriptions only",
    "subs.pyarrow": "subscriptions only, pyarrow",
    "python": "csv, python",
    "pyarrow": "csv, pyarrow",
    "parquet": "parquet",
    "end2end": "parquet, end to end",
    "from_columns": "from_columns",
    "pyarrow.csv": "peer: pyarrow.csv.read_csv",
    "pandas": "peer: pandas.read_csv (str)",
    "csv": "peer: csv.reader (floor)",
}
PEER = "peer: pyarrow.csv.read_csv"

_RUNNER = """
import json, resource, sys, time
from pathlib import Path
FOLDER, PARQUET, SUBS = (Path(p) for p in sys.argv[1:4])
import partner_of_record.io  # imports are not timed
try:
    import pyarrow.compute, pyarrow.csv, pyarrow.dataset, pyarrow.parquet
    import partner_of_record.io._arrow_csv, partner_of_record.io._arrow_records
except ImportError:
    pass
try:  # pyarrow imports pandas (when installed) on its first conversion to numpy: an import
    import pandas
except ImportError:
    pass
start, cpu = time.perf_counter(), time.process_time()
{body}
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"seconds": seconds, "cpu": cpu, "rows": rows, "peak_mb": peak}}))
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
            lines = []
            for k in range(per):
                if written == rows:
                    break
                amount = rng.randrange(1, 10**7) / 100
                service = services[(k // 12) % len(services)]
                lines.append(f"S{i},{months[k % 12]},{amount:.2f},USD,{service}\n")
                written += 1
            out.writelines(lines)


def make_side_folders(folder: Path, parquet: Path, subs: Path) -> bool:
    """The Parquet folder (usage.parquet, amounts as exact text, as ``io.write_parquet``
    writes them) and the facts-only folder; False when pyarrow is missing."""
    subs.mkdir()
    for name in ("partners.csv", "customers.csv", "subscriptions.csv", "associations.csv"):
        (subs / name).write_bytes((folder / name).read_bytes())
    (subs / "usage.csv").write_text("subscription_id,month,amount\n", encoding="utf-8")
    code = """
import sys
import pyarrow as pa, pyarrow.compute as pc, pyarrow.csv as pacsv, pyarrow.parquet as pq
table = pacsv.read_csv(sys.argv[1], convert_options=pacsv.ConvertOptions(
    column_types={"month": pa.string(), "amount": pa.string()}))
month = pc.strptime(pc.binary_join_element_wise(table.column("month"), "01", "-"),
                    format="%Y-%m-%d", unit="s").cast(pa.date32())
table = table.set_column(table.column_names.index("month"), "month", month)
pq.write_table(table, sys.argv[2])
"""
    parquet.mkdir()
    for name in ("partners.csv", "customers.csv", "subscriptions.csv", "associations.csv"):
        (parquet / name).write_bytes((folder / name).read_bytes())
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder / "usage.csv"), str(parquet / "usage.parquet")],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


def measure(name: str, folders: tuple[Path, Path, Path]) -> dict[str, float] | None:
    """Run one step in a fresh interpreter; None when it cannot run (a peer missing)."""
    code = _RUNNER.format(body=STEPS[name], name=name)
    done = subprocess.run(
        [sys.executable, "-c", code, *map(str, folders)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(f"  {name}: skipped ({done.stderr.strip().splitlines()[-1][:120]})")
        return None
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Build the folders, time every step (best CPU of ``--repeat``), print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--subscriptions", type=int, default=0, help="default: rows / 10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", default="", help=f"comma-separated, of {', '.join(SHORT)}")
    args = parser.parse_args()
    rows = args.rows
    subscriptions = args.subscriptions or max(1, rows // 10)
    names = [SHORT[s.strip()] for s in args.steps.split(",") if s.strip()] or list(STEPS)
    with tempfile.TemporaryDirectory() as tmp:
        folder, parquet, subs = Path(tmp) / "csv", Path(tmp) / "parquet", Path(tmp) / "subs"
        started = time.perf_counter()
        make_folder(folder, rows, subscriptions)
        if not make_side_folders(folder, parquet, subs):
            names = [n for n in names if n in ("csv, python", "subscriptions only") or "csv." in n]
        size = (folder / "usage.csv").stat().st_size / 1e6
        print(
            f"usage.csv: {rows:,} rows, {subscriptions:,} subscriptions, {size:.0f} MB"
            f" (written in {time.perf_counter() - started:.1f} s); best of {args.repeat}"
        )
        results: dict[str, dict[str, float]] = {}
        for name in names:
            runs = [measure(name, (folder, parquet, subs)) for _ in range(args.repeat)]
            found = [r for r in runs if r is not None]
            if found:
                results[name] = min(found, key=lambda r: r["cpu"])
        peer = results.get(PEER, {}).get("cpu")
        print(
            f"{'step':30} {'wall s':>7} {'CPU s':>7} {'rows/s (CPU)':>13} {'peak MB':>8}"
            f" {'CPU / pyarrow.csv':>18}"
        )
        for name, found in results.items():
            rate = found["rows"] / found["cpu"] if found["cpu"] else 0
            ratio = f"{found['cpu'] / peer:.1f}x" if peer else "-"
            print(
                f"{name:30} {found['seconds']:7.2f} {found['cpu']:7.2f} {rate:13,.0f}"
                f" {found['peak_mb']:8.0f} {ratio:>18}"
            )


if __name__ == "__main__":
    main()
