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

``partner_of_record._usage_input.columns_table`` builds a table from plain columns
(``Ledger.from_columns``) and checks them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext
from typing import Any, ClassVar, TypeVar, overload

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.currency import minor_unit_exponent
from partner_of_record.model import OfferCategory, SubscriptionId, Usage

__all__ = [
    "OFFERS",
    "OFFER_CODE",
    "Coded",
    "LazySequence",
    "UsageRecords",
    "UsageRow",
    "UsageTable",
]

I64 = npt.NDArray[np.int64]
_V = TypeVar("_V")

_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999, traps=[Inexact])
INT64_MAX = (1 << 63) - 1
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


def _or_new(value: dict[int, Any] | None) -> dict[int, Any]:
    """The mapping given, or a new empty one for ``None`` or an empty one."""
    return value or {}


@attrs.define(eq=False, repr=False)
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

    sub: I64
    month: I64
    minor: I64
    cur: I64
    service: I64
    offer: I64
    sub_ids: tuple[SubscriptionId, ...]
    currencies: tuple[str, ...]
    services: tuple[str | None, ...]
    exact: dict[int, Decimal] = attrs.field(default=None, converter=_or_new)
    big: dict[int, int] = attrs.field(default=None, converter=_or_new)
    records: tuple[Usage, ...] | None = None
    cache: dict[str, Any] = attrs.field(init=False, factory=dict)  # arrays derived by the engine

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
        sub = codes_of([u.subscription_id for u in rows], sub_index)
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
        cur = codes_of(_attr(rows, "currency"), cur_index)
        service_index: dict[str | None, int] = {}
        service = codes_of(_attr(rows, "service"), service_index)
        offer = np.fromiter(
            (-1 if o is None else OFFER_CODE[o] for o in _attr(rows, "offer")),
            dtype=np.int64,
            count=len(rows),
        )
        currencies = tuple(cur_index)
        scales = [minor_unit_exponent(c) for c in currencies]
        amounts = _attr(rows, "amount")
        minors, big, _ = to_minor(amounts, [scales[c] for c in cur.tolist()], keep_exact=False)
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


def codes_of(values: Iterable[Any] | Coded, index: dict[Any, int]) -> I64:
    """Code each value by its order of first appearance (``index`` is filled in).

    A long numpy column is coded by its runs of equal values when it comes in runs (sorted
    exports), else through Arrow when installed; each gives the codes of ``_python_codes``."""
    if isinstance(values, Coded):
        # the values' own codes, merged where two values are equal (order: first value)
        remap = np.array(
            [index.setdefault(v, len(index)) for v in values.values] or [0], dtype=np.int64
        )
        return remap[np.asarray(values.codes, dtype=np.int64)]
    if isinstance(values, np.ndarray) and values.dtype.kind in "OU" and len(values) > 10_000:
        found = _run_codes(values, index)
        if found is None:
            found = _arrow_codes(values, index)
        if found is not None:
            return found
    return _python_codes(values, index)


def _python_codes(values: Iterable[Any], index: dict[Any, int]) -> I64:
    """``codes_of`` one value at a time: the reference the faster paths give the same codes as."""
    values = list(values)
    get = index.get

    def code(v: Any) -> int:
        found = get(v)
        if found is None:
            found = index[v] = len(index)
        return found

    return np.fromiter(map(code, values), dtype=np.int64, count=len(values))


_RUN_SAMPLE = 1024
"""``_run_codes`` looks for runs in this many first values before comparing them all."""


def _run_codes(values: npt.NDArray[Any], index: dict[Any, int]) -> I64 | None:
    """``codes_of`` for a column in runs of equal values (a usage export in subscription
    order): the first value of each run is coded one at a time, then its code repeated over
    the run. The first appearance of a value starts a run, so the codes are those of coding
    every value (values equal by ``==`` having equal hashes, as Python requires of them).

    ``None`` (the caller codes the values otherwise) when the first ``_RUN_SAMPLE`` values
    are not mostly in runs of two or more, or when two neighbours cannot be compared to a
    ``bool``."""
    sample = values[:_RUN_SAMPLE]
    try:
        if 4 * int(np.count_nonzero(sample[1:] != sample[:-1])) > len(sample):
            return None
        changes = values[1:] != values[:-1]
    except Exception:  # pandas.NA, an array, a signaling NaN...: the reference coding
        return None  # takes them and reports them as it always has
    heads = np.flatnonzero(np.concatenate([[True], changes]))
    lengths = np.diff(np.append(heads, len(values)))
    firsts = values[heads].tolist()
    if not index:
        index.update(zip(firsts, range(len(firsts)), strict=True))
        if len(index) == len(firsts):  # sorted: each value is one run, coded by its place
            return np.repeat(np.arange(len(firsts), dtype=np.int64), lengths)
        index.clear()  # a value comes back in a later run: code the runs one at a time
    return np.repeat(_python_codes(firsts, index), lengths)


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


def to_minor(
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
            if -INT64_MAX <= m <= INT64_MAX:
                values[i] = m
            else:
                big[i] = m
    if amounts:
        out[:] = values
    return out, big, exact


# --------------------------------------------------------------------------------------------
# lazy sequences: the usage records, and any rows made on access

_T = TypeVar("_T")


class LazySequence(Sequence[_T]):
    """A read-only sequence whose items are made when they are read, and not kept.

    Equal to any sequence of the same items (e.g. the tuple ``tuple(items)``), hashed as that
    tuple. A subclass defines ``__len__``, ``_item(index)`` (for ``0 <= index < len``) and
    ``_noun``: the singular and plural words of the ``IndexError`` message.
    """

    __slots__ = ()
    _noun: ClassVar[tuple[str, str]]

    def _item(self, index: int) -> _T:
        """Make the item at ``index`` (``0 <= index < len(self)``)."""
        raise NotImplementedError  # pragma: no cover - every subclass defines it

    @overload
    def __getitem__(self, index: int) -> _T: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[_T, ...]: ...

    def __getitem__(self, index: int | slice) -> _T | tuple[_T, ...]:
        if isinstance(index, slice):
            return tuple(map(self._item, range(len(self))[index]))
        n = len(self)
        if not -n <= index < n:
            one, many = self._noun
            msg = f"{one} {index} out of range ({n} {many})"
            raise IndexError(msg)
        return self._item(index % n if index < 0 else index)

    def __iter__(self) -> Iterator[_T]:
        return map(self._item, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))


class UsageRecords(LazySequence[Usage]):
    """The rows of a ``UsageTable`` as ``Usage`` records, each made when it is read.

    Equal to any sequence of the same records (e.g. the tuple ``tuple(records)``).
    """

    __slots__ = ("_table",)
    _noun = ("usage row", "rows")

    def __init__(self, table: UsageTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def _item(self, index: int) -> Usage:
        return self._table.usage(index)

    def __iter__(self) -> Iterator[Usage]:  # one call less per row than the base's
        return map(self._table.usage, range(len(self)))

    def __repr__(self) -> str:
        return f"<UsageRecords: {len(self)} row(s)>"
