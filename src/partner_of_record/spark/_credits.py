"""The credit rows of a bucket, straight from the engine's columns.

Row fields are taken from the usage table's codes (``take`` over the distinct subscriptions,
months, services and currencies), kinds from the distinct kind masks, amounts from the integer
minor units scaled to ``AMOUNT_SCALE`` decimals and written as ``decimal128`` words: no
``Credit``, ``Unattributed`` or ``Decimal`` object per row.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import OFFER_CODE, OFFERS
from partner_of_record.attribution import Credits
from partner_of_record.spark._common import AMOUNT_SCALE, CREDIT_COLUMNS, arrow, arrow_schema

__all__ = ["amounts", "credit_table"]

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
    pa = arrow()
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
        "amount": amounts(minor, exponents),
        "kinds": kinds,
        "policy": pa.repeat(pa.scalar(policy_name, pa.string()), n_c + n_u),
        "offer": coded(offer_values, offer),
    }
    return pa.table(columns, schema=arrow_schema(CREDIT_COLUMNS))


def amounts(minor: npt.NDArray[Any], exponents: npt.NDArray[np.int64]) -> Any:
    """Integer minor units (of exponents ``exponents``) as ``decimal128(38, AMOUNT_SCALE)``."""
    pa = arrow()
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
