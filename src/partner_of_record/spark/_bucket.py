"""What one Spark bucket runs: rebuild a ledger from its rows and run the local engine on it.

Nothing here imports pyspark: a bucket is a pair of Arrow tables (its usage rows and its facts
rows) and the result is an Arrow table, so the same code runs in a Spark executor, in a test or
in a notebook. Every bucket holds *all* the rows of the subscriptions hashed to it (usage and
associations alike), so the ledger built here holds each of its subscriptions' complete
history and the engine's answer for a row is the one it gives on the whole ledger.

Usage columns arrive either typed (dates, decimals: handed to ``Ledger.from_columns``, which
checks them as it checks any columns) or as text; text cells are read exactly as the CSV import
reads them (the same parsers from ``partner_of_record.io.columns``, the same empty-cell rule,
the same reject codes). Facts from a ledger travel once, as columns (``_facts``); each executor
process indexes them once per payload and each bucket builds only its own subscriptions'
records. Facts from DataFrames arrive with the bucket as text, read like the CSV import's
subscription and association files. The credit rows are built straight from the engine's
columns (``_credits``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_input import arrow_column
from partner_of_record._usage_table import Coded
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
from partner_of_record.spark._common import (
    ASSOCIATION_FIELDS,
    EXACT,
    FACT_COLUMNS,
    MINOR,
    RECORD,
    REJECT_COLUMNS,
    ROW,
    SUBSCRIPTION_FIELDS,
    Job,
    Timer,
    arrow,
    arrow_compute,
    arrow_schema,
)
from partner_of_record.spark._credits import credit_table
from partner_of_record.spark._facts import facts_of

__all__ = ["Bucket", "credit_bucket", "reject_bucket"]


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


class Bucket:
    """The records of one bucket, the rejected rows, and where each usage record came from."""

    def __init__(self, job: Job, usage: Any, facts: Any = None, timer: Timer | None = None) -> None:
        self.job = job
        self.rejects: list[_Reject] = []
        self.row_of: dict[int, int] = {}  # id(record) -> input row
        self.partners: dict[str, Partner] = {}
        self.customers: dict[str, Customer] = {}
        self.subscriptions: list[Subscription] = []
        self.associations: list[Association] = []
        self.usage: list[Usage] = []
        self.clean: Ledger | None = None
        self.rows: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._rejected_positions: set[int] = set()
        self.columns: dict[str, Any] = {}
        if job.facts is not None:
            ids = usage.column("subscription_id").unique().to_pylist() if usage.num_rows else []
            index, made = facts_of(job)
            if made and timer is not None:
                timer.phase("index")
            index.select(ids, self)
        else:
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
                self.rejects.append(_row_reject(rejection, int(self.rows[located])))
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
            if cols[RECORD][i] == "subscription":
                cells = {
                    f: cols["subscription_id" if f == "id" else f][i] for f in SUBSCRIPTION_FIELDS
                }
                built = _build(_SUBSCRIPTIONS, cells, sub_shown, "subscription", row, sub)
            else:
                cells = {f: cols[f][i] for f in ASSOCIATION_FIELDS}
                built = _build(_ASSOCIATIONS, cells, shown, "association", row, sub)
            if isinstance(built, list):
                self.rejects.extend(built)
                continue
            self.row_of[id(built)] = row
            if isinstance(built, Subscription):
                self.subscriptions.append(built)
                customer = built.customer_id
                if customer not in self.customers:
                    self.customers[customer] = Customer(customer, cols["customer_name"][i] or "")
            else:
                assert isinstance(built, Association)
                self.associations.append(built)
                partner = built.partner_id
                if partner not in self.partners:
                    self.partners[partner] = Partner(partner, cols["partner_name"][i] or "")

    def _from_columns(self, usage: Any) -> Any:
        """Hand typed usage columns, in row order, to ``Ledger.from_columns`` (lenient)."""
        pc = arrow_compute()

        job = self.job
        usage = usage.take(pc.sort_indices(usage, [(ROW, "ascending")]))
        self.rows = usage.column(ROW).to_numpy().astype(np.int64)
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
                # text as codes into its distinct values: no Python string per row
                columns[field] = arrow_column(column)
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
                name: values[np.array(keep, dtype=bool)]
                if isinstance(values, np.ndarray | Coded)
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

    def ledger_rows(self) -> npt.NDArray[np.int64]:
        """The input row of each of the bucket ledger's usage rows, in the ledger's order."""
        if self.job.typed:
            # the ledger was built from the kept rows in input-row order (from_columns keeps
            # the order of its columns)
            rows = self.rows
            if self._rejected_positions:
                keep = np.ones(len(rows), dtype=bool)
                keep[list(self._rejected_positions)] = False
                rows = rows[keep]
            return rows
        row_of_key = {u.key: self.row_of[id(u)] for u in self.usage}  # kept keys are unique
        return np.array([row_of_key[u.key] for u in self.ledger.usage], dtype=np.int64)

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


def credit_bucket(job: Job, usage: Any, facts: Any = None) -> Any:
    """Attribute one bucket: its ledger, then the local ``attribute()``; credit rows as Arrow.

    The rows are built from the engine's columns (see ``credit_table``): no ``Credit``,
    ``Decimal`` or other per-row Python object is made.

    Args:
        job: the policy, rules and window (and the facts, when they come from a ledger).
        usage: the bucket's usage rows (``_row`` and the usage fields).
        facts: the bucket's subscriptions and associations (``FACT_COLUMNS``), when the facts
            are DataFrames; ``None`` when they come from a ledger (``job.facts``).

    Returns:
        A ``pyarrow.Table`` with ``CREDIT_COLUMNS``: one row per credit, and one per
        unattributed part with a null ``partner_id``.
    """
    timer = Timer()
    bucket = Bucket(job, usage, facts, timer)
    timer.phase("ledger")
    credits = attribute(bucket.ledger, job.policy, start=job.start, end=job.end)
    timer.phase("engine")
    table = credit_table(credits, bucket.ledger_rows(), job.policy_name)
    timer.phase("output")
    timer.write(usage.num_rows)
    return table


def reject_bucket(job: Job, usage: Any, facts: Any = None) -> Any:
    """Check one bucket as ``credit_bucket`` does, and return its rejected rows as Arrow.

    Args:
        job: the policy, rules and window.
        usage: the bucket's usage rows.
        facts: the bucket's subscriptions and associations.

    Returns:
        A ``pyarrow.Table`` with ``REJECT_COLUMNS``, one row per problem (a row with several bad
        cells has several).
    """
    pa = arrow()

    bucket = Bucket(job, usage, facts)
    out: dict[str, list[Any]] = {name: [] for name, _ in REJECT_COLUMNS}
    for r in bucket.rejects:
        for name, _ in REJECT_COLUMNS:
            out[name].append(getattr(r, name))
    return pa.table(out, schema=arrow_schema(REJECT_COLUMNS))
