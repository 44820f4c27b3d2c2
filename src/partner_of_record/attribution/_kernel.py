"""The attribution kernel: usage columns and association arrays in, exact weights out (internal).

Everything here works on plain arrays (no ``Ledger``). Asking the policy and the per-row path
live in ``_decide``, rounding the weights into credits in ``_rounding``.

1. **Change points** (``timelines``). Each subscription's association starts and ends, packed
   as ``subscription << DAY_BITS | day`` and sorted once (``distinct``). Segment ``g`` runs
   from change point ``g`` to the next change point of the same subscription (open-ended after
   its last one); an association covers the segments from its start's change point to its
   end's (``searchsorted``, then ``repeat``).
2. **Rows to segments** (``spans``). Each row's packed ``subscription, month`` key is located
   among the change points by binary search: the segment in effect on the month's first day,
   and whether the next change point falls inside the month. Such a *cut* month is split into
   spans of days at its change points, as arrays. ``units`` then groups the rows by what their
   weights depend on: the segment of a month inside one, the ``(subscription, month)`` of a cut
   month. Both depend on the usage table and the associations only, so the engine keeps them.
3. **Decisions** (``row_keys``, ``ask_keys``). The policy is asked through its public
   ``decide``/``shares`` once per decision key met: per distinct *shape* of the set of
   associations in effect when the policy declares ``decision_fields`` and ``decision_ranks``
   (the answer's partners are carried to the other sets of that shape by rank), per distinct
   set with ``decision_fields`` only, else per segment.
4. **Weights** (``weigh``). Each unit's exact fraction per partner, integer numerators over one
   denominator: a month inside one segment takes its segment's awards over the common scale
   ``L`` of all the answers' denominators; a cut month takes ``sum(days x numerator)`` over
   ``month days x L``, summed per partner with one ``argsort`` and ``reduceat`` over its spans
   (``UnitWeights``). All of it as int64 arrays (object arrays of Python integers if ``L`` is
   huge). Rows take their unit's entries (one ``repeat`` and a gather per column,
   ``UnitWeights.rows``) only when per-row credits are needed: sums over a whole run read the
   units whose rows need no rounding of their own per unit (``_compact``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from math import lcm
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.attribution._weights import UnitWeights
from partner_of_record.model import PartnerId

__all__: list[str] = []  # internal module

I64 = npt.NDArray[np.int64]
DAY_BITS = 22
"""Day ordinals (``date.max`` is 3,652,059) fit in 22 bits."""
DAY_MASK = (1 << DAY_BITS) - 1
"""The day of a packed change point."""
_EPOCH = dt.date(1970, 1, 1).toordinal()
SAFE = 1 << 62
"""Products of an amount and a numerator below this bound cannot overflow int64."""

Awards = tuple[tuple[PartnerId, int, int, int], ...]
"""A span's awards: ``(partner id, kinds mask, numerator, denominator)`` per partner, by id."""


# --------------------------------------------------------------------------- the timelines


@attrs.frozen
class Timelines:
    """Change points and segments of some subscriptions (see the module documentation).

    Attributes:
        points: sorted packed change points ``sub << DAY_BITS | day``.
        seg_off: the associations in effect in segment ``g`` are
            ``assoc[seg_off[g]:seg_off[g + 1]]`` (indices into the association list, in its
            order).
        assoc: see ``seg_off``.
    """

    points: I64
    seg_off: I64
    assoc: I64


def timelines(sub: I64, start: I64, end: I64) -> Timelines:
    """Build the timelines of associations given as arrays (``end`` -1 when open).

    The associations must be grouped by subscription code and, within one, in the order the
    policy is to see them.
    """
    starts = (sub << DAY_BITS) | start
    closed = end >= 0
    points = distinct(np.concatenate([starts, ((sub << DAY_BITS) | end)[closed]]))
    lo = np.searchsorted(points, starts)
    last = (sub << DAY_BITS) | DAY_MASK
    hi = np.searchsorted(points, np.where(closed, (sub << DAY_BITS) | end, last))
    counts = hi - lo
    total = int(counts.sum())
    idx = np.arange(len(sub), dtype=np.int64)
    owner = np.repeat(idx, counts)
    first = np.repeat(lo - np.cumsum(counts) + counts, counts)
    seg = first + np.arange(total, dtype=np.int64)
    n = max(len(sub), 1)
    packed = np.sort(seg * n + owner)
    seg_sorted = packed // n
    seg_off = np.searchsorted(seg_sorted, np.arange(len(points) + 1, dtype=np.int64))
    return Timelines(points, seg_off.astype(np.int64), packed % n)


def distinct(values: I64) -> I64:
    """The distinct values, ascending (one ``np.sort``; ``np.unique`` hashes first)."""
    s = np.sort(values)
    if len(s) < 2:
        return s
    out: I64 = s[np.concatenate([[True], s[1:] != s[:-1]])]
    return out


def month_ends(month: I64) -> I64:
    """The day ordinal of the first day of the next month, for month ordinals (computed once
    per day of the months' range, then looked up)."""
    if len(month) > 4096:
        lo, hi = int(month.min()), int(month.max())
        if hi - lo < len(month):
            table = month_ends(np.arange(lo, hi + 1, dtype=np.int64))
            found: I64 = table[month - lo]
            return found
    days = (month - _EPOCH).astype("datetime64[D]")
    nxt = (days.astype("datetime64[M]") + 1).astype("datetime64[D]")
    out: I64 = nxt.astype(np.int64) + _EPOCH
    return out


# --------------------------------------------------------------------------- weights


def expand(counts: I64) -> tuple[I64, I64]:
    """For counts ``c``: the owner ``i`` and the index ``0 <= j < c[i]`` of each of the
    ``sum(c)`` items, in owner order."""
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, within


def segment_partners(tl: Timelines, a_partner: I64, n_partners: int) -> tuple[I64, I64]:
    """The distinct partner codes of each segment, ascending: segment ``g``'s are
    ``codes[off[g]:off[g + 1]]`` (``a_partner``: each association's partner code, the codes
    in partner-id order)."""
    sizes = np.diff(tl.seg_off)
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    packed = np.sort(owner * max(n_partners, 1) + a_partner[tl.assoc])
    if len(packed):
        packed = packed[np.concatenate([[True], packed[1:] != packed[:-1]])]
    seg = packed // max(n_partners, 1)
    off = np.searchsorted(seg, np.arange(len(sizes) + 1, dtype=np.int64)).astype(np.int64)
    return packed % max(n_partners, 1), off


@attrs.frozen
class Spans:
    """Usage rows located on the timelines.

    Attributes:
        whole: the rows whose month lies inside one segment (ascending), and ``w_seg`` that
            segment (-1: before the subscription's first change point).
        w_seg: see ``whole``.
        cut: the rows whose month a change point cuts (ascending); ``n_spans`` their number of
            spans.
        n_spans: see ``cut``.
        row: each span's row (spans of a row in day order), ``seg`` its segment, ``lo`` and
            ``hi`` its first day and end day.
        seg: see ``row``.
        lo: see ``row``.
        hi: see ``row``.
        month: every row's month (first day) and ``ends`` the next month's first day.
        ends: see ``month``.
    """

    whole: I64
    w_seg: I64
    cut: I64
    n_spans: I64
    row: I64
    seg: I64
    lo: I64
    hi: I64
    month: I64
    ends: I64


def spans(tl: Timelines, sub: I64, month: I64) -> Spans:
    """Locate each row's month among the sorted change points (binary search), and cut the
    months a change point falls in into spans."""
    n = len(sub)
    points = tl.points
    ends = month_ends(month)
    if not len(points):
        none = np.zeros(0, dtype=np.int64)
        whole, seg = np.arange(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
        return Spans(whole, seg, none, none, none, none, none, none, month, ends)
    keys = (sub << DAY_BITS) | month
    pos = _last_at_or_before(points, sub, keys)
    own = (pos >= 0) & ((points[np.maximum(pos, 0)] >> DAY_BITS) == sub)
    seg0 = np.where(own, pos, -1)
    nxt = points[np.minimum(pos + 1, len(points) - 1)]
    # the next change point is the same subscription's and before the month's end
    cut_mask = (pos + 1 < len(points)) & (nxt < keys - month + ends) & ((nxt >> DAY_BITS) == sub)
    cut = np.flatnonzero(cut_mask)
    if not cut.size:
        whole = np.arange(n, dtype=np.int64)
        return Spans(whole, seg0, cut, cut, cut, cut, cut, cut, month, ends)
    whole = np.flatnonzero(~cut_mask)
    n_sp = np.searchsorted(points, (sub[cut] << DAY_BITS) | ends[cut], side="left") - pos[cut]
    owner, j = expand(n_sp)
    row = cut[owner]
    raw = pos[row] + j
    first, last = j == 0, j == n_sp[owner] - 1
    return Spans(
        whole,
        seg0[whole],
        cut,
        n_sp,
        row,
        np.where(first, seg0[row], raw),
        np.where(first, month[row], points[np.maximum(raw, 0)] & DAY_MASK),
        np.where(last, ends[row], points[np.minimum(raw + 1, len(points) - 1)] & DAY_MASK),
        month,
        ends,
    )


def _last_at_or_before(points: I64, sub: I64, keys: I64) -> I64:
    """The index of the last change point ``<= keys`` (-1 if none).

    A binary search (``searchsorted``) when the keys are sorted; otherwise, when each
    subscription has at most a few change points, a count of its change points at or before
    the key, one vectorised pass per change point (random keys make a binary search's probes
    miss the cache; a subscription's few change points are found through one lookup of its
    first one).
    """
    most = 9
    if len(keys) >= 4096 and not bool(np.all(keys[1:] >= keys[:-1])):
        first = np.searchsorted(points, np.arange(int(sub.max()) + 2, dtype=np.int64) << DAY_BITS)
        most = int(np.diff(first).max(initial=0))
    if most > 8:
        found: I64 = np.searchsorted(points, keys, side="right") - 1
        return found
    lo = first[sub]
    width = first[sub + 1] - lo
    pos = lo - 1
    last = len(points) - 1
    for k in range(most):
        pos += (k < width) & (points[np.minimum(lo + k, last)] <= keys)
    return pos


@attrs.frozen
class Answers:
    """The policy's answer for each decision key, as flat arrays over a common scale.

    Key ``k``'s awards are entries ``offset[k]`` to ``offset[k] + count[k]``: the partner's
    rank among its segment's partners, the kinds mask and the share as ``num / scale``;
    ``total[k]`` is the sum of its numerators. ``num`` and ``total`` are object arrays of
    Python integers when the scale does not fit comfortably in an int64.
    """

    count: I64
    offset: I64
    rank: I64
    mask: I64
    num: npt.NDArray[Any]
    total: npt.NDArray[Any]
    scale: int

    def entries(
        self, keys: I64, segs: I64, seg_partners: tuple[I64, I64]
    ) -> tuple[I64, I64, I64, I64]:
        """The awards of spans with decision ``keys`` in segments ``segs``: each entry's span,
        its index into the awards, its place among the span's awards, and its partner code."""
        codes, off = seg_partners
        owner, within = expand(self.count[keys])
        idx = self.offset[keys][owner] + within
        return owner, idx, within, codes[off[segs[owner]] + self.rank[idx]]


@attrs.frozen
class RowKeys:
    """The decision keys the rows meet (policy-independent for given keys, so kept per ledger).

    Attributes:
        w_key: the key of each month inside one segment (``Spans.whole`` order).
        s_key: the key of each span of a cut month (``Spans.row`` order).
        first: where each key met is first met: ``(segment, row, first day, end day)``, a
            month inside one segment preferred to a span.
        n_keys: one more than the largest key.
    """

    w_key: I64
    s_key: I64
    first: dict[int, tuple[int, int, int, int]]
    n_keys: int


def row_keys(sp: Spans, seg_key: I64) -> RowKeys:
    """The decision key of each row and span (``seg_key[g]``: segment ``g``'s key; 0, that of
    the days before a subscription's first change point, when nobody is in effect)."""
    keyx = np.concatenate([np.zeros(1, dtype=np.int64), seg_key])
    n_keys = int(keyx.max()) + 1
    w_key, s_key = keyx[sp.w_seg + 1], keyx[sp.seg + 1]
    first: dict[int, tuple[int, int, int, int]] = {}
    whole = len(sp.whole) == len(sp.month)
    w_month = sp.month if whole else sp.month[sp.whole]
    w_end = sp.ends if whole else sp.ends[sp.whole]
    for keys, segs, rows, lo, hi in (
        (s_key, sp.seg, sp.row, sp.lo, sp.hi),
        (w_key, sp.w_seg, sp.whole, w_month, w_end),
    ):
        at = np.full(n_keys, -1, dtype=np.int64)
        at[keys[::-1]] = np.arange(len(keys) - 1, -1, -1, dtype=np.int64)
        met = np.flatnonzero(at >= 0)
        for key, i in zip(met.tolist(), at[met].tolist(), strict=True):
            first[key] = (int(segs[i]), int(rows[i]), int(lo[i]), int(hi[i]))
    return RowKeys(w_key, s_key, first, n_keys)


def ask_keys(
    rk: RowKeys,
    seg_partners: tuple[I64, I64],
    names: tuple[PartnerId, ...],
    ask: Ask,
) -> Answers:
    """Ask once per decision key met, with the first month met inside one segment of that key,
    else the first span; the answer's partners are kept as ranks among the segment's
    partners."""
    codes, off = seg_partners
    n_keys, first = rk.n_keys, rk.first
    code = {p: i for i, p in enumerate(names)}
    answers: dict[int, tuple[Awards, list[int]]] = {}
    scale = 1
    for key, (g, row, lo_day, hi_day) in sorted(first.items()):
        found = ask(g, row, dt.date.fromordinal(lo_day), dt.date.fromordinal(hi_day))
        mine = codes[off[g] : off[g + 1]].tolist() if g >= 0 else []
        answers[key] = (found, [mine.index(code[p]) for p, *_ in found])
        for *_, d in found:
            scale = lcm(scale, d)
    kind: Any = object if 31 * scale >= SAFE else np.int64
    count = np.zeros(n_keys, dtype=np.int64)
    total = np.zeros(n_keys, dtype=kind)
    rank: list[int] = []
    mask: list[int] = []
    num: list[int] = []
    for key, (found, ranks) in answers.items():
        parts = [n * (scale // d) for _, _, n, d in found]
        count[key], total[key] = len(found), sum(parts)
        rank.extend(ranks)
        mask.extend(m for _, m, _, _ in found)
        num.extend(parts)
    offset = np.zeros(n_keys, dtype=np.int64)
    met = np.array(list(answers), dtype=np.int64)
    offset[met] = np.cumsum(count[met]) - count[met]
    return Answers(
        count,
        offset,
        np.array(rank, dtype=np.int64),
        np.array(mask, dtype=np.int64),
        column(num, kind),
        total,
        scale,
    )


@attrs.frozen
class Units:
    """Rows grouped by what their weights depend on (policy-independent: kept per ledger).

    A month inside segment ``g`` is weighed as unit ``g + 1`` (unit 0: before its
    subscription's first change point, nobody in effect), whatever its row; a month cut by
    change points as one unit per distinct ``(subscription, month)``, units ``n_whole`` on.

    Attributes:
        unit: each row's unit.
        n_whole: the number of units of months inside one segment (segments + 1).
        used: whether some row is of each unit.
        month_days: each cut unit's number of days in its month.
        n_spans: each cut unit's number of spans.
        span_seg: each span of the cut units (units ascending, spans in day order): its
            segment (-1: nobody in effect), and ``span_days`` its number of days.
        span_days: see ``span_seg``.
    """

    unit: I64
    n_whole: int
    used: npt.NDArray[np.bool_]
    month_days: I64
    n_spans: I64
    span_seg: I64
    span_days: I64


def units(sp: Spans, sub: I64, n_segments: int) -> Units:
    """Group the located rows into units (see ``Units``): the cut months by their packed
    ``subscription, month`` key (one ``np.sort``), each weighed by the spans of its first
    row."""
    n_whole = n_segments + 1
    unit = np.empty(len(sp.month), dtype=np.int64)
    unit[sp.whole] = sp.w_seg + 1
    keys = (sub[sp.cut] << DAY_BITS) | sp.month[sp.cut]
    groups = distinct(keys)
    of_cut = np.searchsorted(groups, keys)
    unit[sp.cut] = n_whole + of_cut
    first = np.empty(len(groups), dtype=np.int64)  # each group's first cut row
    first[of_cut[::-1]] = np.arange(len(keys) - 1, -1, -1, dtype=np.int64)
    n_spans = sp.n_spans[first]
    owner, within = expand(n_spans)
    span = (np.cumsum(sp.n_spans) - sp.n_spans)[first][owner] + within
    used = np.zeros(n_whole + len(groups), dtype=bool)
    used[unit] = True
    rows = sp.cut[first]
    return Units(
        unit,
        n_whole,
        used,
        sp.ends[rows] - sp.month[rows],
        n_spans,
        sp.seg[span],
        sp.hi[span] - sp.lo[span],
    )


def weigh(
    rk: RowKeys,
    un: Units,
    seg_key: I64,
    seg_partners: tuple[I64, I64],
    names: tuple[PartnerId, ...],
    ask: Ask,
    *,
    split: bool,
) -> UnitWeights:
    """Each unit's weights for a usage-independent policy, asking ``ask`` once per key.

    ``rk`` holds the decision key each row and span meets (``row_keys``; ``seg_key[g]``:
    segment ``g``'s): segments with equal keys get one question, and its answer's partners are
    carried to the others by their rank among the segment's partners (``seg_partners``;
    ``names``: the partner ids of the codes). Each unit of rows (``Units``) is weighed once: a
    month inside one segment takes that segment's awards over the common scale ``L`` of all
    answers; a month cut by change points is weighed span by span, ``days x numerator`` over
    ``month days x L``, summed per partner. A segment no row's month lies in gets no award.
    The rows take their unit's weights only when something needs them (``UnitWeights.rows``).
    """
    ans = ask_keys(rk, seg_partners, names, ask)
    scale, kind = ans.scale, ans.num.dtype

    # units of months inside one segment: the segment's awards over the scale, for the
    # segments some row's month lies in (the others keep no award: no row reads them)
    w_key = np.concatenate([np.zeros(1, dtype=np.int64), seg_key])
    w_count = ans.count[w_key]
    read = np.flatnonzero(un.used[: un.n_whole])
    _, w_idx, _, w_partner = ans.entries(w_key[read], read - 1, seg_partners)
    if split:
        w_unatt = scale - ans.total[w_key]
    else:  # nobody credited: the whole month is unattributed
        w_unatt = np.zeros(un.n_whole, dtype=kind)
        w_unatt[w_count == 0] = scale
    u_den = [np.full(un.n_whole, scale, dtype=kind)]
    u_unatt = [w_unatt]
    u_uncovered = [np.full(un.n_whole, -1, dtype=np.int64)]
    u_count = [np.where(un.used[: un.n_whole], w_count, 0)]
    u_partner, u_mask, u_num = [w_partner], [ans.mask[w_idx]], [ans.num[w_idx]]

    # units of months cut by change points: days x numerator per span, summed per partner
    if len(un.month_days):
        s_key = w_key[un.span_seg + 1]
        s_owner, s_idx, _, s_partner = ans.entries(s_key, un.span_seg, seg_partners)
        span_unit = np.repeat(np.arange(len(un.n_spans), dtype=np.int64), un.n_spans)
        c_unit, c_partner, c_mask, c_num = _sum_spans(
            span_unit[s_owner], s_partner, ans.mask[s_idx], un.span_days[s_owner] * ans.num[s_idx]
        )
        c_count = np.bincount(c_unit, minlength=len(un.n_spans)).astype(np.int64)
        den = un.month_days.astype(kind) * scale
        gaps = np.add.reduceat(
            np.where(ans.count[s_key], 0, un.span_days), np.cumsum(un.n_spans) - un.n_spans
        )
        if split:
            running = np.concatenate([np.zeros(1, dtype=kind), np.cumsum(c_num)])
            ends = np.cumsum(c_count)
            unatt = den - (running[ends] - running[ends - c_count])
        else:
            unatt = gaps.astype(kind) * scale
        u_den.append(den)
        u_unatt.append(unatt)
        u_uncovered.append(gaps)
        u_count.append(c_count)
        u_partner.append(c_partner)
        u_mask.append(c_mask)
        u_num.append(c_num)

    # only the partners credited to some row (every unit left with awards has rows), codes
    # still in id order
    count = np.concatenate(u_count)
    partner = np.concatenate(u_partner)
    credited = np.bincount(partner, minlength=len(names)) > 0
    if not credited.all():
        partner = (np.cumsum(credited) - 1)[partner]
        names = tuple(names[i] for i in np.flatnonzero(credited).tolist())
    return UnitWeights(
        count,
        partner,
        np.concatenate(u_mask),
        np.concatenate(u_num),
        np.concatenate(u_den),
        np.concatenate(u_unatt),
        np.concatenate(u_uncovered),
        names,
    )


def _sum_spans(
    row: I64, partner: I64, mask: I64, num: npt.NDArray[Any]
) -> tuple[I64, I64, I64, npt.NDArray[Any]]:
    """Sum span entries per (row, partner): rows ascending, a row's partners ascending."""
    if not len(row):
        return row, partner, mask, num
    width = int(partner.max()) + 1
    packed = row * width + partner
    order = np.argsort(packed, kind="stable")
    packed = packed[order]
    heads = np.flatnonzero(np.concatenate([[True], packed[1:] != packed[:-1]]))
    return (
        packed[heads] // width,
        packed[heads] % width,
        np.bitwise_or.reduceat(mask[order], heads),
        np.add.reduceat(num[order], heads),
    )


def column(values: list[int], kind: Any) -> npt.NDArray[Any]:
    out = np.empty(len(values), dtype=kind)
    out[:] = values
    return out


# --------------------------------------------------------------------------- one run


Ask = Callable[[int, int, dt.date, dt.date], Awards]
"""``ask(segment, row, span start, span end)``: the awards of a segment (-1: nobody in effect)
for a span, asked with that usage row."""
