"""What ``Credits`` computes over its columns: exact group sums, the order of totals, and the
frames (pandas, Arrow) built from the columns without ``Credit`` objects (internal)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from partner_of_record._extras import require
from partner_of_record.attribution import _compact
from partner_of_record.attribution._money import from_minor, group_sums
from partner_of_record.attribution.kinds import mask_kinds

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from partner_of_record.attribution.credits import Credits

__all__: list[str] = []  # internal module

_I64 = npt.NDArray[np.int64]


def values_of(value: Any) -> frozenset[Any] | None:
    """One value or a collection of values -> a frozenset (``None`` means no filter)."""
    if value is None:
        return None
    if isinstance(value, str | enum.Enum | dt.date) or not isinstance(value, Iterable):
        return frozenset([value])
    return frozenset(value)


def _kinds_order(kinds: frozenset[Any] | None) -> tuple[int, list[str]]:
    return (0, []) if kinds is None else (1, sorted(k.value for k in kinds))


def _value_order(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    return (1, value.value) if isinstance(value, enum.Enum) else (1, value)


_ORDER: dict[str, Callable[[Any], Any]] = {
    "service": _value_order,
    "workload": _value_order,
    "kinds": _kinds_order,
}
"""How ``totals`` orders the values of the fields that are not plainly comparable: ``None``
first, enums by value, kinds by their sorted values; other fields sort as they are."""


def _same(value: Any) -> Any:
    return value


def ordered(result: dict[Any, Decimal], fields: tuple[str, ...]) -> dict[Any, Decimal]:
    """Return ``result`` ordered by key (one sort key per group, not per credit)."""
    orders = [_ORDER.get(f) for f in fields]
    key: Callable[[tuple[Any, Decimal]], Any] | None = None
    if len(fields) == 1:
        one = orders[0]
        if one is not None:
            key = lambda item: one(item[0])  # noqa: E731 - a tiny sort key
    elif any(orders):
        parts = [o or _same for o in orders]
        key = lambda item: tuple(o(v) for o, v in zip(parts, item[0], strict=True))  # noqa: E731
    try:
        if key is None:  # keys are unique: sorting the pairs never compares two totals
            return dict(sorted(result.items()))
        return dict(sorted(result.items(), key=key))
    except TypeError:  # pragma: no cover - unorderable mixed keys keep first-seen order
        return result


# --------------------------------------------------------------------------- totals


def totals_by_codes(self: Credits, fields: tuple[str, ...], used: _I64) -> dict[Any, Decimal]:
    """``Credits.totals`` by fields other than ``share``: a group sum over packed codes
    (``used``: the currency codes of the selection, a single one unless ``currency`` is among
    the fields). A whole run whose credit columns are not made yet is summed from its compact
    form (``_compact.credit_columns``), any other selection from its credit columns."""
    r = self._r
    decoders: list[Callable[[int], Any]] = []
    for f in fields:
        if f == "partner_id":
            decoders.append(r.partners.__getitem__)
        elif f == "kinds":
            decoders.append(mask_kinds)
        else:
            decoders.append(self._row_codes(f)[1].__getitem__)
    found = None
    if self._c is None and not r.expanded:
        found = _compact.credit_columns(r, fields, lambda f: self._row_codes(f)[0])
    codes, minor = found if found is not None else _credit_columns(self, fields)
    sizes = [int(c.max()) + 1 for c in codes]
    width = 1
    for s in sizes:
        width *= s
    if width < 1 << 62:
        key = np.zeros(len(minor), dtype=np.int64)
        for c, s in zip(codes, sizes, strict=True):
            key = key * s + c
        keys, sums = group_sums(key, minor)
        parts = []
        rest = keys
        for s in reversed(sizes):
            parts.append(rest % s)
            rest = rest // s
        parts.reverse()
    else:  # more than 2^62 combinations: codes stacked, then np.unique
        stacked = np.stack(codes, axis=1)
        uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
        keys, sums = group_sums(inverse.ravel().astype(np.int64), minor)
        parts = [uniq[:, i] for i in range(len(codes))]
    decoded = [[dec(int(v)) for v in p.tolist()] for dec, p in zip(decoders, parts, strict=True)]
    cur_pos = fields.index("currency") if "currency" in fields else -1
    exps = dict(zip(r.currencies, r.exponents, strict=True))
    single = r.exponents[int(used[0])] if len(used) else 0
    result: dict[Any, Decimal] = {}
    for i, total in enumerate(sums.tolist()):
        k = tuple(d[i] for d in decoded)
        exp = exps[k[cur_pos]] if cur_pos >= 0 else single
        result[k if len(fields) > 1 else k[0]] = from_minor(total, exp)
    return ordered(result, fields)


def _credit_columns(self: Credits, fields: tuple[str, ...]) -> tuple[list[_I64], npt.NDArray[Any]]:
    """The selected credits' codes on each field, and their minor units."""
    a = self._r.alloc
    rows = self._col(a.c_row, self._c)
    codes: list[_I64] = []
    for f in fields:
        if f == "partner_id":
            codes.append(self._col(a.c_partner, self._c))
        elif f == "kinds":
            codes.append(self._col(a.c_kinds, self._c))
        else:
            codes.append(self._row_codes(f)[0][rows])
    return codes, self._col(a.c_minor, self._c)


def totals_slow(self: Credits, fields: tuple[str, ...]) -> dict[Any, Decimal]:
    """Totals by fields that include ``share`` (a Fraction per credit), in Python."""
    r = self._r
    a = r.alloc
    acc: dict[Any, int] = {}
    exps: dict[Any, int] = {}
    for c in self._cidx.tolist():
        row, p = int(a.c_row[c]), int(a.c_partner[c])
        values: list[Any] = []
        for f in fields:
            if f == "partner_id":
                values.append(a.partners[p])
            elif f == "kinds":
                values.append(mask_kinds(int(a.c_kinds[c])))
            elif f == "share":
                values.append(r.share(row, p))
            else:
                codes, names = self._row_codes(f)
                values.append(names[int(codes[row])])
        k = tuple(values) if len(fields) > 1 else values[0]
        acc[k] = acc.get(k, 0) + int(a.c_minor[c])
        exps[k] = r.exponents[int(r.cur[row])]
    return ordered({k: from_minor(m, exps[k]) for k, m in acc.items()}, fields)


# --------------------------------------------------------------------------- frames


def frame_columns(self: Credits) -> dict[str, Any]:
    """The credit columns as numpy arrays and value lists (no ``Credit`` objects)."""
    r = self._r
    a = r.alloc
    cidx = self._cidx
    rows = a.c_row[cidx]

    def per_row(field: str) -> list[Any]:
        codes, values = self._row_codes(field)
        lut = np.array([*values, None], dtype=object)
        out: list[Any] = lut[codes[rows]].tolist()
        return out

    partners = np.array([*a.partners, ""], dtype=object)
    kinds = a.c_kinds[cidx]
    kind_text = {int(m): kinds_text(int(m)) for m in np.unique(kinds).tolist()}
    return {
        "partner_id": partners[a.c_partner[cidx]].tolist(),
        "subscription_id": per_row("subscription_id"),
        "customer_id": per_row("customer_id"),
        "workload": [w.value for w in per_row("workload")],
        "month": per_row("month"),
        "service": per_row("service"),
        "currency": per_row("currency"),
        "minor": a.c_minor[cidx],
        "exponent": np.array([*r.exponents, 0], dtype=np.int64)[r.cur[rows]]
        if len(rows)
        else np.zeros(0, dtype=np.int64),
        "kinds": [kind_text[int(m)] for m in kinds.tolist()],
        "share": [
            r.share(int(row), int(p))
            for row, p in zip(rows.tolist(), a.c_partner[cidx].tolist(), strict=True)
        ],
    }


def to_pandas(self: Credits, *, numeric: bool) -> pd.DataFrame:
    """``Credits.to_pandas``."""
    pandas = require("pandas", "pandas", "Credits.to_pandas")
    cols = frame_columns(self)
    minor, exps = cols.pop("minor"), cols.pop("exponent")
    if numeric:
        cols["amount"] = [int(m) / 10 ** int(e) for m, e in zip(minor, exps, strict=True)]
        cols["share"] = [float(s) for s in cols["share"]]
    else:
        cols["amount"] = [
            from_minor(int(m), int(e)) for m, e in zip(minor.tolist(), exps.tolist(), strict=True)
        ]
    order = ["partner_id", "subscription_id", "customer_id", "workload", "month"]
    order += ["service", "currency", "amount", "kinds", "share"]
    frame: pd.DataFrame = pandas.DataFrame({k: cols[k] for k in order}, columns=order)
    frame["service"] = pandas.Series(cols["service"], dtype=object)  # keep None, not NaN
    if numeric:
        frame["amount"] = frame["amount"].astype("float64")
        frame["month"] = pandas.PeriodIndex(
            [pandas.Period(m, freq="M") for m in cols["month"]], freq="M"
        )
    return frame


def to_arrow(self: Credits) -> Any:
    """``Credits.to_arrow``."""
    pa: Any = require("pyarrow", "arrow", "Credits.to_arrow")  # untyped: used as Any
    cols = frame_columns(self)
    minor, exps = cols.pop("minor"), cols.pop("exponent")
    scale = int(exps.max()) if len(exps) else 2
    amounts = [
        from_minor(int(m), int(e)) for m, e in zip(minor.tolist(), exps.tolist(), strict=True)
    ]
    return pa.table(
        {
            "partner_id": pa.array(cols["partner_id"], pa.string()),
            "subscription_id": pa.array(cols["subscription_id"], pa.string()),
            "customer_id": pa.array(cols["customer_id"], pa.string()),
            "workload": pa.array(cols["workload"], pa.string()),
            "month": pa.array(cols["month"], pa.date32()),
            "service": pa.array(cols["service"], pa.string()),
            "currency": pa.array(cols["currency"], pa.string()),
            "amount": pa.array(amounts, pa.decimal128(38, scale)),
            "amount_minor": pa.array([int(m) for m in minor.tolist()], pa.int64()),
            "kinds": pa.array(cols["kinds"], pa.string()),
            "share": pa.array([str(s) for s in cols["share"]], pa.string()),
        }
    )


def kinds_text(mask: int) -> str:
    return ",".join(sorted(k.value for k in mask_kinds(mask)))
