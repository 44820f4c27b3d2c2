"""What one Spark bucket runs: rebuild a ledger from its rows and run the local engine on it.

Nothing here imports pyspark: a bucket is a pair of Arrow tables (its usage rows and its facts
rows) and the result is an Arrow table, so the same code runs in a Spark executor, in a test or
in a notebook. Every bucket holds *all* the rows of the subscriptions hashed to it (usage and
associations alike), so the ledger built here holds each of its subscriptions' complete
history and the engine's answer for a row is the one it gives on the whole ledger.

Usage columns arrive either typed (dates, decimals: handed to ``Ledger.from_columns``, which
checks them as it checks any columns) or as text; text cells are read exactly as the CSV import
reads them (the same parsers from [`partner_of_record.io.columns`][partner_of_record.io.columns],
the same empty-cell rule, the same reject codes). Facts from a ledger arrive as pickled records;
facts from DataFrames as text, read like the CSV import's subscription and association files.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import os
import pickle
import time
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from partner_of_record.attribution import attribute
from partner_of_record.errors import ValidationError
from partner_of_record.io.columns import PARSERS, CellError, ColumnKind, RecordLayout, layout_for
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    Customer,
    Partner,
    Record,
    Subscription,
    Usage,
)
from partner_of_record.rules import RuleSet

__all__ = [
    "AMOUNT_SCALE",
    "CREDIT_COLUMNS",
    "FACT_COLUMNS",
    "REJECT_COLUMNS",
    "Job",
    "credit_bucket",
    "reject_bucket",
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
)
"""The credit table's columns and Spark SQL types, in order."""

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

_SUBSCRIPTION_FIELDS = tuple(c.field for c in layout_for("subscriptions").columns)
_ASSOCIATION_FIELDS = tuple(c.field for c in layout_for("associations").columns)
PICKLED = "_pickled"
FACT_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            RECORD,
            ROW,
            PICKLED,
            "subscription_id",
            "customer_id",
            "customer_name",
            *(f for f in _SUBSCRIPTION_FIELDS if f != "id"),
            "partner_id",
            "partner_name",
            *_ASSOCIATION_FIELDS,
        )
    )
)
"""The facts table's columns: one row per subscription (``_record = "subscription"``) or
association (``"association"``). Facts from a ledger travel as pickled ``(record, owner)``
pairs in ``_pickled`` (the owner: the subscription's customer, the association's partner), so
every field arrives as it was; facts from DataFrames travel as text (the other columns)."""


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
    """

    policy: Any
    policy_name: str
    rules: RuleSet
    start: dt.date | None
    end: dt.date | None
    usage_fields: tuple[str, ...]
    shown: Mapping[str, str]
    typed: bool = False


@attrs.frozen
class _Reject:
    record: str
    row: int
    subscription_id: str | None
    column: str | None
    value: str
    code: str
    reason: str


_USAGE = layout_for("usage")
_SUBSCRIPTIONS = layout_for("subscriptions")
_ASSOCIATIONS = layout_for("associations")


def _empty(raw: str | None, kind: ColumnKind) -> bool:
    if raw is None:
        return True
    if kind in (ColumnKind.TEXT, ColumnKind.OPTIONAL_TEXT):
        return raw == ""
    return not raw.strip()


_CACHED = frozenset(
    {
        ColumnKind.DATE,
        ColumnKind.MONTH,
        ColumnKind.CURRENCY,
        ColumnKind.WORKLOAD,
        ColumnKind.ASSOCIATION_KIND,
        ColumnKind.ACTOR,
        ColumnKind.OFFER,
    }
)
_CACHE_SIZE = 4096


def _parse(kind: ColumnKind, raw: str) -> Any:
    """Read a cell with the CSV import's parser; values of the repetitive kinds are cached
    (immutable results: dates, enum members, currency codes; a failure is not cached)."""
    if kind not in _CACHED:
        return PARSERS[kind](raw)
    cache = _PARSED.setdefault(kind, {})
    found = cache.get(raw)
    if found is None:
        found = PARSERS[kind](raw)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[raw] = found
    return found


_PARSED: dict[ColumnKind, dict[str, Any]] = {}


def _build(
    layout: RecordLayout,
    cells: Mapping[str, str | None],
    shown: Mapping[str, str],
    record: str,
    row: int,
    sub: str | None,
) -> Record | list[_Reject]:
    """Read one row's cells into a record, as the CSV import does; or return its rejects."""
    kwargs: dict[str, Any] = {}
    problems: list[_Reject] = []
    hint: str | None = None
    for column in layout.columns:
        raw = cells.get(column.field)
        name = shown.get(column.field, column.field)
        if _empty(raw, column.kind):
            if column.required:
                problems.append(
                    _Reject(
                        record,
                        row,
                        sub,
                        name,
                        raw or "",
                        "MISSING_VALUE",
                        "is empty; a value is required",
                    )
                )
            continue
        assert raw is not None
        try:
            value = _parse(column.kind, raw)
        except CellError as exc:
            problems.append(_Reject(record, row, sub, name, raw, "INVALID_VALUE", exc.reason))
            continue
        if column.kind is ColumnKind.AMOUNT:
            value, hint = value
        kwargs[column.field] = value
    if problems:
        return problems
    if hint is not None:
        given = kwargs.get("currency")
        if given is None:
            kwargs["currency"] = hint
        elif given != hint:
            raw = cells.get("amount") or ""
            reason = f"is in {hint} but the currency column says {given}"
            name = shown.get("amount", "amount")
            return [_Reject(record, row, sub, name, raw, "INVALID_VALUE", reason)]
    try:
        return layout.record_type(**kwargs)
    except ValidationError as exc:
        reason = exc.reason + (f" ({exc.suggestion})" if exc.suggestion else "")
        name = shown.get(exc.field, exc.field)
        return [
            _Reject(record, row, sub, name, cells.get(exc.field) or "", "INVALID_VALUE", reason)
        ]


def _column(table: Any, name: str) -> list[Any]:
    if name in table.column_names:
        values: list[Any] = table.column(name).to_pylist()
        return values
    return [None] * table.num_rows


class _Bucket:
    """The records of one bucket, the rejected rows, and where each usage record came from."""

    def __init__(self, job: Job, usage: Any, facts: Any) -> None:
        self.job = job
        self.rejects: list[_Reject] = []
        self.row_of: dict[int, int] = {}  # id(record) -> input row
        self.partners: dict[str, Partner] = {}
        self.customers: dict[str, Customer] = {}
        self.subscriptions: list[Subscription] = []
        self.associations: list[Association] = []
        self.usage: list[Usage] = []
        self.sorted_usage: Any = None
        self.clean: Ledger | None = None
        self.rows: list[int] = []
        self._rejected_positions: set[int] = set()
        self.columns: dict[str, Any] = {}
        self._read_facts(facts)
        if job.typed:
            load = self._from_columns(usage)
        else:
            self._read_usage(usage)
            load = Ledger.lenient(
                partners=self.partners.values(),
                customers=self.customers.values(),
                subscriptions=self.subscriptions,
                associations=self.associations,
                usage=self.usage,
                rules=job.rules,
            )
        for rejection in load.rejected:
            rec = rejection.record
            located = getattr(rec, "row", None)
            if isinstance(located, int) and not isinstance(rec, Usage):  # a UsageRow
                self.rejects.append(_row_reject(rejection, self.rows[located]))
                continue
            kind = {Usage: "usage", Subscription: "subscription", Association: "association"}
            name = kind.get(type(rec), type(rec).__name__.lower())
            sub = getattr(rec, "subscription_id", None) or getattr(rec, "id", None)
            self.rejects.append(
                _Reject(
                    name,
                    self.row_of.get(id(rec), -1),
                    sub,
                    None,
                    _describe(rec),
                    rejection.finding.code,
                    rejection.finding.message,
                )
            )
        self._rejected_positions = {
            r.record.row
            for r in load.rejected
            if isinstance(getattr(r.record, "row", None), int) and not isinstance(r.record, Usage)
        }
        self.ledger = load.ledger if self.clean is None else self.clean

    def _read_facts(self, facts: Any) -> None:
        cols = {name: _column(facts, name) for name in FACT_COLUMNS}
        shown = {f: f for f in FACT_COLUMNS}
        sub_shown = {**shown, "id": "subscription_id"}
        for i in range(facts.num_rows):
            row = cols[ROW][i]
            sub = cols["subscription_id"][i]
            blob = cols[PICKLED][i]
            if blob is not None:  # a record of a validated ledger, as it was
                record, owner = pickle.loads(blob)
                self.row_of[id(record)] = row
                if isinstance(record, Subscription):
                    self.subscriptions.append(record)
                    self.customers.setdefault(owner.id, owner)
                else:
                    self.associations.append(record)
                    self.partners.setdefault(owner.id, owner)
                continue
            if cols[RECORD][i] == "subscription":
                cells = {
                    f: cols["subscription_id" if f == "id" else f][i] for f in _SUBSCRIPTION_FIELDS
                }
                built = _build(_SUBSCRIPTIONS, cells, sub_shown, "subscription", row, sub)
                if isinstance(built, list):
                    self.rejects.extend(built)
                    continue
                assert isinstance(built, Subscription)
                self.row_of[id(built)] = row
                self.subscriptions.append(built)
                if built.customer_id not in self.customers:
                    self.customers[built.customer_id] = Customer(
                        built.customer_id, cols["customer_name"][i] or ""
                    )
            else:
                cells = {f: cols[f][i] for f in _ASSOCIATION_FIELDS}
                built = _build(_ASSOCIATIONS, cells, shown, "association", row, sub)
                if isinstance(built, list):
                    self.rejects.extend(built)
                    continue
                assert isinstance(built, Association)
                self.row_of[id(built)] = row
                self.associations.append(built)
                if built.partner_id not in self.partners:
                    self.partners[built.partner_id] = Partner(
                        built.partner_id, cols["partner_name"][i] or ""
                    )

    def _from_columns(self, usage: Any) -> Any:
        """Hand typed usage columns, in row order, to ``Ledger.from_columns`` (lenient)."""
        pc = _arrow_compute()

        job = self.job
        usage = usage.take(pc.sort_indices(usage, [(ROW, "ascending")]))
        self.sorted_usage = usage
        self.rows = usage.column(ROW).to_pylist()
        columns: dict[str, Any] = {}
        for field in job.usage_fields:
            column = usage.column(field)
            if field == "amount":
                exact = usage.column(EXACT)
                if exact.null_count == 0 and pc.all(exact).as_py() is not False:
                    columns["amount_minor"] = usage.column(MINOR).to_numpy()
                    continue
                columns["amount"] = column.to_pylist()
            elif field == "month" and column.null_count == 0:
                columns["month"] = column.to_numpy()
            elif column.null_count == 0:
                columns[field] = column.to_numpy(zero_copy_only=False)
            else:
                columns[field] = column.to_pylist()
        self.columns = columns
        load = self._load_columns(columns)
        bad = {r.record.row for r in load.rejected if _is_usage_row(r.record)}
        if bad:
            # build the kept rows' ledger again from them alone, so that no value of a rejected
            # row (an unknown currency, a null id) stays in the ledger's usage dictionaries
            keep = [i not in bad for i in range(usage.num_rows)]
            kept = {
                name: np.asarray(values)[keep]
                if isinstance(values, np.ndarray)
                else list(itertools.compress(values, keep))
                for name, values in columns.items()
            }
            self.clean = self._load_columns(kept).ledger
        return load

    def _load_columns(self, columns: Mapping[str, Any]) -> Any:
        return Ledger.from_columns(
            partners=self.partners.values(),
            customers=self.customers.values(),
            subscriptions=self.subscriptions,
            associations=self.associations,
            usage=columns,
            rules=self.job.rules,
            lenient=True,
        )

    def keys_table(self) -> Any:
        """The kept usage rows' keys and input rows: ``subscription_id, month, service,
        currency, row``."""
        pa = _arrow()
        if self.job.typed:
            sorted_usage = self.sorted_usage
            keep = [i not in self._rejected_positions for i in range(sorted_usage.num_rows)]
            kept = sorted_usage.filter(pa.array(keep, pa.bool_()))
            n = kept.num_rows
            names = kept.column_names
            return pa.table(
                {
                    "subscription_id": kept.column("subscription_id").cast(pa.string()),
                    "month": kept.column("month").cast(pa.date32()),
                    "service": kept.column("service").cast(pa.string())
                    if "service" in names
                    else pa.nulls(n, pa.string()),
                    "currency": kept.column("currency").cast(pa.string())
                    if "currency" in names
                    else pa.array(["USD"] * n, pa.string()),
                    "row": kept.column(ROW),
                }
            )
        usage = self.usage
        return pa.table(
            {
                "subscription_id": pa.array([u.subscription_id for u in usage], pa.string()),
                "month": pa.array([u.month for u in usage], pa.date32()),
                "service": pa.array([u.service for u in usage], pa.string()),
                "currency": pa.array([u.currency for u in usage], pa.string()),
                "row": pa.array([self.row_of[id(u)] for u in usage], pa.int64()),
            }
        )

    def _read_usage(self, usage: Any) -> None:
        """Read the usage rows in row order; reject as the CSV import does (cell problems,
        unknown subscription, a repeated row or key: the first row is kept)."""
        job = self.job
        n = usage.num_rows
        rows: list[int] = _column(usage, ROW)
        cols = {f: _column(usage, f) for f in job.usage_fields}
        known = {s.id for s in self.subscriptions}
        first: dict[tuple[Any, ...], tuple[int, Usage]] = {}
        shown = job.shown
        sub_col = cols.get("subscription_id", [None] * n)
        for i in sorted(range(n), key=rows.__getitem__):
            row = rows[i]
            raw_sub = sub_col[i]
            sub = raw_sub.strip() if isinstance(raw_sub, str) else None
            built = _build(_USAGE, {f: cols[f][i] for f in cols}, shown, "usage", row, sub)
            if isinstance(built, list):
                self.rejects.extend(built)
                continue
            assert isinstance(built, Usage)
            if built.subscription_id not in known:
                self.rejects.append(
                    _Reject(
                        "usage",
                        row,
                        sub,
                        shown.get("subscription_id", "subscription_id"),
                        built.subscription_id,
                        "UNKNOWN_SUBSCRIPTION",
                        "refers to a subscription that is not in the data (or was rejected)",
                    )
                )
                continue
            prior = first.get(built.key)
            if prior is not None:
                first_row, kept = prior
                if kept == built:
                    code, reason = "DUPLICATE_ROW", f"repeats row {first_row}"
                else:
                    code = "DUPLICATE_KEY"
                    reason = (
                        "has the same subscription_id, month, service, currency as row "
                        f"{first_row} but other values"
                    )
                self.rejects.append(_Reject("usage", row, sub, None, "", code, reason))
                continue
            first[built.key] = (row, built)
            self.row_of[id(built)] = row
            self.usage.append(built)


def _is_usage_row(record: object) -> bool:
    """Whether a rejected record is a usage row located by number (``Ledger.from_columns``)."""
    return isinstance(getattr(record, "row", None), int) and not isinstance(record, Usage)


def _row_reject(rejection: Any, row: int) -> _Reject:
    """A usage row refused by ``Ledger.from_columns``, at its input row."""
    usage = rejection.record.usage
    return _Reject(
        "usage",
        row,
        None if usage is None else usage.subscription_id,
        None,
        "" if usage is None else usage.describe(),
        rejection.finding.code,
        rejection.finding.message,
    )


def _describe(record: Record) -> str:
    if isinstance(record, Association | Usage):
        return record.describe()
    return str(getattr(record, "id", record))


def credit_bucket(job: Job, usage: Any, facts: Any) -> Any:
    """Attribute one bucket: its ledger, then the local ``attribute()``; credit rows as Arrow.

    The credits come from the public ``Credits.to_arrow()`` (no ``Credit`` objects are made);
    each is joined to its input row by the usage key (subscription, month, service,
    currency), which is unique among the kept rows.

    Args:
        job: the policy, rules and window.
        usage: the bucket's usage rows (``_row`` and the usage fields).
        facts: the bucket's subscriptions and associations (``FACT_COLUMNS``).

    Returns:
        A ``pyarrow.Table`` with ``CREDIT_COLUMNS``: one row per credit, and one per
        unattributed part with a null ``partner_id``.
    """
    pa = _arrow()
    pc = _arrow_compute()
    started = time.perf_counter()
    bucket = _Bucket(job, usage, facts)
    ledger = bucket.ledger
    credits = attribute(ledger, job.policy, start=job.start, end=job.end)
    amount_type = pa.decimal128(38, AMOUNT_SCALE)
    given = credits.to_arrow()
    kinds = given.column("kinds")
    credited = pa.table(
        {
            "partner_id": given.column("partner_id"),
            "subscription_id": given.column("subscription_id"),
            "customer_id": given.column("customer_id"),
            "workload": given.column("workload"),
            "month": given.column("month"),
            "service": given.column("service"),
            "currency": given.column("currency"),
            "amount": pc.cast(given.column("amount"), amount_type),
            "kinds": pc.split_pattern(kinds, ","),
        }
    )
    parts: dict[str, list[Any]] = {
        name: []
        for name in (
            "subscription_id",
            "customer_id",
            "workload",
            "month",
            "service",
            "currency",
            "amount",
        )
    }
    for part in credits.unattributed:
        u = part.usage
        sub = ledger.subscription(u.subscription_id)
        for name, value in (
            ("subscription_id", u.subscription_id),
            ("customer_id", sub.customer_id),
            ("workload", sub.workload.value),
            ("month", u.month),
            ("service", u.service),
            ("currency", u.currency),
            ("amount", part.amount),
        ):
            parts[name].append(value)
    n = len(parts["amount"])
    unattributed = pa.table(
        {
            "partner_id": pa.nulls(n, pa.string()),
            "subscription_id": pa.array(parts["subscription_id"], pa.string()),
            "customer_id": pa.array(parts["customer_id"], pa.string()),
            "workload": pa.array(parts["workload"], pa.string()),
            "month": pa.array(parts["month"], pa.date32()),
            "service": pa.array(parts["service"], pa.string()),
            "currency": pa.array(parts["currency"], pa.string()),
            "amount": pa.array(parts["amount"], amount_type),
            "kinds": pa.array([[] for _ in range(n)], pa.list_(pa.string())),
        }
    )
    rows = pa.concat_tables([credited, unattributed])
    table = _with_rows(rows, bucket.keys_table(), job.policy_name)
    _record_timing(usage.num_rows, time.perf_counter() - started)
    return table


_NO_SERVICE = "\x00"  # stands for a missing service in the join keys (Arrow joins skip nulls)


def _with_rows(rows: Any, keys: Any, policy_name: str) -> Any:
    """Add each credit's input row (joined on the usage key) and the policy; order columns."""
    pa = _arrow()
    pc = _arrow_compute()
    key = ["subscription_id", "month", "__service", "currency"]
    slim = pa.table(
        {
            "subscription_id": rows.column("subscription_id"),
            "month": rows.column("month"),
            "__service": pc.fill_null(rows.column("service"), _NO_SERVICE),
            "currency": rows.column("currency"),
            "__i": pa.array(range(rows.num_rows), pa.int64()),
        }
    )
    keys = keys.append_column("__service", pc.fill_null(keys.column("service"), _NO_SERVICE))
    joined = slim.join(keys.select([*key, "row"]), key, join_type="inner")
    if joined.num_rows != rows.num_rows:  # pragma: no cover - a broken invariant, not input
        msg = f"{rows.num_rows - joined.num_rows} credit rows match no usage row"
        raise AssertionError(msg)
    order = pc.sort_indices(joined, [("__i", "ascending")])
    rows = rows.append_column("row", joined.column("row").take(order))
    joined = rows.append_column("policy", pa.array([policy_name] * rows.num_rows, pa.string()))
    return joined.select([name for name, _ in CREDIT_COLUMNS]).cast(arrow_schema(CREDIT_COLUMNS))


TIMINGS_ENV = "PARTNER_OF_RECORD_SPARK_TIMINGS"
"""When this environment variable names a folder, each bucket writes its row count and the
seconds it spent (ledger, engine, output) to a file there: the benchmark's per-row cost inside
the executors. Unset (the default), nothing is written."""


def _record_timing(rows: int, seconds: float) -> None:
    folder = os.environ.get(TIMINGS_ENV)
    if folder:
        name = f"{os.getpid()}-{time.monotonic_ns()}.txt"
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            fh.write(f"{rows} {seconds:.6f}\n")


def reject_bucket(job: Job, usage: Any, facts: Any) -> Any:
    """Check one bucket as ``credit_bucket`` does, and return its rejected rows as Arrow.

    Args:
        job: the policy, rules and window.
        usage: the bucket's usage rows.
        facts: the bucket's subscriptions and associations.

    Returns:
        A ``pyarrow.Table`` with ``REJECT_COLUMNS``, one row per problem (a row with several bad
        cells has several).
    """
    pa = _arrow()

    bucket = _Bucket(job, usage, facts)
    out: dict[str, list[Any]] = {name: [] for name, _ in REJECT_COLUMNS}
    for r in bucket.rejects:
        for name, _ in REJECT_COLUMNS:
            out[name].append(getattr(r, name))
    return pa.table(out, schema=arrow_schema(REJECT_COLUMNS))


def _arrow() -> Any:
    """``pyarrow`` (imported here: it comes with pyspark's Arrow support)."""
    return importlib.import_module("pyarrow")


def _arrow_compute() -> Any:
    return importlib.import_module("pyarrow.compute")


def arrow_schema(columns: Sequence[tuple[str, str]]) -> Any:
    """Return the Arrow schema of a table given as ``(name, Spark SQL type)`` pairs."""
    pa = _arrow()

    types = {
        "long": pa.int64(),
        "string": pa.string(),
        "date": pa.date32(),
        f"decimal(38,{AMOUNT_SCALE})": pa.decimal128(38, AMOUNT_SCALE),
        "array<string>": pa.list_(pa.string()),
    }
    return pa.schema([pa.field(name, types[kind]) for name, kind in columns])
