"""Rounding the exact weights into credits, vectorised over the rows (internal).

``allocate`` rounds every row's amount (integer minor units) over its weights
(``_kernel.Weights``): half to even per (row, partner) for recognising policies, largest
remainder (ties to the lowest partner id, the unattributed part last; one ``np.sort`` of packed
keys) for split policies. Rows whose products could leave int64 are computed with Python
integers by the readable ``round_half_even`` and ``largest_remainder``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.attribution._kernel import I64, SAFE, expand
from partner_of_record.attribution._weights import Weights
from partner_of_record.model import PartnerId

__all__: list[str] = []  # internal module


def round_half_even(numerator: int, denominator: int) -> int:
    """Return ``numerator / denominator`` rounded half to even (``denominator > 0``)."""
    q, r = divmod(numerator, denominator)
    r2 = 2 * r
    if r2 > denominator or (r2 == denominator and q & 1):
        q += 1
    return q


def largest_remainder(amount: int, numerators: Sequence[int], denominator: int) -> list[int]:
    """Allocate ``amount`` minor units in proportion to ``numerators / denominator``.

    The numerators sum to the denominator, so the parts sum to ``amount``. Each part is first
    rounded towards zero; the units left over go one each to the largest remainders, equal
    remainders served in the order of ``numerators``. A negative amount is allocated as its
    absolute value and negated.
    """
    sign = -1 if amount < 0 else 1
    a = amount * sign
    parts: list[int] = []
    rems: list[tuple[int, int]] = []
    for i, n in enumerate(numerators):
        q, r = divmod(a * n, denominator)
        parts.append(q)
        rems.append((-r, i))
    left = a - sum(parts)
    if left:
        rems.sort()
        for _, i in rems[:left]:
            parts[i] += 1
    return [-p for p in parts] if sign < 0 else parts


# --------------------------------------------------------------------------- allocation


@attrs.frozen
class Allocation:
    """Credit and unattributed columns, in row order (partners of a row by id).

    ``c_partner`` indexes ``partners`` (sorted ids); ``c_minor``/``u_minor`` are int64 arrays,
    or object arrays of Python integers when an amount needed the exact path.
    """

    c_row: I64
    c_partner: I64
    c_kinds: I64
    c_minor: npt.NDArray[Any]
    u_row: I64
    u_minor: npt.NDArray[Any]
    partners: tuple[PartnerId, ...]


def _rhe(x: I64, d: I64) -> I64:
    """Vectorised ``round_half_even(x, d)`` for ``d > 0``."""
    q = np.floor_divide(x, d)
    r2 = 2 * (x - q * d)
    out: I64 = q + ((r2 > d) | ((r2 == d) & ((q & 1) == 1)))
    return out


def _fractions_of(a: I64, num: I64, den: I64, *, sift: bool) -> I64:
    """``_rhe(a x num, den)`` of each entry; with ``sift``, the amount itself or 0 for a
    fraction of 1 or 0 (most entries of a whole run under a recognising policy), rounded only
    for the others."""
    if not sift:
        return _rhe(a * num, den)
    out: I64 = np.where(num != 0, a, 0)
    part = np.flatnonzero((num != den) & (num != 0))
    if len(part):
        out[part] = _rhe(a[part] * num[part], den[part])
    return out


def allocate(
    w: Weights, minor: I64, big: dict[int, int], *, split: bool, sift: bool = True
) -> Allocation:
    """Round every row's amount over its weights (see the module documentation); ``sift``:
    round only the credits whose fraction is neither 0 nor 1 (not worth it for rows that are
    nearly all cut, as ``_compact`` leaves)."""
    n = len(w.den)
    e_row = w.e_row
    cnt = np.bincount(e_row, minlength=n).astype(np.int64)
    row_first = np.cumsum(cnt) - cnt
    has_un = np.asarray(w.unatt != 0, dtype=bool)
    # rows computed with Python integers: huge amounts, or products that could overflow
    wide = w.den.dtype == object
    exact = np.full(n, wide, dtype=bool)
    if wide:
        e_num = np.zeros(len(e_row), dtype=np.int64)
        den_r = np.ones(n, dtype=np.int64)
        un_r = np.zeros(n, dtype=np.int64)
    else:
        e_num, den_r, un_r = w.e_num, w.den, w.unatt
        # per row only when the largest amount and denominator could overflow together
        if n and int(np.abs(minor).max()) >= SAFE // int(den_r.max()):
            exact |= np.abs(minor) >= SAFE // den_r
    if big:
        exact[list(big)] = True
    a = np.where(exact, 0, minor) if exact.any() else minor
    u_row = np.flatnonzero(has_un)
    if split:
        sign = np.where(a < 0, -1, 1)
        mag = a * sign
        x = mag[e_row] * e_num
        q = x // den_r[e_row]
        r = x - q * den_r[e_row]
        xu = mag * un_r
        qu = xu // den_r
        ru = xu - qu * den_r
        # each row's sum of floors, from a running sum (exact: int64 wraps, differences do not)
        running = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(q)])
        left = mag - qu - (running[row_first + cnt] - running[row_first])
        need = np.flatnonzero(left > 0)
        if need.size:
            q, qu = _hand_out(need, left, row_first, cnt, r, ru, den_r, has_un, q, qu)
        u_minor: npt.NDArray[Any] = (qu * sign)[u_row]
        c_minor = q * sign[e_row]
    else:  # each credit and unattributed part rounded on its own
        c_minor = _fractions_of(a[e_row], e_num, den_r[e_row], sift=sift)
        u_minor = _fractions_of(a[u_row], un_r[u_row], den_r[u_row], sift=sift)
    c_out: npt.NDArray[Any] = c_minor
    if exact.any():
        c_out, u_row, u_minor = _exact_rows(
            exact, w, minor, big, row_first, cnt, c_out, u_row, u_minor, split=split
        )
    return Allocation(e_row, w.e_partner, w.e_mask, c_out, u_row, u_minor, w.partners)


def _hand_out(
    need: I64,
    left: I64,
    row_first: I64,
    cnt: I64,
    r: I64,
    ru: I64,
    den: I64,
    has_un: npt.NDArray[np.bool_],
    q: I64,
    qu: I64,
) -> tuple[I64, I64]:
    """Give the left-over units of rows ``need`` to their largest remainders.

    The candidates are ordered by row, remainder (largest first), then place in the row (its
    partners by id, then the unattributed part). With a few candidates per row (all the
    built-in split policies' rows but the crowded ones), a candidate's rank is the number of
    candidates of its row that come before it, counted with one comparison per distance
    between places; otherwise the candidates are sorted (one ``np.sort`` of packed integer keys
    when they fit in 62 bits, else a ``lexsort``).
    """
    q = q.copy()
    qu = qu.copy()
    k = cnt[need]
    m = k + has_un[need]  # candidates per row
    if int(m.max(initial=0)) <= _FEW:
        rows, places = _winners_by_counting(need, left, row_first, k, m, r, ru)
    else:
        rows, places = _winners_by_sorting(need, left, row_first, k, r, ru, den, has_un)
    unatt = places == cnt[rows]
    q[row_first[rows[~unatt]] + places[~unatt]] += 1
    qu[rows[unatt]] += 1
    return q, qu


_FEW = 8
"""Up to this many candidates per row, ranks are counted rather than sorted."""


def _winners_by_counting(
    need: I64, left: I64, row_first: I64, k: I64, m: I64, r: I64, ru: I64
) -> tuple[I64, I64]:
    """The rows and places of the candidates that get a unit: rank by pairwise comparison."""
    i_c, place = expand(m)  # each candidate's row (position in ``need``) and place
    row = need[i_c]
    entry = place < k[i_c]
    rems = ru[row]
    rems[entry] = r[row_first[row[entry]] + place[entry]]
    rank = np.zeros(len(place), dtype=np.int64)
    ahead = m[i_c] - place  # candidates from this one to the row's end
    for d in range(1, int(m.max(initial=0))):
        same = ahead[:-d] > d  # candidates p and p + d are of one row
        rank[:-d] += same & (rems[d:] > rems[:-d])  # a later place needs a larger remainder
        rank[d:] += same & (rems[:-d] >= rems[d:])  # an earlier place wins ties
    win = rank < left[row]
    return row[win], place[win]


def _winners_by_sorting(
    need: I64,
    left: I64,
    row_first: I64,
    k: I64,
    r: I64,
    ru: I64,
    den: I64,
    has_un: npt.NDArray[np.bool_],
) -> tuple[I64, I64]:
    """The rows and places of the candidates that get a unit: rank by sorting."""
    i_ent, o_ent = expand(k)
    ent = row_first[need][i_ent] + o_ent
    with_un = np.flatnonzero(has_un[need])
    i_all = np.concatenate([i_ent, with_un])  # position in ``need``
    rems = np.concatenate([r[ent], ru[need[with_un]]])
    place = np.concatenate([o_ent, k[with_un]])
    room = int(den[need].max()) if len(need) else 1
    b_place = int(k.max(initial=0) + 1).bit_length()
    b_rem = room.bit_length()
    if len(need).bit_length() + b_rem + b_place <= 62:
        packed = np.sort((i_all << (b_rem + b_place)) | ((room - 1 - rems) << b_place) | place)
        i_s = packed >> (b_rem + b_place)
        place_s = packed & ((1 << b_place) - 1)
    else:  # pragma: no cover - denominators beyond 2**40 with a million rows
        idx = np.lexsort((place, -rems, i_all))
        i_s, place_s = i_all[idx], place[idx]
    rank = np.arange(len(i_s)) - np.searchsorted(i_s, np.arange(len(need)))[i_s]
    win = rank < left[need][i_s]
    return need[i_s[win]], place_s[win]


def _exact_rows(
    exact: npt.NDArray[np.bool_],
    w: Weights,
    minor: I64,
    big: dict[int, int],
    row_first: I64,
    cnt: I64,
    c_minor: npt.NDArray[Any],
    u_row: I64,
    u_minor: npt.NDArray[Any],
    *,
    split: bool,
) -> tuple[npt.NDArray[Any], I64, npt.NDArray[Any]]:
    """Recompute the rows flagged ``exact`` with Python integers (the readable path)."""
    c_out = c_minor.astype(object)
    u_by_row: dict[int, Any] = dict(zip(u_row.tolist(), u_minor.tolist(), strict=True))
    for row in np.flatnonzero(exact).tolist():
        s, c = int(row_first[row]), int(cnt[row])
        numerators = [int(x) for x in w.e_num[s : s + c].tolist()]
        den, rest_num = int(w.den[row]), int(w.unatt[row])
        amount = big.get(row, int(minor[row]))
        if split:
            parts = largest_remainder(amount, [*numerators, *([rest_num] if rest_num else [])], den)
            credits, rest = parts[:c], (parts[-1] if rest_num else None)
        else:
            credits = [round_half_even(amount * m, den) for m in numerators]
            rest = round_half_even(amount * rest_num, den) if rest_num else None
        c_out[s : s + c] = credits
        if rest is not None:
            u_by_row[row] = rest
    rows = sorted(u_by_row)
    u_out = np.empty(len(rows), dtype=object)
    u_out[:] = [u_by_row[r] for r in rows]
    return c_out, np.array(rows, dtype=np.int64), u_out
