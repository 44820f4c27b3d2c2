"""Exact sums of minor units, and minor units to ``Decimal`` (internal).

The engine holds money as integers of a currency's minor unit, summed as int64 only when the
sum cannot overflow (else as Python integers); it becomes a ``Decimal`` only when read, scaled
by a power of ten in a context wide enough never to round. Python's default context keeps 28
significant digits, fewer than the largest allowed amounts have.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

__all__: list[str] = []  # internal module

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""A context in which scaling an integer by a power of ten is exact."""


def from_minor(minor: int, exponent: int) -> Decimal:
    """``minor`` minor units of a currency with ``exponent`` decimals, exactly."""
    return Decimal(int(minor)).scaleb(-exponent, EXACT)


def summable(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``values``, as Python integers when an int64 sum of them could overflow."""
    if values.dtype == object or not len(values):
        return values
    if max(int(values.max()), -int(values.min())) * len(values) >= 1 << 63:
        return values.astype(object)
    return values


def exact_sum(values: npt.NDArray[Any]) -> int:
    """The exact sum of integer values."""
    values = summable(values)
    if values.dtype == object:
        return int(sum(values.tolist()))
    return int(values.sum())


def group_sums(
    key: npt.NDArray[np.int64], values: npt.NDArray[Any]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[Any]]:
    """The distinct keys, ascending, and the exact sum of ``values`` per key."""
    values = summable(values)
    if not len(key):
        return key, values[:0]
    top = int(key.max())
    if int(key.min()) >= 0 and top < 4 * len(key) + 1024:  # dense codes: scatter-add
        sums = np.zeros(top + 1, dtype=values.dtype)
        seen = np.zeros(top + 1, dtype=bool)
        np.add.at(sums, key, values)
        seen[key] = True
        found = np.flatnonzero(seen)
        return found.astype(np.int64), sums[found]
    order = np.argsort(key)
    ks = key[order]
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    return ks[starts], np.add.reduceat(values[order], starts)
