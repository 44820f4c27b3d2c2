"""What the driver and the buckets share: column names and types, the job, Arrow helpers.

Nothing here imports pyspark (the buckets run in Spark's Python workers, in tests and in
notebooks alike); ``pyarrow`` is imported when a helper is called.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from partner_of_record.io.columns import layout_for
from partner_of_record.rules import RuleSet

__all__ = [
    "AMOUNT_SCALE",
    "ASSOCIATION_FIELDS",
    "BUCKET",
    "CREDIT_COLUMNS",
    "EXACT",
    "FACT_COLUMNS",
    "MINOR",
    "RECORD",
    "REJECT_COLUMNS",
    "ROW",
    "SUBSCRIPTION_FIELDS",
    "TIMINGS_ENV",
    "Job",
    "Timer",
    "arrow",
    "arrow_compute",
    "arrow_schema",
]

AMOUNT_SCALE = 3
"""Decimal places of the ``amount`` column: the largest minor unit of ISO 4217 (BHD, KWD ...)."""

ROW = "_row"
BUCKET = "_bucket"
RECORD = "_record"
MINOR = "_minor"
EXACT = "_exact"

CREDIT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("row", "long"),
    ("partner_id", "string"),
    ("subscription_id", "string"),
    ("customer_id", "string"),
    ("workload", "string"),
    ("month", "date"),
    ("service", "string"),
    ("currency", "string"),
    ("amount", f"decimal(38,{AMOUNT_SCALE})"),
    ("kinds", "array<string>"),
    ("policy", "string"),
    ("offer", "string"),
)
"""The credit table's columns and Spark SQL types, in order. ``offer`` is the row's offer
category when the usage row gives one, else its subscription's (what the evaluator's offer
exclusions read)."""

REJECT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record", "string"),
    ("row", "long"),
    ("subscription_id", "string"),
    ("column", "string"),
    ("value", "string"),
    ("code", "string"),
    ("reason", "string"),
)
"""The rejected-rows table's columns and Spark SQL types, in order."""

SUBSCRIPTION_FIELDS = tuple(c.field for c in layout_for("subscriptions").columns)
ASSOCIATION_FIELDS = tuple(c.field for c in layout_for("associations").columns)
FACT_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            RECORD,
            ROW,
            "subscription_id",
            "customer_id",
            "customer_name",
            *(f for f in SUBSCRIPTION_FIELDS if f != "id"),
            "partner_id",
            "partner_name",
            *ASSOCIATION_FIELDS,
        )
    )
)
"""The columns of facts given as DataFrames, co-grouped with the usage: one row per
subscription (``_record = "subscription"``) or association (``"association"``), as text."""


@attrs.frozen
class Job:
    """Everything a bucket needs besides its rows; pickled once and sent to the executors.

    Attributes:
        policy: the attribution policy (any picklable object the engine accepts).
        policy_name: the policy's name, written in each credit row.
        rules: the program rules the bucket's ledger is checked against.
        start: only usage months on or after this day are attributed, if given.
        end: only usage months before this day are attributed, if given.
        usage_fields: the usage fields the input has, as model field names.
        shown: field -> the column name as the input spells it (for rejects).
        typed: whether the usage columns are typed (dates, decimals): then they are checked
            by ``Ledger.from_columns``; else they are text, read by the CSV import's rules.
        facts: facts from a ledger: anything whose ``value`` is a ``facts_payload`` (a Spark
            broadcast variable on a cluster), or ``None`` when the facts come with each bucket.
        facts_token: the payload's token (the key of the executors' cache).
    """

    policy: Any
    policy_name: str
    rules: RuleSet
    start: dt.date | None
    end: dt.date | None
    usage_fields: tuple[str, ...]
    shown: Mapping[str, str]
    typed: bool = False
    facts: Any = None
    facts_token: str | None = None


TIMINGS_ENV = "PARTNER_OF_RECORD_SPARK_TIMINGS"
"""When this environment variable names a folder, each bucket writes one line to a file there:
``pid rows wall cpu`` then ``phase=cpu`` pairs (the CPU seconds of its phases: ``index`` (the
executor's facts index, when this bucket made it), ``ledger``, ``engine``, ``output``) and
``start=`` / ``end=`` (epoch seconds): the benchmark's cost inside the executors. Unset (the
default), nothing is measured or written."""


class Timer:
    """A bucket's wall and CPU clocks, and the CPU seconds of its phases (when measured)."""

    def __init__(self) -> None:
        self.on = bool(os.environ.get(TIMINGS_ENV))
        self.epoch = time.time()
        self.wall = time.perf_counter()
        self.cpu = self.mark = time.process_time()
        self.phases: dict[str, float] = {}

    def phase(self, name: str) -> None:
        """End the phase ``name`` (it began at the previous call, or at the start)."""
        if self.on:
            now = time.process_time()
            self.phases[name] = self.phases.get(name, 0.0) + now - self.mark
            self.mark = now

    def add(self, name: str, cpu: float) -> None:
        """Count ``cpu`` seconds, spent inside the current phase, as ``name`` instead."""
        if self.on and cpu:
            self.phases[name] = self.phases.get(name, 0.0) + cpu
            self.mark += cpu

    def write(self, rows: int) -> None:
        """Write the bucket's line, when ``TIMINGS_ENV`` names a folder."""
        folder = os.environ.get(TIMINGS_ENV)
        if not folder:
            return
        wall = time.perf_counter() - self.wall
        cpu = time.process_time() - self.cpu
        phases = " ".join(f"{k}={v:.6f}" for k, v in self.phases.items())
        line = (
            f"{os.getpid()} {rows} {wall:.6f} {cpu:.6f} {phases} "
            f"start={self.epoch:.6f} end={self.epoch + wall:.6f}\n"
        )
        name = f"{os.getpid()}-{time.monotonic_ns()}.txt"
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            fh.write(line)


def arrow() -> Any:
    """``pyarrow`` (imported here: it comes with pyspark's Arrow support)."""
    return importlib.import_module("pyarrow")


def arrow_compute() -> Any:
    """``pyarrow.compute``."""
    return importlib.import_module("pyarrow.compute")


def arrow_schema(columns: Sequence[tuple[str, str]]) -> Any:
    """Return the Arrow schema of a table given as ``(name, Spark SQL type)`` pairs."""
    pa = arrow()

    types = {
        "long": pa.int64(),
        "string": pa.string(),
        "date": pa.date32(),
        f"decimal(38,{AMOUNT_SCALE})": pa.decimal128(38, AMOUNT_SCALE),
        "array<string>": pa.list_(pa.string()),
    }
    return pa.schema([pa.field(name, types[kind]) for name, kind in columns])
