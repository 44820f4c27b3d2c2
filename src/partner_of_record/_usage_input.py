"""The usage rows given as columns (``Ledger.from_columns``): conversion and checks (internal).

``columns_table`` turns the columns (a mapping of arrays or sequences, a pandas or polars
DataFrame, an Arrow table) into a [`UsageTable`][partner_of_record._usage_table.UsageTable] and
reports every bad row as a finding located by its row number, with the ledger's finding codes:
``INVALID_VALUE`` for a value the model would refuse, ``UNKNOWN_SUBSCRIPTION`` /
``REJECTED_REFERENCE`` for a row naming a missing subscription, ``DUPLICATE_USAGE`` for the
later of two rows with the same key. Each check runs on integer codes and is done once per
distinct value, not once per row.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import (
    INT64_MAX,
    OFFER_CODE,
    OFFERS,
    Coded,
    UsageRow,
    UsageTable,
    codes_of,
    to_minor,
)
from partner_of_record.currency import CURRENCIES, minor_unit_exponent
from partner_of_record.errors import Finding
from partner_of_record.model import OfferCategory, SubscriptionId, Usage

__all__ = ["COLUMNS", "arrow_column", "columns_table", "usage_keys"]

I64 = npt.NDArray[np.int64]

COLUMNS: Mapping[str, str] = {
    "subscription_id": "str (required)",
    "month": "datetime.date, numpy datetime64, ISO 'YYYY-MM-01' string or day ordinal "
    "(required; the first day of a month)",
    "amount": "Decimal, int or numeric string (required unless amount_minor is given)",
    "amount_minor": "int64: the amount in minor units of the row's currency",
    "currency": "ISO 4217 code (default 'USD')",
    "service": "str or None (default None)",
    "offer": "OfferCategory, its value ('trial') or None (default None)",
}
"""The usage columns ``Ledger.from_columns`` accepts and what each holds."""

_MAX_DIGITS = 60
"""Amounts with more significant digits, or an exponent beyond ``_MAX_EXPONENT``, are refused
by ``from_columns`` (they would make the engine compute with enormous integers)."""
_MAX_EXPONENT = 60
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _column(columns: Any) -> dict[str, Any]:
    """A mapping of column name -> values, from a mapping, a pandas/polars frame or an Arrow
    table (converted without importing the libraries unless the object comes from them)."""
    module = type(columns).__module__.split(".")[0]
    if module == "pyarrow":
        return {name: arrow_column(columns.column(name)) for name in columns.column_names}
    if module == "polars":
        return {name: columns.get_column(name).to_numpy() for name in columns.columns}
    if module == "pandas":
        return {str(name): columns[name].to_numpy() for name in columns.columns}
    if isinstance(columns, Mapping):
        return dict(columns)
    msg = (
        f"Ledger.from_columns(usage=...): {type(columns).__name__} is not a mapping of columns, "
        "a pandas or polars DataFrame, or an Arrow table"
    )
    raise TypeError(msg)


def arrow_column(column: Any) -> Any:
    """An Arrow column as numpy, text and dictionary columns as ``Coded`` (no Python string
    per row: the distinct texts only)."""
    pa: Any = importlib.import_module("pyarrow")  # untyped: imported as Any
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return column.to_numpy(zero_copy_only=False)
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    codes = np.empty(len(column), dtype=np.int64)
    index: dict[Any, int] = {}
    at = 0
    for chunk in chunks:  # chunk by chunk, so that no copy of the whole column is made
        encoded = chunk.dictionary_encode()
        values = encoded.dictionary.to_pylist()
        found = encoded.indices
        if found.null_count:
            found = found.fill_null(len(values))
            values.append(None)
        remap = np.array([index.setdefault(v, len(index)) for v in values] or [0], np.int64)
        codes[at : at + len(chunk)] = remap[found.to_numpy(zero_copy_only=False)]
        at += len(chunk)
    return Coded(codes, tuple(index))


def _as_list(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray | Coded):
        out: list[Any] = values.tolist()
        return out
    if hasattr(values, "to_pylist"):
        found: list[Any] = values.to_pylist()
        return found
    return list(values)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class _Rows:
    """The problems found in the input rows: one finding per bad row (the first problem)."""

    def __init__(self, n: int, usage: Callable[[int], Usage | None]) -> None:
        self.bad = np.zeros(n, dtype=bool)
        self.findings: dict[int, Finding] = {}
        self.usage = usage

    def flag(self, rows: Iterable[int], code: str, reason: Callable[[int], str]) -> None:
        for r in rows:
            if r in self.findings:
                continue
            self.bad[r] = True
            ref = UsageRow(r, self.usage(r) if code != "INVALID_VALUE" else None)
            self.findings[r] = Finding(code, f"{ref.describe()}: {reason(r)}", (ref,))


def columns_table(  # noqa: PLR0912, PLR0915 - one check per usage column, in the order findings are reported
    columns: Any,
    subscriptions: Mapping[SubscriptionId, Any],
    gone: Iterable[SubscriptionId] = (),
) -> tuple[UsageTable, tuple[Finding, ...], npt.NDArray[np.intp]]:
    """Build a table from columns and check it (see ``Ledger.from_columns``).

    Args:
        columns: the usage columns (see ``COLUMNS``).
        subscriptions: the ledger's subscriptions by id.
        gone: ids of subscriptions that were rejected (their rows cascade).

    Returns:
        The table of the valid rows, one finding per rejected row (in row order), and the
        rejected rows' numbers.

    Raises:
        TypeError: a column is missing, unknown, or of the wrong length.
    """
    cols = _column(columns)
    unknown = sorted(set(cols) - set(COLUMNS))
    if unknown:
        msg = (
            f"Ledger.from_columns(usage=...): unknown column(s) {', '.join(map(repr, unknown))}; "
            f"the columns are {', '.join(COLUMNS)}"
        )
        raise TypeError(msg)
    for name in ("subscription_id", "month"):
        if name not in cols:
            msg = f"Ledger.from_columns(usage=...): the column {name!r} is required"
            raise TypeError(msg)
    if ("amount" in cols) == ("amount_minor" in cols):
        msg = "Ledger.from_columns(usage=...): give exactly one of 'amount' and 'amount_minor'"
        raise TypeError(msg)
    n = len(cols["subscription_id"])
    for name, values in cols.items():
        if len(values) != n:
            msg = (
                f"Ledger.from_columns(usage=...): column {name!r} has {len(values)} values, "
                f"'subscription_id' has {n}"
            )
            raise TypeError(msg)

    # per-value conversions, each done once per distinct value
    subs_raw = cols["subscription_id"]
    sub_index: dict[Any, int] = {}
    sub = codes_of(
        subs_raw if isinstance(subs_raw, np.ndarray | Coded) else _as_list(subs_raw), sub_index
    )
    sub_ids = tuple(sub_index)
    month = _months(cols["month"])
    if "currency" in cols:
        cur_raw = cols["currency"]
        cur_index: dict[Any, int] = {}
        cur = codes_of(
            cur_raw if isinstance(cur_raw, np.ndarray | Coded) else _as_list(cur_raw), cur_index
        )
        currencies = tuple(cur_index)
    else:
        cur = np.zeros(n, dtype=np.int64)
        currencies = ("USD",)
    if "service" in cols:
        service, services = _folded(cols["service"])
    else:
        service = np.zeros(n, dtype=np.int64)
        services = (None,)
    if "offer" in cols:
        offer_in, offer_values = _folded(cols["offer"])
    else:
        offer_in = np.zeros(n, dtype=np.int64)
        offer_values = (None,)

    # bad values, checked per distinct value
    cur_ok = np.array([isinstance(c, str) and c in CURRENCIES for c in currencies], dtype=bool)
    exps = np.array(
        [minor_unit_exponent(c) if ok else 0 for c, ok in zip(currencies, cur_ok, strict=True)],
        dtype=np.int64,
    )
    # a known subscription's id is valid (the model checked it): test only the others
    known = np.fromiter(map(subscriptions.__contains__, sub_ids), dtype=bool, count=len(sub_ids))
    sub_ok = known.copy()
    for i in np.flatnonzero(~known).tolist():
        sub_ok[i] = _good_id(sub_ids[i])
    service_ok = np.array([s is None or _good_id(s) for s in services], dtype=bool)
    offers: list[int] = []
    offer_ok_list: list[bool] = []
    for o in offer_values:
        found = _offer(o)
        offers.append(-1 if found is None else OFFER_CODE[found])
        offer_ok_list.append(o is None or found is not None)
    offer_ok = np.array(offer_ok_list, dtype=bool)
    offer = np.array(offers, dtype=np.int64)[offer_in] if n else offer_in

    exact: dict[int, Decimal] = {}
    big: dict[int, int] = {}
    amount_bad: dict[int, str] = {}
    if "amount_minor" in cols:
        raw = cols["amount_minor"]
        arr = np.asarray(raw)
        if arr.dtype.kind in "iu":
            minor = arr.astype(np.int64, copy=False)
        else:
            minor = np.zeros(n, dtype=np.int64)
            for i, v in enumerate(_as_list(raw)):
                if isinstance(v, bool) or not isinstance(v, int | np.integer):
                    amount_bad[i] = f"amount_minor {v!r} is not an integer"
                elif -INT64_MAX <= int(v) <= INT64_MAX:
                    minor[i] = int(v)
                else:
                    big[i] = int(v)
    else:
        amounts, amount_bad = _decimals(_as_list(cols["amount"]))
        minor, big, exact = to_minor(amounts, exps[cur].tolist() if n else [], keep_exact=True)

    table = UsageTable(
        sub, month.values, minor, cur, service, offer, sub_ids, currencies, services, exact, big
    )
    rows = _Rows(n, table.usage)
    rows.flag(
        _bad_rows(sub_ok, sub),
        "INVALID_VALUE",
        lambda r: f"subscription_id {subs_raw[r]!r} is not an identifier",
    )
    rows.flag(month.bad, "INVALID_VALUE", lambda r: month.reasons[r])
    rows.flag(
        _bad_rows(cur_ok, cur),
        "INVALID_VALUE",
        lambda r: f"currency {currencies[int(cur[r])]!r} is not an ISO 4217 currency code",
    )
    rows.flag(
        _bad_rows(service_ok, service),
        "INVALID_VALUE",
        lambda r: f"service {services[int(service[r])]!r} is not an identifier or empty",
    )
    rows.flag(
        _bad_rows(offer_ok, offer_in),
        "INVALID_VALUE",
        lambda r: f"offer {offer_values[int(offer_in[r])]!r} is not an OfferCategory",
    )
    rows.flag(sorted(amount_bad), "INVALID_VALUE", amount_bad.__getitem__)

    # references: subscription codes -> known, rejected or unknown
    if n and not known.all():
        gone_ids = set(gone)
        was_gone = np.array([s in gone_ids for s in sub_ids], dtype=bool)
        missing = ~known[sub] & ~rows.bad
        cascade = missing & was_gone[sub]
        rows.flag(
            np.flatnonzero(cascade).tolist(),
            "REJECTED_REFERENCE",
            lambda r: (
                f"subscription_id {sub_ids[int(sub[r])]!r} names a Subscription that was rejected"
            ),
        )
        rows.flag(
            np.flatnonzero(missing & ~cascade).tolist(),
            "UNKNOWN_SUBSCRIPTION",
            lambda r: (
                f"subscription_id {sub_ids[int(sub[r])]!r} names a Subscription that is not in "
                "the ledger"
            ),
        )
    if n:
        # duplicate keys among the rows still in: the first row of a key is kept
        live = np.flatnonzero(~rows.bad) if rows.bad.any() else None
        for r, first in _duplicates(table, live):
            rows.flag(
                [r],
                "DUPLICATE_USAGE",
                lambda r, first=first: (  # type: ignore[misc]
                    "has the same usage row key (subscription, month, service, currency) as "
                    f"usage row {first} ({table.usage(first).describe()}), which is kept"
                ),
            )
    rejected = np.flatnonzero(rows.bad)
    kept = (table.take(np.flatnonzero(~rows.bad)) if rejected.size else table).compact()
    findings = tuple(rows.findings[r] for r in sorted(rows.findings))
    return kept, findings, rejected


def _bad_rows(ok: npt.NDArray[np.bool_], codes: I64) -> list[int]:
    """The rows whose code's value is not ``ok`` (checked once per value), in row order."""
    if ok.all():
        return []
    found: list[int] = np.flatnonzero(~ok[codes]).tolist()
    return found


def _folded(values: Any) -> tuple[I64, tuple[Any, ...]]:
    """Codes of a column whose missing values (``None``, NaN) all become ``None``."""
    index: dict[Any, int] = {}
    raw = codes_of(values if isinstance(values, np.ndarray | Coded) else _as_list(values), index)
    distinct = list(index)
    if not any(_missing(v) for v in distinct):
        return raw, tuple(distinct)
    folded: dict[Any, int] = {}
    remap = np.array(
        [folded.setdefault(None if _missing(v) else v, len(folded)) for v in distinct],
        dtype=np.int64,
    )
    return remap[raw], tuple(folded)


def _good_id(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip()) and value == value.strip()


def _offer(value: object) -> OfferCategory | None:
    if isinstance(value, OfferCategory):
        return value
    if isinstance(value, str):
        for o in OFFERS:
            if value in (o.value, o.name):
                return o
    return None


def _decimals(values: list[Any]) -> tuple[list[Decimal], dict[int, str]]:
    """Each value as a finite ``Decimal`` (``Decimal(0)`` for a bad one, with its reason)."""
    out: list[Decimal] = []
    bad: dict[int, str] = {}
    zero = Decimal(0)
    for i, v in enumerate(values):
        d: Any = v
        if isinstance(v, str):
            try:
                d = Decimal(v.strip())
            except InvalidOperation:
                bad[i] = f"amount {v!r} is not a number"
                out.append(zero)
                continue
        elif isinstance(v, int | np.integer) and not isinstance(v, bool):
            d = Decimal(int(v))
        if not isinstance(d, Decimal):
            reason = (
                "is a float; money must be exact"
                if isinstance(v, float)
                else "is not a Decimal amount"
            )
            bad[i] = f"amount {v!r} {reason}"
            out.append(zero)
            continue
        if not d.is_finite():
            bad[i] = f"amount {v!r} is not a finite number"
            out.append(zero)
            continue
        t = d.as_tuple()
        exponent = t.exponent
        assert isinstance(exponent, int)
        if len(t.digits) > _MAX_DIGITS or abs(exponent) > _MAX_EXPONENT:
            bad[i] = (
                f"amount {str(v)[:40]!r} has more than {_MAX_DIGITS} digits or an exponent "
                f"beyond ±{_MAX_EXPONENT}"
            )
            out.append(zero)
            continue
        out.append(d)
    return out, bad


@attrs.frozen
class _Months:
    values: I64
    bad: list[int]
    reasons: dict[int, str]


def _months(values: Any) -> _Months:
    """Each month as a day ordinal; the rows that are not the first day of a month."""
    arr = values if isinstance(values, np.ndarray) else None
    if arr is not None and arr.dtype.kind == "M":
        days = arr.astype("datetime64[D]", copy=False)
        ords = days.view(np.int64) + _EPOCH_ORDINAL
        bad_rows = np.flatnonzero(~_first_days(days)).tolist()
        return _Months(
            ords,
            bad_rows,
            {r: f"month {days[r]} is not the first day of a month" for r in bad_rows},
        )
    if arr is not None and arr.dtype.kind in "iu":
        items: list[Any] = arr.tolist()
    else:
        items = _as_list(values)
    cache: dict[Any, int | str] = {}
    for v in set(items) if all(isinstance(v, str | dt.date | int) for v in items[:1]) else items:
        if v in cache:
            continue
        cache[v] = _month_ordinal(v)
    out = np.zeros(len(items), dtype=np.int64)
    bad: list[int] = []
    reasons: dict[int, str] = {}
    for i, v in enumerate(items):
        found = cache.get(v) if _hashable(v) else _month_ordinal(v)
        if isinstance(found, int):
            out[i] = found
        else:
            bad.append(i)
            reasons[i] = str(found)
    return _Months(out, bad, reasons)


def _first_days(days: npt.NDArray[np.datetime64]) -> npt.NDArray[np.bool_]:
    """Whether each day (``datetime64[D]``) is the first of its month (``NaT`` is not).

    Usage spans a few years at most: the answer is computed once for each day of the range
    the column covers and read back per row (one pass over the rows instead of three calendar
    conversions); a column spanning more days than it has rows is converted row by row."""
    nat = np.isnat(days)
    raw = days.view(np.int64)
    valid = raw[~nat] if nat.any() else raw
    if not valid.size:
        return np.zeros(len(days), dtype=bool)
    lo, hi = int(valid.min()), int(valid.max())
    if hi - lo >= max(len(days), 1 << 12):
        firsts = days.astype("datetime64[M]").astype("datetime64[D]")
        out: npt.NDArray[np.bool_] = (firsts == days) & ~nat
        return out
    span = np.arange(lo, hi + 1, dtype=np.int64).astype("datetime64[D]")
    table = span.astype("datetime64[M]").astype("datetime64[D]") == span
    index = np.where(nat, lo, raw) - lo if nat.any() else raw - lo
    found: npt.NDArray[np.bool_] = table[index] & ~nat
    return found


def _hashable(v: object) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def _month_ordinal(v: Any) -> int | str:
    day: Any = v
    if isinstance(v, str):
        try:
            day = dt.date.fromisoformat(v.strip())
        except ValueError:
            return f"month {v!r} is not an ISO date"
    elif isinstance(v, np.datetime64):
        day = None if np.isnat(v) else v.astype("datetime64[D]").astype(object)
    elif isinstance(v, int) and not isinstance(v, bool):
        try:
            day = dt.date.fromordinal(v)
        except (ValueError, OverflowError):
            return f"month {v!r} is not a day ordinal"
    if isinstance(day, dt.datetime):
        day = day.date() if day.time() == dt.time() else None
    if not isinstance(day, dt.date):
        return f"month {v!r} is not a date"
    if day.day != 1:
        return f"month {day.isoformat()} is not the first day of a month"
    return day.toordinal()


def _duplicates(table: UsageTable, live: npt.NDArray[np.intp] | None) -> list[tuple[int, int]]:
    """``(row, first row with its key)`` for each row of ``live`` (``None``: every row)
    repeating an earlier key."""
    if live is None:
        live = np.arange(len(table))
        keys = usage_keys(table)
    else:
        keys = usage_keys(table)[live]
    if live.size < 2:
        return []
    if (keys[1:] > keys[:-1]).all():
        return []  # the rows are in key order (the usual export order): no key repeats
    # keys are non-negative; those of up to 32 bits sort about a third faster as uint32
    ordered = np.sort(keys.astype(np.uint32) if int(keys.max()) >> 32 == 0 else keys)
    if not (ordered[1:] == ordered[:-1]).any():
        return []
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    same = np.flatnonzero(k[1:] == k[:-1]) + 1
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    first_of = starts[np.searchsorted(starts, same, side="right") - 1]
    pairs = [
        (int(live[order[i]]), int(live[order[j]])) for i, j in zip(same, first_of, strict=True)
    ]
    return sorted(pairs)


def usage_keys(table: UsageTable) -> I64:
    """One int64 per row identifying its ``(subscription, month, service, currency)`` key."""
    parts = (
        table.sub,
        table.month - (table.month.min() if len(table) else 0),
        table.service,
        table.cur,
    )
    widths = [max(int(p.max()) if len(p) else 0, 0).bit_length() or 1 for p in parts]
    if sum(widths) <= 63:
        out = np.zeros(len(table), dtype=np.int64)
        for p, w in zip(parts, widths, strict=True):
            out = (out << w) | p
        return out
    # too wide to pack: rank the keys (rare: millions of subscriptions and services)
    order = np.lexsort(parts[::-1])
    stacked = np.stack([p[order] for p in parts])
    new = np.r_[True, (stacked[:, 1:] != stacked[:, :-1]).any(axis=0)]
    ranks = np.empty(len(table), dtype=np.int64)
    ranks[order] = np.cumsum(new) - 1
    return ranks
