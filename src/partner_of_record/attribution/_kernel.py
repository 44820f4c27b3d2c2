"""The attribution kernel: usage columns and association arrays in, credit columns out (internal).

Everything here works on plain arrays, so a caller holding one bucket of subscriptions (a Spark
executor, say) can run it without a ``Ledger``: see ``run``.

1. **Change points.** Each subscription's association starts and ends, packed as
   ``subscription << DAY_BITS | day`` and sorted once (``np.unique`` over the associations, which
   are few). Segment ``g`` runs from change point ``g`` to the next change point of the same
   subscription (open-ended after its last one); an association covers the segments from its
   start's change point to its end's (``searchsorted``, then ``repeat``).
2. **Rows to segments** (``spans``). Each row's packed ``subscription, month`` key is located
   among the change points by binary search: the segment in effect on the month's first day,
   and whether the next change point falls inside the month. Such a *cut* month is split into
   spans of days at its change points, as arrays (one row per span: row, segment, first day,
   end day).
3. **Decisions** (``ask_keys``). The policy is asked through its public ``decide``/``shares``
   once per decision key met: per distinct *shape* of the set of associations in effect when the
   policy declares ``decision_fields`` and ``decision_ranks`` (see the policies module; the
   answer's partners are carried to the other sets of that shape by rank), per distinct set
   with ``decision_fields`` only, else per segment; and (``usage_independent = False``) once
   per row and span, through the readable per-row path (``plan_each_row``).
4. **Weights** (``weigh``). Each row's exact fraction per partner, integer numerators over one
   denominator per row: a month inside one segment takes its segment's awards over the common
   scale ``L`` of all the answers' denominators; a cut month takes ``sum(days x numerator)``
   over ``month days x L``, summed per partner with one ``argsort`` and ``reduceat`` over the
   span entries. All of it as int64 arrays (object arrays of Python integers if ``L`` is huge).
5. **Rounding** (``allocate``), vectorised over the rows: half to even per (row, partner) for
   recognising policies, largest remainder (ties to the lowest partner id, the unattributed
   part last; one ``np.sort`` of packed keys) for split policies. Rows whose products could
   leave int64 are computed with Python integers.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from math import lcm
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.attribution.errors import PolicyError
from partner_of_record.attribution.kinds import kinds_mask
from partner_of_record.attribution.policies import Award, Decision
from partner_of_record.model import Association, AssociationKind, PartnerId, Usage

__all__: list[str] = []  # internal module

I64 = npt.NDArray[np.int64]
DAY_BITS = 22
"""Day ordinals (``date.max`` is 3,652,059) fit in 22 bits."""
_DAY_MASK = (1 << DAY_BITS) - 1
_EPOCH = dt.date(1970, 1, 1).toordinal()
_SAFE = 1 << 62
"""Products of an amount and a numerator below this bound cannot overflow int64."""

Awards = tuple[tuple[PartnerId, int, int, int], ...]
"""A span's awards: ``(partner id, kinds mask, numerator, denominator)`` per partner, by id."""


# --------------------------------------------------------------------------- exact helpers


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


def _exact(value: object) -> Fraction | None:
    if type(value) is Fraction:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, Fraction | int):
        return Fraction(value)
    if isinstance(value, Decimal) and value.is_finite():
        return Fraction(value)
    return None


def _owner(cls: type, name: str) -> type | None:
    """The class of ``cls``'s MRO that defines ``name``."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass
    return None


def _uses_decide(cls: type) -> bool:
    """Whether the engine asks ``decide`` (else ``shares``): ``decide`` when the class has it,
    unless a subclass of the class defining ``decide`` overrides ``shares``."""
    found = _USES_DECIDE.get(cls)
    if found is None:
        d, s = _owner(cls, "decide"), _owner(cls, "shares")
        found = d is not None and not (s is not None and s is not d and issubclass(s, d))
        _USES_DECIDE[cls] = found
    return found


_USES_DECIDE: dict[type, bool] = {}


def decide(  # noqa: PLR0912 - one branch per way a policy's answer can be malformed
    policy: Any, usage: Usage, active: tuple[Association, ...], start: dt.date, end: dt.date
) -> Decision:
    """Ask ``policy`` about one span through its public protocol and validate the answer.

    ``decide`` is used when the policy has it, else ``shares``; a subclass that overrides
    ``shares`` (but not ``decide``) of a policy with ``decide`` is asked its ``shares``.

    Raises:
        PolicyError: a share is not exact, negative, above 1, for a partner not in effect, or
            (split policies) the shares do not sum to 1.
    """
    name = str(getattr(policy, "name", type(policy).__name__))
    method = getattr(policy, "decide", None) if _uses_decide(type(policy)) else None
    decision: Any = None
    if method is not None:
        decision = method(usage, active)
        raw: Any = {a.partner_id: a.share for a in decision.awards}
    else:
        raw = policy.shares(usage, active)

    def fail(reason: str) -> PolicyError:
        return PolicyError(name, usage.describe(), start, end, reason)

    if not isinstance(raw, Mapping):
        raise fail(f"shares() returned {type(raw).__name__}, not a mapping")
    in_effect: dict[PartnerId, set[AssociationKind]] = {}
    for a in active:
        in_effect.setdefault(a.partner_id, set()).add(a.kind)
    split = bool(getattr(policy, "split", False))
    clean: dict[PartnerId, Fraction] = {}
    for partner, value in raw.items():
        share = _exact(value)
        if share is None:
            raise fail(f"share {value!r} of partner {partner!r} is not a Fraction or Decimal")
        num, den = share.numerator, share.denominator  # integer checks: Fraction's are slow
        if num < 0:
            raise fail(f"share {value} of partner {partner!r} is negative")
        if partner not in in_effect:
            raise fail(f"partner {partner!r} has no association in effect during the span")
        if num > den:
            raise fail(f"share {value} of partner {partner!r} is above 1")
        if num:
            clean[partner] = share
    if split and clean:
        common = 1
        for share in clean.values():
            common = lcm(common, share.denominator)
        if sum(s.numerator * (common // s.denominator) for s in clean.values()) != common:
            total = sum(clean.values())
            raise fail(f"the policy is a split but its shares sum to {total}, not 1")
    if isinstance(decision, Decision):
        if len(clean) == len(decision.awards) and all(
            type(a.share) is Fraction for a in decision.awards
        ):
            return decision  # every share exact and non-zero: the answer as given
        kept = tuple(
            Award(a.partner_id, clean[a.partner_id], a.kinds)
            for a in decision.awards
            if a.partner_id in clean
        )
        return Decision(kept, decision.rule)
    awards = tuple(Award(p, clean[p], frozenset(in_effect[p])) for p in sorted(clean))
    return Decision(awards, f"{name}: shares as returned by the policy")


def awards_of(decision: Decision) -> Awards:
    """A validated decision in the kernel's form (masks and integers), by partner id."""
    return tuple(
        (a.partner_id, kinds_mask(a.kinds), a.share.numerator, a.share.denominator)
        for a in sorted(decision.awards, key=lambda a: a.partner_id)
    )


# --------------------------------------------------------------------------- plans


@attrs.frozen
class Plan:
    """Each partner's exact fraction of a row: ``numerators[i] / denominator`` for
    ``partners[i]`` (by id), ``unattributed / denominator`` to nobody; ``uncovered`` is the
    number of days nobody is credited, or -1 for a month inside one segment."""

    partners: tuple[PartnerId, ...]
    masks: tuple[int, ...]
    numerators: tuple[int, ...]
    denominator: int
    unattributed: int
    uncovered: int


def whole_plan(awards: Awards, *, split: bool) -> Plan:
    """The plan of a month inside one segment."""
    if not awards:
        return Plan((), (), (), 1, 1, -1)
    den = 1
    for *_, d in awards:
        den = lcm(den, d)
    parts = tuple(num * (den // d) for _, _, num, d in awards)
    left = den - sum(parts) if split else 0
    return Plan(
        tuple(p for p, *_ in awards), tuple(m for _, m, _, _ in awards), parts, den, left, -1
    )


def span_plan(spans: Sequence[tuple[int, Awards]], month_days: int, *, split: bool) -> Plan:
    """The plan of a month cut into spans of ``(days, awards)``."""
    scale = 1
    for _, awards in spans:
        for *_, d in awards:
            scale = lcm(scale, d)
    acc: dict[str, list[int]] = {}
    uncovered = 0
    for days, awards in spans:
        if not awards:
            uncovered += days
            continue
        for p, mask, num, d in awards:
            found = acc.setdefault(p, [0, 0])
            found[0] += days * num * (scale // d)
            found[1] |= mask
    den = month_days * scale
    order = sorted(acc)
    parts = tuple(acc[p][0] for p in order)
    left = den - sum(parts) if split else uncovered * scale
    return Plan(tuple(order), tuple(acc[p][1] for p in order), parts, den, left, uncovered)


class Plans:
    """The distinct plans of a run, as flat arrays once ``freeze`` is called."""

    def __init__(self) -> None:
        self.items: list[Plan] = []
        self.index: dict[Plan, int] = {}

    def add(self, plan: Plan) -> int:
        found = self.index.get(plan)
        if found is None:
            found = self.index[plan] = len(self.items)
            self.items.append(plan)
        return found


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
    points = np.unique(np.concatenate([starts, ((sub << DAY_BITS) | end)[closed]]))
    lo = np.searchsorted(points, starts)
    last = (sub << DAY_BITS) | _DAY_MASK
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


@attrs.frozen
class Located:
    """Where each row falls: its segment (-1: before its subscription's first change point),
    whether a change point cuts its month, and its month's end and days."""

    seg: I64
    cut: npt.NDArray[np.bool_]
    month_end: I64
    month_days: I64


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


def locate(tl: Timelines, sub: I64, month: I64) -> Located:
    """Find each row's segment by binary search over the sorted change points."""
    keys = (sub << DAY_BITS) | month
    points = tl.points
    pos = np.searchsorted(points, keys, side="right") - 1
    ends = month_ends(month)
    if len(points) == 0:
        none = np.full(len(sub), -1, dtype=np.int64)
        return Located(none, np.zeros(len(sub), dtype=bool), ends, ends - month)
    safe = np.maximum(pos, 0)
    own = (pos >= 0) & ((points[safe] >> DAY_BITS) == sub)
    seg = np.where(own, pos, -1)
    nxt = np.minimum(pos + 1, len(points) - 1)
    cut = (
        (pos + 1 < len(points))
        & ((points[nxt] >> DAY_BITS) == sub)
        & ((points[nxt] & _DAY_MASK) < ends)
    )
    return Located(seg, cut, ends, ends - month)


# --------------------------------------------------------------------------- weights


@attrs.frozen
class Weights:
    """Each row's exact fractions, as columns: what ``allocate`` rounds.

    Entry ``e`` gives partner ``partners[e_partner[e]]`` the fraction
    ``e_num[e] / den[e_row[e]]`` of row ``e_row[e]``'s amount, for the kinds ``e_mask[e]``;
    entries are in row order, a row's partners by id. Row ``i``'s unattributed part is
    ``unatt[i] / den[i]``; ``uncovered[i]`` is its number of days nobody is credited, or -1 for
    a month inside one segment. ``e_num``, ``den`` and ``unatt`` are int64, or object arrays of
    Python integers when a denominator does not fit comfortably in an int64.
    """

    e_row: I64
    e_partner: I64
    e_mask: I64
    e_num: npt.NDArray[Any]
    den: npt.NDArray[Any]
    unatt: npt.NDArray[Any]
    uncovered: I64
    partners: tuple[PartnerId, ...]


def _expand(counts: I64) -> tuple[I64, I64]:
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
    """

    whole: I64
    w_seg: I64
    cut: I64
    n_spans: I64
    row: I64
    seg: I64
    lo: I64
    hi: I64


def spans(tl: Timelines, sub: I64, month: I64, ends: I64) -> Spans:
    """Locate each row's month among the sorted change points (binary search), and cut the
    months a change point falls in into spans."""
    n = len(sub)
    points = tl.points
    if not len(points):
        none = np.zeros(0, dtype=np.int64)
        return Spans(np.arange(n, dtype=np.int64), np.full(n, -1, dtype=np.int64), *[none] * 6)
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
        return Spans(whole, seg0, cut, cut, cut, cut, cut, cut)
    whole = np.flatnonzero(~cut_mask)
    n_sp = np.searchsorted(points, (sub[cut] << DAY_BITS) | ends[cut], side="left") - pos[cut]
    owner, j = _expand(n_sp)
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
        np.where(first, month[row], points[np.maximum(raw, 0)] & _DAY_MASK),
        np.where(last, ends[row], points[np.minimum(raw + 1, len(points) - 1)] & _DAY_MASK),
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
        owner, within = _expand(self.count[keys])
        idx = self.offset[keys][owner] + within
        return owner, idx, within, codes[off[segs[owner]] + self.rank[idx]]


def ask_keys(
    sp: Spans,
    keyx: I64,
    month: I64,
    ends: I64,
    seg_partners: tuple[I64, I64],
    names: tuple[PartnerId, ...],
    ask: Ask,
) -> Answers:
    """Ask once per decision key met (``keyx[g + 1]``: segment ``g``'s key), with the first
    month met inside one segment of that key, else the first span; the answer's partners are
    kept as ranks among the segment's partners."""
    codes, off = seg_partners
    n_keys = len(keyx) and int(keyx.max()) + 1
    first: dict[int, tuple[int, int, int, int]] = {}
    w_month, w_end = (
        (month, ends)
        if len(sp.whole) == len(month)
        else (
            month[sp.whole],
            ends[sp.whole],
        )
    )
    for segs, rows, lo, hi in (
        (sp.seg, sp.row, sp.lo, sp.hi),
        (sp.w_seg, sp.whole, w_month, w_end),
    ):
        keys = keyx[segs + 1]
        at = np.full(n_keys, -1, dtype=np.int64)
        at[keys[::-1]] = np.arange(len(keys) - 1, -1, -1, dtype=np.int64)
        met = np.flatnonzero(at >= 0)
        for key, i in zip(met.tolist(), at[met].tolist(), strict=True):
            first[key] = (int(segs[i]), int(rows[i]), int(lo[i]), int(hi[i]))
    code = {p: i for i, p in enumerate(names)}
    answers: dict[int, tuple[Awards, list[int]]] = {}
    scale = 1
    for key, (g, row, lo_day, hi_day) in sorted(first.items()):
        found = ask(g, row, dt.date.fromordinal(lo_day), dt.date.fromordinal(hi_day))
        mine = codes[off[g] : off[g + 1]].tolist() if g >= 0 else []
        answers[key] = (found, [mine.index(code[p]) for p, *_ in found])
        for *_, d in found:
            scale = lcm(scale, d)
    kind: Any = object if 31 * scale >= _SAFE else np.int64
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
        _column(num, kind),
        total,
        scale,
    )


def weigh(
    tl: Timelines,
    sub: I64,
    month: I64,
    seg_key: I64,
    seg_partners: tuple[I64, I64],
    names: tuple[PartnerId, ...],
    ask: Ask,
    *,
    split: bool,
) -> Weights:
    """Each row's weights for a usage-independent policy, asking ``ask`` once per key.

    ``seg_key[g]`` is segment ``g``'s decision key (0: no association in effect, shared with
    the days before a subscription's first change point): segments with equal keys get one
    question, and its answer's partners are carried to the others by their rank among the
    segment's partners (``seg_partners``; ``names``: the partner ids of the codes). A month
    inside one segment takes that segment's awards over the common scale ``L`` of all answers;
    a month cut by change points is weighed span by span, ``days x numerator`` over
    ``month days x L``, summed per partner.
    """
    n = len(sub)
    ends = month_ends(month)
    sp = spans(tl, sub, month, ends)
    keyx = np.concatenate([np.zeros(1, dtype=np.int64), seg_key])
    ans = ask_keys(sp, keyx, month, ends, seg_partners, names, ask)
    scale, kind = ans.scale, ans.num.dtype

    # months inside one segment: the segment's awards over the scale
    w_key = keyx[sp.w_seg + 1]
    w_owner, w_idx, w_place, w_partner = ans.entries(w_key, sp.w_seg, seg_partners)
    den = np.full(n, scale, dtype=kind)
    unatt = np.zeros(n, dtype=kind)
    if split:
        unatt[sp.whole] = scale - ans.total[w_key]
    else:  # nobody credited: the whole month is unattributed
        unatt[sp.whole[ans.count[w_key] == 0]] = scale
    uncovered = np.full(n, -1, dtype=np.int64)
    if not sp.cut.size:
        w = Weights(
            w_owner, w_partner, ans.mask[w_idx], ans.num[w_idx], den, unatt, uncovered, names
        )
        return _credited_partners(w)

    # months cut by change points: days x numerator per span, summed per partner
    s_key = keyx[sp.seg + 1]
    s_owner, s_idx, _, s_partner = ans.entries(s_key, sp.seg, seg_partners)
    days = sp.hi - sp.lo
    c_row, c_partner, c_mask, c_num = _sum_spans(
        sp.row[s_owner], s_partner, ans.mask[s_idx], days[s_owner] * ans.num[s_idx]
    )
    lo = np.searchsorted(c_row, sp.cut, side="left")
    hi = np.searchsorted(c_row, sp.cut, side="right")
    den[sp.cut] = (ends - month)[sp.cut].astype(kind) * scale
    gaps = np.add.reduceat(np.where(ans.count[s_key], 0, days), np.cumsum(sp.n_spans) - sp.n_spans)
    uncovered[sp.cut] = gaps
    if split:
        running = np.concatenate([np.zeros(1, dtype=kind), np.cumsum(c_num)])
        unatt[sp.cut] = den[sp.cut] - (running[hi] - running[lo])
    else:
        unatt[sp.cut] = gaps.astype(kind) * scale

    # both kinds of row, in row order
    counts = np.zeros(n, dtype=np.int64)
    counts[sp.whole] = ans.count[w_key]
    counts[sp.cut] = hi - lo
    e_row = np.repeat(np.arange(n, dtype=np.int64), counts)
    start = np.cumsum(counts) - counts
    at_w = start[sp.whole][w_owner] + w_place
    at_c = start[c_row] + (np.arange(len(c_row)) - lo[np.searchsorted(sp.cut, c_row)])
    e_partner = np.empty(len(e_row), dtype=np.int64)
    e_mask = np.empty(len(e_row), dtype=np.int64)
    e_num = np.empty(len(e_row), dtype=kind)
    e_partner[at_w], e_partner[at_c] = w_partner, c_partner
    e_mask[at_w], e_mask[at_c] = ans.mask[w_idx], c_mask
    e_num[at_w], e_num[at_c] = ans.num[w_idx], c_num
    return _credited_partners(
        Weights(e_row, e_partner, e_mask, e_num, den, unatt, uncovered, names)
    )


def _credited_partners(w: Weights) -> Weights:
    """``w`` with only the partners credited (codes still in id order)."""
    used = np.bincount(w.e_partner, minlength=len(w.partners)) > 0
    if used.all():
        return w
    recode = np.cumsum(used) - 1
    partners = tuple(w.partners[i] for i in np.flatnonzero(used).tolist())
    return attrs.evolve(w, e_partner=recode[w.e_partner], partners=partners)


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


def weights_of_plans(plan_of_row: I64, plans: Plans) -> Weights:
    """The weights of rows planned one by one (the per-row path)."""
    items = plans.items
    partners = tuple(sorted({p for plan in items for p in plan.partners}))
    code = {p: i for i, p in enumerate(partners)}
    e_row: list[int] = []
    e_partner: list[int] = []
    e_mask: list[int] = []
    e_num: list[int] = []
    dens: list[int] = []
    unatts: list[int] = []
    uncovered: list[int] = []
    for row, i in enumerate(plan_of_row.tolist()):
        plan = items[i]
        e_row.extend([row] * len(plan.partners))
        e_partner.extend(code[p] for p in plan.partners)
        e_mask.extend(plan.masks)
        e_num.extend(plan.numerators)
        dens.append(plan.denominator)
        unatts.append(plan.unattributed)
        uncovered.append(plan.uncovered)
    kind: Any = object if max([*dens, 1]) >= _SAFE // 32 else np.int64
    return Weights(
        np.array(e_row, dtype=np.int64),
        np.array(e_partner, dtype=np.int64),
        np.array(e_mask, dtype=np.int64),
        _column(e_num, kind),
        _column(dens, kind),
        _column(unatts, kind),
        np.array(uncovered, dtype=np.int64),
        partners,
    )


def _column(values: list[int], kind: Any) -> npt.NDArray[Any]:
    out = np.empty(len(values), dtype=kind)
    out[:] = values
    return out


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


def allocate(w: Weights, minor: I64, big: dict[int, int], *, split: bool) -> Allocation:
    """Round every row's amount over its weights (see the module documentation)."""
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
        if n:
            exact |= np.abs(minor) >= _SAFE // den_r
    if big:
        exact[list(big)] = True
    a = np.where(exact, 0, minor)
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
        c_minor = q * sign[e_row]
        u_all = qu * sign
    else:
        c_minor = _rhe(a[e_row] * e_num, den_r[e_row])
        u_all = _rhe(a * un_r, den_r)
    u_row = np.flatnonzero(has_un)
    u_minor: npt.NDArray[Any] = u_all[u_row]
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
    partners by id, then the unattributed part): one ``np.sort`` of packed integer keys when
    they fit in 62 bits, else a ``lexsort``.
    """
    q = q.copy()
    qu = qu.copy()
    k = cnt[need]
    i_ent, o_ent = _expand(k)
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
    rows, places = need[i_s[win]], place_s[win]
    unatt = places == cnt[rows]
    q[row_first[rows[~unatt]] + places[~unatt]] += 1
    qu[rows[unatt]] += 1
    return q, qu


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


# --------------------------------------------------------------------------- one run


Ask = Callable[[int, int, dt.date, dt.date], Awards]
"""``ask(segment, row, span start, span end)``: the awards of a segment (-1: nobody in effect)
for a span, asked with that usage row."""


def cuts(
    points: Sequence[int], sub: int, month: int, month_end: int, seg: int
) -> list[tuple[int, int, int]]:
    """``(first day, end day, segment)`` of each span of a month (day ordinals); ``points`` is
    the sorted packed change points as a list (``bisect`` on Python ints is the fast path for
    one row)."""
    j = bisect_right(points, (sub << DAY_BITS) | month)
    lo, g = month, seg
    out: list[tuple[int, int, int]] = []
    n = len(points)
    while j < n and points[j] >> DAY_BITS == sub:
        day = points[j] & _DAY_MASK
        if day >= month_end:
            break
        out.append((lo, day, g))
        lo, g, j = day, j, j + 1
    out.append((lo, month_end, g))
    return out


def plan_each_row(
    tl: Timelines, sub: I64, month: I64, ask: Ask, *, split: bool
) -> tuple[I64, Plans]:
    """Each row's plan, asking ``ask`` for every row and span (usage-dependent policies)."""
    loc = locate(tl, sub, month)
    plans = Plans()
    out = np.zeros(len(sub), dtype=np.int64)
    point_list: list[int] = tl.points.tolist()
    for row in range(len(sub)):
        m, mend = int(month[row]), int(loc.month_end[row])
        spans = [
            (hi - lo, ask(g, row, dt.date.fromordinal(lo), dt.date.fromordinal(hi)))
            for lo, hi, g in cuts(point_list, int(sub[row]), m, mend, int(loc.seg[row]))
        ]
        if len(spans) == 1:
            out[row] = plans.add(whole_plan(spans[0][1], split=split))
        else:
            out[row] = plans.add(span_plan(spans, mend - m, split=split))
    return out, plans
