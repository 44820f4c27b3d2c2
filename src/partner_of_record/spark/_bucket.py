"""What one Spark bucket runs: rebuild a ledger from its rows and run the local engine on it.

Nothing here imports pyspark: a bucket is a pair of Arrow tables (its usage rows and its facts
rows) and the result is an Arrow table, so the same code runs in a Spark executor, in a test or
in a notebook. Every bucket holds *all* the rows of the subscriptions hashed to it (usage and
associations alike), so the ledger built here holds each of its subscriptions' complete
history and the engine's answer for a row is the one it gives on the whole ledger.

Usage columns arrive either typed (dates, decimals: handed to ``Ledger.from_columns``, which
checks them as it checks any columns) or as text; text cells are read exactly as the CSV import
reads them (the same parsers from [`partner_of_record.io.columns`][partner_of_record.io.columns],
the same empty-cell rule, the same reject codes). Facts from a ledger travel once, as columns
(a [`facts_payload`][partner_of_record.spark._bucket.facts_payload] broadcast to the executors);
each executor process indexes them once per payload (cached by its token) and each bucket builds
only its own subscriptions' records. Facts from DataFrames arrive with the bucket as text, read
like the CSV import's subscription and association files.

The credit rows are built straight from the engine's columns (integer minor units, partner and
kind codes): no ``Credit`` or ``Decimal`` object is made per row.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import OFFER_CODE, OFFERS
from partner_of_record.attribution import Credits, attribute
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
    "facts_payload",
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

_SUBSCRIPTION_FIELDS = tuple(c.field for c in layout_for("subscriptions").columns)
_ASSOCIATION_FIELDS = tuple(c.field for c in layout_for("associations").columns)
FACT_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            RECORD,
            ROW,
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


@attrs.frozen
class _Reject:
    record: str
    row: int
    subscription_id: str | None
    column: str | None
    value: str
    code: str
    reason: str


# --------------------------------------------------------------------------------------------
# facts from a ledger: sent once as columns, indexed once per executor process


def _record_columns(records: Sequence[Any], cls: type) -> dict[str, list[Any]]:
    """The records' attribute values, one list per ``attrs`` field of ``cls``."""
    return {f.name: [getattr(r, f.name) for r in records] for f in attrs.fields(cls)}


def facts_payload(ledger: Ledger, token: str) -> dict[str, Any]:
    """The facts of a usage-free ledger as columns, to be broadcast to the executors.

    Records travel as the values of their ``attrs`` fields (one list per field), which an
    executor turns back into records with their own constructors; associations are ordered by
    subscription, so that a subscription's associations are one slice. Input rows (for
    rejects) are numbered as the ledger lists them: subscriptions ``0 ..``, then associations.

    Args:
        ledger: the facts ledger.
        token: a key unique to this payload (the executors' cache key).

    Returns:
        A mapping of plain lists and numpy arrays (pickled once by Spark's broadcast).
    """
    subs = ledger.subscriptions
    position = {s.id: i for i, s in enumerate(subs)}
    customers = ledger.customers
    customer_at = {c.id: i for i, c in enumerate(customers)}
    partners = ledger.partners
    partner_at = {p.id: i for i, p in enumerate(partners)}
    assocs = ledger.associations
    order = sorted(range(len(assocs)), key=lambda j: position[assocs[j].subscription_id])
    ordered = [assocs[j] for j in order]
    counts = np.bincount(
        np.array([position[a.subscription_id] for a in ordered], dtype=np.int64),
        minlength=len(subs),
    )
    return {
        "token": token,
        "partners": _record_columns(partners, Partner),
        "customers": _record_columns(customers, Customer),
        "subscriptions": _record_columns(subs, Subscription),
        "associations": _record_columns(ordered, Association),
        "sub_customer": np.array([customer_at[s.customer_id] for s in subs], dtype=np.int64),
        "assoc_partner": np.array([partner_at[a.partner_id] for a in ordered], dtype=np.int64),
        "assoc_offsets": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "assoc_rows": np.array(order, dtype=np.int64) + len(subs),
    }


def _objects(values: Sequence[Any]) -> npt.NDArray[Any]:
    """``values`` as a numpy object array, each value one element (tuples too)."""
    return np.fromiter(values, dtype=object, count=len(values))


class _Maker:
    """Builds records of one ``attrs`` class from a payload's columns, by index."""

    def __init__(self, cls: type, columns: Mapping[str, list[Any]]) -> None:
        self.cls = cls
        fields = attrs.fields(cls)
        self.positional = [_objects(columns[f.name]) for f in fields if not f.kw_only]
        # keyword fields whose every value is the default are left to the default
        self.keywords = [
            (f.name, _objects(columns[f.name]))
            for f in fields
            if f.kw_only
            and (
                isinstance(f.default, attrs.Factory)  # type: ignore[arg-type]
                or f.default is attrs.NOTHING
                or any(v != f.default for v in columns[f.name])
            )
        ]

    def many(self, indices: npt.NDArray[np.int64]) -> list[Any]:
        """The records at ``indices``, made by the class's own constructor."""
        args = [c[indices].tolist() for c in self.positional]
        if not self.keywords:
            return list(map(self.cls, *args))
        names = [name for name, _ in self.keywords]
        values = zip(*(c[indices].tolist() for _, c in self.keywords), strict=True)
        return [
            self.cls(*a, **dict(zip(names, kw, strict=True)))
            for a, kw in zip(zip(*args, strict=True), values, strict=True)
        ]


class _Facts:
    """An executor's index of a facts payload: records made on demand, owners made once."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        subs = payload["subscriptions"]
        self.sub_index = {sid: i for i, sid in enumerate(subs["id"])}
        self.sub_customer: npt.NDArray[np.int64] = payload["sub_customer"]
        self.assoc_partner: npt.NDArray[np.int64] = payload["assoc_partner"]
        self.assoc_offsets: npt.NDArray[np.int64] = payload["assoc_offsets"]
        self.assoc_rows: npt.NDArray[np.int64] = payload["assoc_rows"]
        self.subscription = _Maker(Subscription, subs)
        self.association = _Maker(Association, payload["associations"])
        self.partner = _Maker(Partner, payload["partners"])
        self.customer = _Maker(Customer, payload["customers"])
        self.partners: dict[int, Partner] = {}
        self.customers: dict[int, Customer] = {}

    def _owners(
        self, codes: npt.NDArray[np.int64], made: dict[int, Any], maker: _Maker
    ) -> list[Any]:
        """The partners or customers of ``codes`` (distinct), made once per process."""
        distinct = np.unique(codes).tolist()
        missing = [c for c in distinct if c not in made]
        if missing:
            made.update(zip(missing, maker.many(np.array(missing, dtype=np.int64)), strict=True))
        return [made[c] for c in distinct]

    def select(self, ids: Iterable[Any], into: _Bucket) -> None:
        """Add the subscriptions of ``ids`` (unknown ids are skipped: their usage rows are
        rejected), their associations and their owners to a bucket."""
        wanted: set[int] = set()
        index = self.sub_index
        for sid in ids:
            if not isinstance(sid, str):
                continue
            i = index.get(sid)
            if i is None:
                i = index.get(sid.strip())
            if i is not None:
                wanted.add(i)
        subs = np.array(sorted(wanted), dtype=np.int64)
        starts = self.assoc_offsets[subs]
        counts = self.assoc_offsets[subs + 1] - starts
        # the associations of the wanted subscriptions: the slices [start, start + count)
        first = np.cumsum(counts) - counts
        assocs = np.repeat(starts - first, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        made_subs = self.subscription.many(subs)
        made_assocs = self.association.many(assocs)
        into.subscriptions.extend(made_subs)
        into.associations.extend(made_assocs)
        into.row_of.update(zip(map(id, made_subs), subs.tolist(), strict=True))
        rows = self.assoc_rows[assocs].tolist()
        into.row_of.update(zip(map(id, made_assocs), rows, strict=True))
        for c in self._owners(self.sub_customer[subs], self.customers, self.customer):
            into.customers.setdefault(c.id, c)
        for p in self._owners(self.assoc_partner[assocs], self.partners, self.partner):
            into.partners.setdefault(p.id, p)


_FACTS_CACHE: OrderedDict[str, _Facts] = OrderedDict()
_FACTS_LOCK = threading.Lock()
_FACTS_KEPT = 2  # payloads indexed per executor process (a run, and the one before)


def _facts_of(job: Job) -> _Facts:
    """The executor's index of ``job``'s facts, made once per process and payload token."""
    token = job.facts_token
    assert token is not None
    with _FACTS_LOCK:
        found = _FACTS_CACHE.get(token)
        if found is None:
            found = _FACTS_CACHE[token] = _Facts(job.facts.value)
            while len(_FACTS_CACHE) > _FACTS_KEPT:
                _FACTS_CACHE.popitem(last=False)
        else:
            _FACTS_CACHE.move_to_end(token)
        return found


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

    def __init__(self, job: Job, usage: Any, facts: Any = None) -> None:
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
            _facts_of(job).select(ids, self)
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
    started, cpu = time.perf_counter(), time.process_time()
    bucket = _Bucket(job, usage, facts)
    credits = attribute(bucket.ledger, job.policy, start=job.start, end=job.end)
    table = credit_table(credits, bucket.ledger_rows(), job.policy_name)
    _record_timing(usage.num_rows, time.perf_counter() - started, time.process_time() - cpu)
    return table


_EPOCH = dt.date(1970, 1, 1).toordinal()
_LIMIT = (1 << 63) // 10**AMOUNT_SCALE  # |minor units| below this scale to AMOUNT_SCALE in int64


def credit_table(credits: Credits, rows: npt.NDArray[np.int64], policy_name: str) -> Any:
    """The credit rows of an attribution run, from the engine's columns.

    Row fields are taken from the usage table's codes (``take`` over the distinct values),
    kinds from the distinct kind masks, amounts from the integer minor units scaled to
    ``AMOUNT_SCALE`` decimals and written as ``decimal128`` words directly (exact: no float,
    no ``Decimal`` per row; amounts too large for that take the exact Python path).

    Args:
        credits: the run's credits (unfiltered).
        rows: the input row of each of the ledger's usage rows.
        policy_name: written in the ``policy`` column.

    Returns:
        A ``pyarrow.Table`` with ``CREDIT_COLUMNS``: the credits, then the unattributed parts.
    """
    pa = _arrow()
    # Credits exposes no public accessor for its columns (attribution/credits.py); the engine's
    # Result is read here directly, as Credits' own to_arrow does.
    r = credits._r
    a = r.alloc
    t = r.table
    n_c, n_u = len(a.c_row), len(a.u_row)
    pos = np.concatenate([a.c_row, a.u_row]).astype(np.int64)
    ledger_row = pos if r.scope is None else r.scope[pos]
    sub = r.row_array(t.sub)[pos]
    subs = [r.ledger.subscription(s) for s in t.sub_ids]
    cur = r.cur[pos]
    row_offer = r.row_array(t.offer)[pos]
    offer_values = [o.value for o in OFFERS]
    sub_offer = np.array([OFFER_CODE[s.offer] for s in subs] or [0], dtype=np.int64)[sub]
    offer = np.where(row_offer >= 0, row_offer, sub_offer)

    def coded(values: Sequence[Any], codes: npt.NDArray[np.int64]) -> Any:
        return pa.array(list(values), pa.string()).take(pa.array(codes, pa.int64()))

    partner_code = np.concatenate([a.c_partner, np.zeros(n_u, dtype=np.int64)])
    partner_null = np.concatenate([np.zeros(n_c, dtype=bool), np.ones(n_u, dtype=bool)])
    partner = pa.array(list(a.partners) or [""], pa.string()).take(
        pa.array(partner_code, pa.int64(), mask=partner_null)
    )
    masks = np.concatenate([a.c_kinds, np.zeros(n_u, dtype=np.int64)]).astype(np.int64)
    distinct, which = np.unique(masks, return_inverse=True)
    kinds = pa.array(
        [sorted(k.value for k in r.kinds(int(m))) for m in distinct.tolist()],
        pa.list_(pa.string()),
    ).take(pa.array(which.reshape(-1).astype(np.int64), pa.int64()))
    minor = np.concatenate([a.c_minor, a.u_minor]) if n_c + n_u else np.zeros(0, np.int64)
    exponents = np.array([*r.exponents, 0], dtype=np.int64)[cur]
    columns = {
        "row": pa.array(rows[ledger_row], pa.int64()),
        "partner_id": partner,
        "subscription_id": coded(t.sub_ids, sub),
        "customer_id": coded([s.customer_id for s in subs], sub),
        "workload": coded([s.workload.value for s in subs], sub),
        "month": pa.array((r.row_array(t.month)[pos] - _EPOCH).astype(np.int32), pa.date32()),
        "service": coded(t.services, r.row_array(t.service)[pos]),
        "currency": coded(t.currencies, cur),
        "amount": _amounts(minor, exponents),
        "kinds": kinds,
        "policy": pa.repeat(pa.scalar(policy_name, pa.string()), n_c + n_u),
        "offer": coded(offer_values, offer),
    }
    return pa.table(columns, schema=arrow_schema(CREDIT_COLUMNS))


def _amounts(minor: npt.NDArray[Any], exponents: npt.NDArray[np.int64]) -> Any:
    """Integer minor units (of exponents ``exponents``) as ``decimal128(38, AMOUNT_SCALE)``."""
    pa = _arrow()
    amount_type = pa.decimal128(38, AMOUNT_SCALE)
    n = len(minor)
    factor = 10 ** (AMOUNT_SCALE - exponents)
    fits = minor.dtype != object and (n == 0 or (minor.max() < _LIMIT and minor.min() > -_LIMIT))
    if fits and sys.byteorder == "little":
        scaled = minor.astype(np.int64) * factor
        words = np.empty((n, 2), dtype=np.int64)  # a decimal128 is a little-endian int128
        words[:, 0] = scaled
        words[:, 1] = scaled >> 63  # the sign extension: 0 or -1
        return pa.Array.from_buffers(amount_type, n, [None, pa.py_buffer(words)])
    values = [  # pragma: no cover - amounts of more than 15 digits of units
        Decimal(int(m) * int(f)).scaleb(-AMOUNT_SCALE)
        for m, f in zip(minor.tolist(), factor.tolist(), strict=True)
    ]
    return pa.array(values, amount_type)  # pragma: no cover


TIMINGS_ENV = "PARTNER_OF_RECORD_SPARK_TIMINGS"
"""When this environment variable names a folder, each bucket writes its process id, row count,
and the wall and CPU seconds it spent (ledger, engine, output) to a file there: the
benchmark's per-row cost inside the executors. Unset (the default), nothing is written."""


def _record_timing(rows: int, seconds: float, cpu: float) -> None:
    folder = os.environ.get(TIMINGS_ENV)
    if folder:
        name = f"{os.getpid()}-{time.monotonic_ns()}.txt"
        with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {rows} {seconds:.6f} {cpu:.6f}\n")


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
