"""Integer codes of repeated values, the one home of the coding the columnar paths share.

``value_codes`` turns a list of values (enum members, ids, dates) into an integer code per
value and the distinct values by code; the ledger's association index (``ledger._links``), the
attribution engine's facts and Spark's typed columns code their fields with it. It depends on
numpy only, so every layer may import it (internal).
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np
import numpy.typing as npt

__all__: list[str] = []  # internal module

I64 = npt.NDArray[np.int64]


def value_codes(values: list[Any], *, ordered: bool) -> tuple[I64, list[Any]]:
    """Code equal values alike: each value's code and the distinct values by code.

    The values are first told apart by identity (one ``argsort`` of their ``id``s: values
    such as enum members, shared dates and strings are few distinct objects), then the distinct
    objects by equality, so only those are hashed. Codes follow the values' order when
    ``ordered`` (``None`` first, enum members by value), else their first appearance.
    """
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), []
    ids = np.fromiter(map(id, values), dtype=np.int64, count=n)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    heads = np.concatenate([[True], ids[1:] != ids[:-1]])
    first = order[heads]  # each distinct object's first place
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(heads) - 1
    by_appearance = np.argsort(first, kind="stable")
    objects = [values[i] for i in first[by_appearance].tolist()]
    code: dict[Any, int] = {}
    if ordered:
        distinct = sorted(set(objects), key=_orderable)
        code = {v: i for i, v in enumerate(distinct)}
    else:
        for v in objects:
            code.setdefault(v, len(code))
        distinct = list(code)
    of_object = np.empty(len(objects), dtype=np.int64)
    of_object[by_appearance] = np.fromiter(map(code.__getitem__, objects), np.int64, len(objects))
    return of_object[inverse], distinct


def _orderable(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    return (1, value.value) if isinstance(value, enum.Enum) else (1, value)
