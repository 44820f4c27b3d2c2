"""The attribution kernel: usage columns and association arrays in, credit columns out (internal).

Everything here works on plain arrays, so a caller holding one bucket of subscriptions (a Spark
executor, say) can run it without a ``Ledger``: see ``run``.

1. **Change points.** Each subscription's association starts and ends, packed as
   ``subscription << DAY_BITS | day`` and sorted once (``np.unique`` over the associations, which
   are few). Segment ``g`` runs from change point ``g`` to the next change point of the same
   subscription (open-ended after its last one); an association covers the segments from its
   start's change point to its end's (``searchsorted``, then ``repeat``).
2. **Rows to segments.** Each row's packed ``subscription, month`` key is located among the change
   points by binary search: the segment in effect on the month's first day, and whether a change
   point falls inside the month (then the row takes the exact span path, step 4).
3. **Decisions.** The policy is asked through its public ``decide``/``shares`` once per
   distinct set of associations in effect (see ``decision_fields`` in the policies module), or
   once per segment, or (``usage_independent = False``) once per row and span.
4. **Plans.** A plan is each partner's exact fraction of a row, integer numerators over one
   denominator: a month inside one segment gets its segment's plan; a month cut by change points
   gets ``sum(days x share) / (month days x lcm of the share denominators)``.
5. **Rounding**, vectorised over the rows: half to even per (row, partner) for recognising
   policies, largest remainder (ties to the lowest partner id, the unattributed part last) for
   split policies. Rows whose products could leave int64 are computed with Python integers.
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


def decide(
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
    """The day ordinal of the first day of the next month, for month ordinals."""
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


def allocate(
    plan_of_row: I64, minor: I64, big: dict[int, int], plans: Plans, *, split: bool
) -> Allocation:
    """Round every row's amount over its plan (see the module documentation)."""
    items = plans.items
    partners = tuple(sorted({p for plan in items for p in plan.partners}))
    code = {p: i for i, p in enumerate(partners)}
    n_ent = np.array([len(p.partners) for p in items], dtype=np.int64)
    ent_off = np.concatenate([[0], np.cumsum(n_ent)]).astype(np.int64)
    e_partner = np.array([code[p] for plan in items for p in plan.partners], dtype=np.int64)
    e_mask = np.array([m for plan in items for m in plan.masks], dtype=np.int64)
    nums = [n for plan in items for n in plan.numerators]
    dens = [p.denominator for p in items]
    unatts = [p.unattributed for p in items]
    biggest = max([*nums, *dens, *unatts, 1])
    n = len(plan_of_row)
    # rows computed with Python integers: huge amounts, or products that could overflow
    exact = np.zeros(n, dtype=bool)
    if biggest >= _SAFE:
        exact[:] = True
    elif n:
        exact |= np.abs(minor) >= _SAFE // biggest
    if big:
        exact[list(big)] = True
    e_num = np.array(nums if biggest < _SAFE else [0] * len(nums), dtype=np.int64)
    p_den = np.array(dens if biggest < _SAFE else [1] * len(dens), dtype=np.int64)
    p_un = np.array(unatts if biggest < _SAFE else [0] * len(unatts), dtype=np.int64)

    # expand rows to entries (row-major, so credits come out in row then partner order)
    cnt = n_ent[plan_of_row] if n else np.zeros(0, dtype=np.int64)
    e_row = np.repeat(np.arange(n, dtype=np.int64), cnt)
    row_first = np.cumsum(cnt) - cnt
    e_idx = ent_off[plan_of_row][e_row] + (np.arange(len(e_row), dtype=np.int64) - row_first[e_row])
    a = np.where(exact, 0, minor)
    den_r = p_den[plan_of_row] if n else np.zeros(0, dtype=np.int64)
    un_r = p_un[plan_of_row] if n else np.zeros(0, dtype=np.int64)
    has_un = un_r != 0
    if split:
        sign = np.where(a < 0, -1, 1)
        mag = a * sign
        x = mag[e_row] * e_num[e_idx]
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
            q, qu = _hand_out(need, left, e_row, row_first, cnt, r, ru, has_un, q, qu)
        c_minor = q * sign[e_row]
        u_all = qu * sign
    else:
        c_minor = _rhe(a[e_row] * e_num[e_idx], den_r[e_row])
        u_all = _rhe(a * un_r, den_r)
    c_row, c_partner, c_kinds = e_row, e_partner[e_idx], e_mask[e_idx]
    u_row = np.flatnonzero(has_un)
    u_minor: npt.NDArray[Any] = u_all[u_row]
    c_out: npt.NDArray[Any] = c_minor
    if exact.any():
        c_out, u_row, u_minor = _exact_rows(
            exact, plan_of_row, minor, big, items, code, c_row, c_out, u_row, u_minor, split=split
        )
    return Allocation(c_row, c_partner, c_kinds, c_out, u_row, u_minor, partners)


def _hand_out(
    need: I64,
    left: I64,
    e_row: I64,
    row_first: I64,
    cnt: I64,
    r: I64,
    ru: I64,
    has_un: npt.NDArray[np.bool_],
    q: I64,
    qu: I64,
) -> tuple[I64, I64]:
    """Give the left-over units of rows ``need`` to their largest remainders (lexsort)."""
    q = q.copy()
    qu = qu.copy()
    k = cnt[need]
    ent = np.repeat(row_first[need], k) + (np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k))
    rows = np.concatenate([e_row[ent], need[has_un[need]]])
    rems = np.concatenate([r[ent], ru[need[has_un[need]]]])
    # order within a row: its partners by id, then the unattributed part
    order = np.concatenate([ent - row_first[e_row[ent]], cnt[need[has_un[need]]]])
    which = np.concatenate([ent, -1 - need[has_un[need]]])
    idx = np.lexsort((order, -rems, rows))
    rows_s = rows[idx]
    starts = np.searchsorted(rows_s, rows_s, side="left")
    rank = np.arange(len(rows_s)) - starts
    win = rank < left[rows_s]
    got = which[idx][win]
    q[got[got >= 0]] += 1
    qu[-1 - got[got < 0]] += 1
    return q, qu


def _exact_rows(
    exact: npt.NDArray[np.bool_],
    plan_of_row: I64,
    minor: I64,
    big: dict[int, int],
    items: list[Plan],
    code: dict[str, int],
    c_row: I64,
    c_minor: npt.NDArray[Any],
    u_row: I64,
    u_minor: npt.NDArray[Any],
    *,
    split: bool,
) -> tuple[npt.NDArray[Any], I64, npt.NDArray[Any]]:
    """Recompute the rows flagged ``exact`` with Python integers (the readable path)."""
    c_out = c_minor.astype(object)
    u_by_row: dict[int, Any] = dict(zip(u_row.tolist(), u_minor.tolist(), strict=True))
    starts = np.searchsorted(c_row, np.arange(len(plan_of_row)))
    for row in np.flatnonzero(exact).tolist():
        plan = items[int(plan_of_row[row])]
        amount = big.get(row, int(minor[row]))
        den = plan.denominator
        if split:
            nums = [*plan.numerators, *([plan.unattributed] if plan.unattributed else [])]
            parts = largest_remainder(amount, nums, den)
            credits, rest = (
                parts[: len(plan.numerators)],
                (parts[-1] if plan.unattributed else None),
            )
        else:
            credits = [round_half_even(amount * m, den) for m in plan.numerators]
            rest = round_half_even(amount * plan.unattributed, den) if plan.unattributed else None
        s = int(starts[row])
        for i, value in enumerate(credits):
            c_out[s + i] = value
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


def plan_rows(
    tl: Timelines,
    sub: I64,
    month: I64,
    ask: Ask,
    key_of_segment: I64 | None,
    *,
    split: bool,
) -> tuple[I64, Plans]:
    """Each row's plan id, asking ``ask`` once per key (``key_of_segment``; ``None``: once per
    segment), and the plans."""
    n = len(sub)
    loc = locate(tl, sub, month)
    plans = Plans()
    plan_of_row = np.zeros(n, dtype=np.int64)
    whole = np.flatnonzero(~loc.cut)
    n_seg = len(tl.points)
    keys = (
        np.arange(n_seg + 1, dtype=np.int64)
        if key_of_segment is None
        else np.concatenate([[0], key_of_segment + 1])
    )  # key 0: the empty set before a first change point
    awards_of_key: dict[int, Awards] = {}
    if whole.size:
        row_key = keys[loc.seg[whole] + 1]
        n_keys = int(keys.max(initial=0)) + 1
        first = np.full(n_keys, -1, dtype=np.int64)
        first[row_key[::-1]] = whole[::-1]
        plan_of_key = np.zeros(n_keys, dtype=np.int64)
        for k in np.flatnonzero(first >= 0).tolist():
            row = int(first[k])
            m = int(month[row])
            lo, hi = dt.date.fromordinal(m), dt.date.fromordinal(int(loc.month_end[row]))
            found = ask(int(loc.seg[row]), row, lo, hi)
            awards_of_key[k] = found
            plan_of_key[k] = plans.add(whole_plan(found, split=split))
        plan_of_row[whole] = plan_of_key[row_key]
    cut = np.flatnonzero(loc.cut)
    if cut.size:
        # one plan per distinct (subscription, month) cut by change points
        packed = (sub[cut] << DAY_BITS) | month[cut]
        distinct, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
        plan_ids = np.zeros(len(distinct), dtype=np.int64)
        point_list: list[int] = tl.points.tolist()
        rows = cut[first]
        for i, (row, s, m, mend, g) in enumerate(
            zip(
                rows.tolist(),
                sub[rows].tolist(),
                month[rows].tolist(),
                loc.month_end[rows].tolist(),
                loc.seg[rows].tolist(),
                strict=True,
            )
        ):
            spans = [
                (hi - lo, _span(ask, awards_of_key, keys, g, row, lo, hi))
                for lo, hi, g in cuts(point_list, s, m, mend, g)
            ]
            plan_ids[i] = plans.add(span_plan(spans, mend - m, split=split))
        plan_of_row[cut] = plan_ids[inverse.ravel()]
    return plan_of_row, plans


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


def _span(
    ask: Ask, cache: dict[int, Awards], keys: I64, g: int, row: int, lo: int, hi: int
) -> Awards:
    k = int(keys[g + 1])
    found = cache.get(k)
    if found is None:
        found = cache[k] = ask(g, row, dt.date.fromordinal(lo), dt.date.fromordinal(hi))
    return found
