"""The ledger's usage rows held as columns (internal).

A [`Ledger`][partner_of_record.Ledger] keeps its usage rows in a ``UsageTable``: one numpy
array per field, with integer codes for the repeated strings. The attribution engine reads the
arrays; ``ledger.usage`` still gives ``Usage`` records (the input records when the ledger was
built from records, else records made on access by ``UsageRecords``).

Amounts are integers of the currency's minor unit (cents for USD), rounded half to even: the
rounding the engine has always applied to each row first. Nothing is lost:

* a row whose amount has more decimals than its currency keeps its original ``Decimal`` in
  ``exact`` (so ``ledger.usage`` gives it back unchanged);
* a row whose minor units do not fit in an int64 keeps them as a Python ``int`` in ``big``
  (its ``minor`` entry is 0), and the engine computes such rows with Python integers.

``columns_table`` builds a table from plain columns (``Ledger.from_columns``) and reports every
bad row as a finding located by its row number, with the ledger's finding codes.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import Any, TypeVar, overload

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.currency import CURRENCIES, minor_unit_exponent
from partner_of_record.errors import Finding
from partner_of_record.model import OfferCategory, SubscriptionId, Usage

__all__ = [
    "COLUMNS",
    "OFFERS",
    "OFFER_CODE",
    "Coded",
    "UsageRecords",
    "UsageRow",
    "UsageTable",
    "columns_table",
]

I64 = npt.NDArray[np.int64]
_V = TypeVar("_V")

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

_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999, traps=[Inexact])
_INT64_MAX = (1 << 63) - 1
_MAX_DIGITS = 60
"""Amounts with more significant digits, or an exponent beyond ``_MAX_EXPONENT``, are refused
by ``from_columns`` (they would make the engine compute with enormous integers)."""
_MAX_EXPONENT = 60
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
OFFERS: tuple[OfferCategory, ...] = tuple(OfferCategory)
"""The offer codes of the ``offer`` column index this tuple (-1: the row gives no offer)."""
OFFER_CODE: Mapping[OfferCategory, int] = {o: i for i, o in enumerate(OFFERS)}
"""Each offer category's code in the ``offer`` column."""


@attrs.frozen
class Coded:
    """A column given as integer codes into its values, for ``Ledger.from_columns``: how the
    loaders pass the text columns they have already coded (no string per row), and how an
    Arrow dictionary column or a pandas ``Categorical`` arrives.

    Attributes:
        codes: each row's code (an index into ``values``).
        values: the values the codes stand for (any may be unused).
    """

    codes: I64
    values: tuple[Any, ...]

    def __len__(self) -> int:
        return len(self.codes)

    def tolist(self) -> list[Any]:
        """The column's value per row."""
        lut = np.empty(len(self.values), dtype=object)
        lut[:] = self.values
        out: list[Any] = lut[self.codes].tolist()
        return out

    def __getitem__(self, row: Any) -> Any:
        """One row's value (an integer ``row``), or the column of some rows (a mask or an
        array of row numbers)."""
        if isinstance(row, int | np.integer):
            return self.values[int(self.codes[row])]
        return Coded(self.codes[row], self.values)


@attrs.frozen
class UsageRow:
    """A usage row given as columns (``Ledger.from_columns``), located by its row number.

    Attributes:
        row: the row's position in the input columns (0-based).
        usage: the row as a ``Usage`` record, or ``None`` when a value is invalid.
    """

    row: int
    usage: Usage | None = None

    def describe(self) -> str:
        """Return ``usage row 17`` plus the row's text when its values are valid."""
        text = f"usage row {self.row}"
        return f"{text} ({self.usage.describe()})" if self.usage is not None else text


class UsageTable:
    """Usage rows as columns; see the module documentation.

    Attributes:
        sub: each row's subscription code (an index into ``sub_ids``).
        month: each row's month as a day ordinal (``date.toordinal()`` of its first day).
        minor: each row's amount in minor units, rounded half to even (0 for rows in ``big``).
        cur: each row's currency code (an index into ``currencies``).
        service: each row's service code (an index into ``services``; ``None`` is a value).
        offer: each row's offer code (an index into ``OfferCategory``; -1 for ``None``).
        sub_ids, currencies, services: the values the codes stand for.
        exact: original amounts of rows with more decimals than their currency.
        big: minor units that do not fit in an int64, by row.
        records: the ``Usage`` records, when the table was made from them.
    """

    __slots__ = (
        "big",
        "cache",
        "cur",
        "currencies",
        "exact",
        "minor",
        "month",
        "offer",
        "records",
        "service",
        "services",
        "sub",
        "sub_ids",
    )

    def __init__(
        self,
        sub: I64,
        month: I64,
        minor: I64,
        cur: I64,
        service: I64,
        offer: I64,
        sub_ids: tuple[SubscriptionId, ...],
        currencies: tuple[str, ...],
        services: tuple[str | None, ...],
        exact: dict[int, Decimal] | None = None,
        big: dict[int, int] | None = None,
        records: tuple[Usage, ...] | None = None,
    ) -> None:
        self.sub = sub
        self.month = month
        self.minor = minor
        self.cur = cur
        self.service = service
        self.offer = offer
        self.sub_ids = sub_ids
        self.currencies = currencies
        self.services = services
        self.exact = exact or {}
        self.big = big or {}
        self.records = records
        self.cache: dict[str, Any] = {}  # arrays derived by the engine

    def __len__(self) -> int:
        return len(self.sub)

    @property
    def exponents(self) -> tuple[int, ...]:
        """Each currency's minor-unit exponent, by currency code."""
        return tuple(minor_unit_exponent(c) for c in self.currencies)

    def minor_of(self, row: int) -> int:
        """Return one row's amount in minor units, exactly."""
        found = self.big.get(row)
        return int(self.minor[row]) if found is None else found

    def minors(self) -> list[int]:
        """Every row's amount in minor units, as exact Python integers."""
        out: list[int] = self.minor.tolist()
        for r, m in self.big.items():
            out[r] = m
        return out

    def usage(self, row: int) -> Usage:
        """Return row ``row`` as a ``Usage`` record."""
        if self.records is not None:
            return self.records[row]
        currency = self.currencies[int(self.cur[row])]
        amount = self.exact.get(row)
        if amount is None:
            amount = Decimal(self.minor_of(row)).scaleb(-minor_unit_exponent(currency))
        offer = int(self.offer[row])
        # the values were validated when the table was made: skip the validators
        u = object.__new__(Usage)
        set_field = object.__setattr__
        set_field(u, "subscription_id", self.sub_ids[int(self.sub[row])])
        set_field(u, "month", dt.date.fromordinal(int(self.month[row])))
        set_field(u, "amount", amount)
        set_field(u, "currency", currency)
        set_field(u, "service", self.services[int(self.service[row])])
        set_field(u, "offer", None if offer < 0 else OFFERS[offer])
        return u

    def take(self, rows: npt.NDArray[np.intp]) -> UsageTable:
        """Return the table of some rows (in the given order)."""
        keep = {int(r): i for i, r in enumerate(rows.tolist())} if (self.exact or self.big) else {}
        return UsageTable(
            self.sub[rows],
            self.month[rows],
            self.minor[rows],
            self.cur[rows],
            self.service[rows],
            self.offer[rows],
            self.sub_ids,
            self.currencies,
            self.services,
            {keep[r]: v for r, v in self.exact.items() if r in keep},
            {keep[r]: v for r, v in self.big.items() if r in keep},
            None if self.records is None else tuple(self.records[int(r)] for r in rows),
        )

    def compact(self) -> UsageTable:
        """Return the table with only the subscription ids, currencies and services its rows
        use (codes renumbered in order of first use; ``self`` when nothing is unused).

        ``columns_table`` applies it after dropping rejected rows, so a value seen only in a
        rejected row (an unknown currency, a missing subscription id) is not left in the
        dictionaries that the engine and ``Credits`` read."""
        sub, sub_ids = _compacted(self.sub, self.sub_ids)
        cur, currencies = _compacted(self.cur, self.currencies)
        service, services = _compacted(self.service, self.services)
        if sub is self.sub and cur is self.cur and service is self.service:
            return self
        return UsageTable(
            sub,
            self.month,
            self.minor,
            cur,
            service,
            self.offer,
            sub_ids,
            currencies,
            services,
            self.exact,
            self.big,
            self.records,
        )

    @classmethod
    def from_records(cls, records: Sequence[Usage]) -> UsageTable:
        """Return the table of ``Usage`` records (which it keeps for ``usage()``)."""
        rows = tuple(records)
        sub_index: dict[str, int] = {}
        sub = _codes([u.subscription_id for u in rows], sub_index)
        month_ords: dict[dt.date, int] = {}
        month = np.fromiter(
            (
                month_ords.get(m) or month_ords.setdefault(m, m.toordinal())
                for m in _attr(rows, "month")
            ),
            dtype=np.int64,
            count=len(rows),
        )
        cur_index: dict[str, int] = {}
        cur = _codes(_attr(rows, "currency"), cur_index)
        service_index: dict[str | None, int] = {}
        service = _codes(_attr(rows, "service"), service_index)
        offer = np.fromiter(
            (-1 if o is None else OFFER_CODE[o] for o in _attr(rows, "offer")),
            dtype=np.int64,
            count=len(rows),
        )
        currencies = tuple(cur_index)
        scales = [minor_unit_exponent(c) for c in currencies]
        amounts = _attr(rows, "amount")
        minors, big, _ = _to_minor(amounts, [scales[c] for c in cur.tolist()], keep_exact=False)
        return cls(
            sub,
            month,
            minors,
            cur,
            service,
            offer,
            tuple(sub_index),
            currencies,
            tuple(service_index),
            None,
            big,
            rows,
        )


def _compacted(codes: I64, values: tuple[_V, ...]) -> tuple[I64, tuple[_V, ...]]:
    """``codes`` renumbered to the values they use, in order of first use (unchanged, the same
    array, when every value is used)."""
    if not len(values):
        return codes, values
    used = np.bincount(codes, minlength=len(values)) > 0 if len(codes) else np.zeros(0, bool)
    if len(codes) and used.all():
        return codes, values
    kept = np.flatnonzero(used)
    remap = np.full(len(values), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept), dtype=np.int64)
    return remap[codes], tuple(values[i] for i in kept.tolist())


def _attr(rows: Sequence[Usage], name: str) -> list[Any]:
    return [getattr(u, name) for u in rows]


def _codes(values: Iterable[Any] | Coded, index: dict[Any, int]) -> I64:
    """Code each value by its order of first appearance (``index`` is filled in)."""
    if isinstance(values, Coded):
        # the values' own codes, merged where two values are equal (order: first value)
        remap = np.array(
            [index.setdefault(v, len(index)) for v in values.values] or [0], dtype=np.int64
        )
        return remap[np.asarray(values.codes, dtype=np.int64)]
    if isinstance(values, np.ndarray) and values.dtype.kind in "OU" and len(values) > 10_000:
        found = _arrow_codes(values, index)
        if found is not None:
            return found
    values = list(values)
    get = index.get

    def code(v: Any) -> int:
        found = get(v)
        if found is None:
            found = index[v] = len(index)
        return found

    return np.fromiter(map(code, values), dtype=np.int64, count=len(values))


def _arrow_codes(values: npt.NDArray[Any], index: dict[Any, int]) -> I64 | None:
    """``_codes`` through pyarrow's dictionary encoding, when pyarrow is installed and the
    values are all strings (else ``None``: the caller codes them in Python)."""
    try:
        pa: Any = importlib.import_module("pyarrow")  # untyped: imported as Any
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    try:
        encoded = pa.array(values, type=pa.string()).dictionary_encode()
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if encoded.null_count:
        return None
    for v in encoded.dictionary.to_pylist():
        index[v] = len(index)
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _exact_minor(amount: Decimal, exponent: int) -> int:
    """``amount x 10^exponent`` rounded half to even, with Python integers (any size)."""
    num, den = amount.as_integer_ratio()
    num *= 10**exponent
    q, r = divmod(num, den)
    if 2 * r > den or (2 * r == den and q & 1):
        q += 1
    return int(q)


def _to_minor(
    amounts: Sequence[Decimal], exponents: Sequence[int], *, keep_exact: bool
) -> tuple[I64, dict[int, int], dict[int, Decimal]]:
    """Each amount in minor units (half to even); the rows that do not fit an int64 in
    ``big``; with ``keep_exact``, the original of each amount with more decimals."""
    out = np.zeros(len(amounts), dtype=np.int64)
    big: dict[int, int] = {}
    exact: dict[int, Decimal] = {}
    values: list[int] = [0] * len(amounts)
    with localcontext(_EXACT):
        for i, (a, e) in enumerate(zip(amounts, exponents, strict=True)):
            try:
                scaled = a.scaleb(e)
                m = round(scaled)
                if keep_exact and scaled != m:
                    exact[i] = a
            except (Inexact, InvalidOperation, OverflowError):
                m = _exact_minor(a, e)
                if keep_exact and Decimal(m).scaleb(-e) != a:
                    exact[i] = a
            if -_INT64_MAX <= m <= _INT64_MAX:
                values[i] = m
            else:
                big[i] = m
    if amounts:
        out[:] = values
    return out, big, exact


# --------------------------------------------------------------------------------------------
# a lazy sequence of Usage records


class UsageRecords(Sequence[Usage]):
    """The rows of a ``UsageTable`` as ``Usage`` records, each made when it is read.

    Equal to any sequence of the same records (e.g. the tuple ``tuple(records)``).
    """

    __slots__ = ("_table",)

    def __init__(self, table: UsageTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    @overload
    def __getitem__(self, index: int) -> Usage: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Usage, ...]: ...

    def __getitem__(self, index: int | slice) -> Usage | tuple[Usage, ...]:
        if isinstance(index, slice):
            return tuple(map(self._table.usage, range(len(self))[index]))
        n = len(self)
        if not -n <= index < n:
            msg = f"usage row {index} out of range ({n} rows)"
            raise IndexError(msg)
        return self._table.usage(index % n if index < 0 else index)

    def __iter__(self) -> Iterator[Usage]:
        return map(self._table.usage, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<UsageRecords: {len(self)} row(s)>"


# --------------------------------------------------------------------------------------------
# from columns


def _column(columns: Any) -> dict[str, Any]:
    """A mapping of column name -> values, from a mapping, a pandas/polars frame or an Arrow
    table (converted without importing the libraries unless the object comes from them)."""
    module = type(columns).__module__.split(".")[0]
    if module == "pyarrow":
        return {name: _arrow_column(columns.column(name)) for name in columns.column_names}
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


def _arrow_column(column: Any) -> Any:
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
    sub = _codes(
        subs_raw if isinstance(subs_raw, np.ndarray | Coded) else _as_list(subs_raw), sub_index
    )
    sub_ids = tuple(sub_index)
    month = _months(cols["month"])
    if "currency" in cols:
        cur_raw = cols["currency"]
        cur_index: dict[Any, int] = {}
        cur = _codes(
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
                elif -_INT64_MAX <= int(v) <= _INT64_MAX:
                    minor[i] = int(v)
                else:
                    big[i] = int(v)
    else:
        amounts, amount_bad = _decimals(_as_list(cols["amount"]))
        minor, big, exact = _to_minor(amounts, exps[cur].tolist() if n else [], keep_exact=True)

    table = UsageTable(
        sub, month.values, minor, cur, service, offer, sub_ids, currencies, services, exact, big
    )
    rows = _Rows(n, table.usage)
    rows.flag(
        np.flatnonzero(~sub_ok[sub]).tolist() if n else [],
        "INVALID_VALUE",
        lambda r: f"subscription_id {subs_raw[r]!r} is not an identifier",
    )
    rows.flag(month.bad, "INVALID_VALUE", lambda r: month.reasons[r])
    rows.flag(
        np.flatnonzero(~cur_ok[cur]).tolist() if n else [],
        "INVALID_VALUE",
        lambda r: f"currency {currencies[int(cur[r])]!r} is not an ISO 4217 currency code",
    )
    rows.flag(
        np.flatnonzero(~service_ok[service]).tolist() if n else [],
        "INVALID_VALUE",
        lambda r: f"service {services[int(service[r])]!r} is not an identifier or empty",
    )
    rows.flag(
        np.flatnonzero(~offer_ok[offer_in]).tolist() if n else [],
        "INVALID_VALUE",
        lambda r: f"offer {offer_values[int(offer_in[r])]!r} is not an OfferCategory",
    )
    rows.flag(sorted(amount_bad), "INVALID_VALUE", amount_bad.__getitem__)

    # references: subscription codes -> known, rejected or unknown
    gone_ids = set(gone)
    was_gone = np.array([s in gone_ids for s in sub_ids], dtype=bool)
    if n:
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
        # duplicate keys among the rows still in: the first row of a key is kept
        live = np.flatnonzero(~rows.bad)
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


def _folded(values: Any) -> tuple[I64, tuple[Any, ...]]:
    """Codes of a column whose missing values (``None``, NaN) all become ``None``."""
    index: dict[Any, int] = {}
    raw = _codes(values if isinstance(values, np.ndarray | Coded) else _as_list(values), index)
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
        days = arr.astype("datetime64[D]")
        ords = days.astype(np.int64) + _EPOCH_ORDINAL
        firsts = days.astype("datetime64[M]").astype("datetime64[D]")
        bad_rows = np.flatnonzero((firsts != days) | np.isnat(days)).tolist()
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


def _duplicates(table: UsageTable, live: npt.NDArray[np.intp]) -> list[tuple[int, int]]:
    """``(row, first row with its key)`` for each row of ``live`` repeating an earlier key."""
    if live.size < 2:
        return []
    keys = usage_keys(table)[live]
    if keys is None:  # pragma: no cover - usage_keys always packs or lexsorts
        return []
    ordered = np.sort(keys)
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
