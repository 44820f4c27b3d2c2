"""The attribution engine: ``attribute(ledger, policy) -> Credits``.

``attribute`` gathers the arrays (the ledger's usage columns, its associations as arrays) and
hands them to the kernel in ``_kernel``; the result is kept as columns in a ``Result``, which
``Credits`` reads.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import UsageTable
from partner_of_record.attribution import _kernel as k
from partner_of_record.attribution.credits import Credits
from partner_of_record.attribution.kinds import mask_kinds
from partner_of_record.attribution.policies import Policy, RecognizeAll
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, PartnerId, Usage

__all__ = ["attribute"]


def attribute(
    ledger: Ledger,
    policy: Policy | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> Credits:
    """Credit each usage row of ``ledger`` to the partners associated with its subscription.

    For each usage row, the engine finds the associations in effect on its subscription during its
    month, cuts the month into spans of days over which that set is constant, asks ``policy`` for
    each span's shares and weights each span by its number of days. Credit starts on an
    association's start day and is never retroactive; an association ending on day ``d`` earns
    nothing from ``d`` on.

    Rounding, exactly:

    * each row's amount is first rounded to its currency's minor unit (half to even) and held as
      an integer of minor units;
    * a partner's exact credit for a row is the sum over spans of
      ``amount x span days / month days x share``, computed with integers over a common
      denominator (exact fractions);
    * recognising policies (``RecognizeAll``, ``Priority``, ``DporOnly``, any policy whose
      ``split`` is false) round each ``(row, partner)`` credit half to even; the row's
      unattributed part is the amount of the days on which nobody was credited, rounded the same
      way;
    * split policies (``EqualSplit``, ``WeightedSplit``) allocate the row's minor units over the
      partners and the unattributed part by largest remainder: each part is rounded towards zero,
      then the left-over units go one each to the largest remainders; equal remainders are served
      in partner-id order, the unattributed part last. A negative amount is allocated as its
      absolute value and negated. So credited + unattributed == amount, to the minor unit.

    A row with no partner in effect (or only on some days) is never dropped: the rest goes to
    ``Credits.unattributed``. Credits of zero (a partner in effect on a zero-amount row, or for so
    few days that the credit rounds to zero) are kept.

    The policy is asked through its public ``decide`` (or ``shares``): a usage-independent policy
    (``usage_independent = True``, as all built-ins) once per distinct shape of the set of
    associations in effect when it declares ``decision_fields`` and ``decision_ranks`` (sets
    equal up to the order of the partners' ids share one answer, carried over by rank), once per
    distinct set when it declares ``decision_fields`` only, else once per segment of a
    subscription's timeline; any other policy once per usage row and span.

    Args:
        ledger: the facts.
        policy: who is credited; defaults to [`RecognizeAll()`][partner_of_record.RecognizeAll].
        start: if given, only usage months on or after this day are attributed.
        end: if given, only usage months before this day are attributed.

    Returns:
        The credits, held as columns; ``Credit`` objects and explanations are made only when
        iterated or explained.

    Raises:
        PolicyError: the policy returned an unusable share (negative, above 1, not exact, for a
            partner not in effect, or not summing to 1 for a split policy).
        TypeError: ``policy`` is a class rather than an instance, or has no ``shares`` or
            ``decide`` method; ``start``/``end`` is not a date.
        ValueError: ``start`` is after ``end``.
    """
    if policy is None:
        policy = RecognizeAll()
    _check_policy(policy)
    for label, value in (("start", start), ("end", end)):
        if value is not None and (isinstance(value, dt.datetime) or not isinstance(value, dt.date)):
            msg = f"attribute(): {label}={value!r} is not a datetime.date"
            raise TypeError(msg)
    if start is not None and end is not None and start > end:
        msg = (
            f"attribute(): start={start.isoformat()} is after end={end.isoformat()}; "
            "the months attributed are start <= month < end"
        )
        raise ValueError(msg)
    table = ledger.usage_table()
    scope: npt.NDArray[np.int64] | None = None
    if start is not None or end is not None:
        keep = np.ones(len(table), dtype=bool)
        if start is not None:
            keep &= table.month >= start.toordinal()
        if end is not None:
            keep &= table.month < end.toordinal()
        scope = np.flatnonzero(keep).astype(np.int64)
    return Credits._from_result(run(ledger, table, policy, scope))


def _check_policy(policy: Any) -> None:
    if isinstance(policy, type):
        msg = (
            f"attribute(): policy {policy.__name__} is a class; pass an instance, "
            f"e.g. attribute(ledger, {policy.__name__}())"
        )
        raise TypeError(msg)
    if not callable(getattr(policy, "shares", None)) and not callable(
        getattr(policy, "decide", None)
    ):
        msg = (
            f"attribute(): policy {policy!r} is not a credit policy (it has no "
            "shares(usage, active) or decide(usage, active) method); pass e.g. RecognizeAll() "
            "or a policy from partner_of_record.policies.get(name)"
        )
        raise TypeError(msg)


def _trusted(policy: Any, name: str) -> Any:
    """``policy.name`` when it may be trusted: set on the instance, or declared by the class
    that defines the policy's ``decide`` and ``shares`` or by a subclass of it (so a subclass
    that overrides ``decide`` without declaring its own does not inherit it)."""
    value = getattr(policy, name, None)
    declared = k._owner(type(policy), name)
    if value is None or declared is None:
        return value
    for method in ("decide", "shares"):
        impl = k._owner(type(policy), method)
        if impl is not None and not issubclass(declared, impl):
            return None
    return value


def decision_fields(policy: Any) -> tuple[tuple[str, ...], frozenset[str]] | None:
    """The association fields the policy's answer depends on, and those of them it only
    compares (``decision_ranks``), when they may be trusted (see ``_trusted``).

    ``None`` (ask once per segment) for a usage-dependent policy, or when ``partner_id`` is not
    among the fields (the answer names partners).
    """
    if not getattr(policy, "usage_independent", False):
        return None
    fields = _trusted(policy, "decision_fields")
    if not fields or "partner_id" not in fields:
        return None
    ranks = _trusted(policy, "decision_ranks") or ()
    return tuple(fields), frozenset(ranks) & frozenset(fields)


class Result:
    """The columns of one ``attribute()`` run (internal; read by ``Credits``).

    Rows are the ledger's usage rows in scope (``scope``: their ledger row numbers, ascending);
    credits and unattributed parts refer to them by position. Money is held as integers of the
    row's currency's minor unit.
    """

    __slots__ = (
        "alloc",
        "associations",
        "cache",
        "cur",
        "end",
        "ledger",
        "policy",
        "policy_name",
        "scope",
        "split",
        "start",
        "table",
        "timelines",
        "weights",
    )

    def __init__(
        self,
        ledger: Ledger,
        table: UsageTable,
        policy: Any,
        scope: npt.NDArray[np.int64] | None,
        weights: k.Weights,
        alloc: k.Allocation,
        associations: list[Association],
        timelines: k.Timelines,
    ) -> None:
        self.ledger = ledger
        self.table = table
        self.policy = policy
        self.policy_name = str(getattr(policy, "name", type(policy).__name__))
        self.split = bool(getattr(policy, "split", False))
        self.scope = scope
        self.weights = weights
        self.alloc = alloc
        self.associations = associations
        self.timelines = timelines
        self.cur = table.cur if scope is None else table.cur[scope]
        self.cache: dict[Any, Any] = {}

    @property
    def n_rows(self) -> int:
        return len(self.weights.den)

    @property
    def partners(self) -> tuple[PartnerId, ...]:
        return self.alloc.partners

    @property
    def currencies(self) -> tuple[str, ...]:
        return self.table.currencies

    @property
    def exponents(self) -> tuple[int, ...]:
        return tuple(minor_unit_exponent(c) for c in self.table.currencies)

    def ledger_row(self, i: int) -> int:
        return i if self.scope is None else int(self.scope[i])

    def usage(self, i: int) -> Usage:
        """The usage row at position ``i`` of the scope."""
        return self.ledger.usage[self.ledger_row(i)]

    def row_array(self, column: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """A table column restricted to the rows in scope."""
        return column if self.scope is None else column[self.scope]

    def minors(self) -> npt.NDArray[Any]:
        """Each row's amount in minor units, read from the ledger's table (object dtype when a
        row does not fit int64)."""
        minor = self.row_array(self.table.minor)
        big = self.table.big
        if not big:
            return minor
        out = minor.astype(object)
        rows = range(len(out)) if self.scope is None else self.scope.tolist()
        for i, r in enumerate(rows):
            if r in big:
                out[i] = big[r]
        return out

    def share(self, i: int, partner: int) -> Fraction:
        """A partner's exact share of row ``i``'s amount."""
        w = self.weights
        lo, hi = np.searchsorted(w.e_row, [i, i + 1]).tolist()
        for e in range(lo, hi):
            if int(w.e_partner[e]) == partner:
                return Fraction(int(w.e_num[e]), int(w.den[i]))
        return Fraction(0)

    def unattributed_days(self, i: int) -> int:
        """The number of days of row ``i``'s month on which no partner was credited."""
        days = int(self.weights.uncovered[i])
        if days < 0:
            month = self.row_array(self.table.month)[i : i + 1]
            days = int(k.month_ends(month)[0] - month[0])
            return days if self.weights.unatt[i] else 0
        return days

    def kinds(self, mask: int) -> frozenset[Any]:
        return mask_kinds(mask)


@attrs.frozen
class Facts:
    """The associations of a table's subscriptions as arrays (derived once per association set
    and cached on the table).

    Attributes:
        associations: grouped by subscription code, each group in ``associations_of`` order.
        timelines: their change points and segments.
        names: the partner ids, sorted; ``partner`` holds each association's code into it.
        partner: see ``names``.
        start: each association's first day (day ordinal).
        seg_partners: each segment's distinct partner codes (``_kernel.segment_partners``).
        keys: segment decision keys already computed, by ``(fields, ranks)``.
    """

    associations: list[Association]
    timelines: k.Timelines
    names: tuple[PartnerId, ...]
    partner: npt.NDArray[np.int64]
    start: npt.NDArray[np.int64]
    seg_partners: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]
    keys: dict[tuple[tuple[str, ...], frozenset[str]], npt.NDArray[np.int64]] = attrs.field(
        factory=dict
    )


def facts_of(associations: list[Association], sub: npt.NDArray[np.int64]) -> Facts:
    """The arrays of ``associations`` (grouped by subscription code ``sub``)."""
    ords: dict[dt.date, int] = {}

    def ordinal(day: dt.date | None) -> int:
        if day is None:
            return -1
        found = ords.get(day)
        if found is None:
            found = ords[day] = day.toordinal()
        return found

    n = len(associations)
    starts = np.fromiter((ordinal(a.start) for a in associations), dtype=np.int64, count=n)
    ends = np.fromiter((ordinal(a.end) for a in associations), dtype=np.int64, count=n)
    tl = k.timelines(sub, starts, ends)
    ids = [a.partner_id for a in associations]
    names = tuple(sorted(set(ids)))
    code = {p: i for i, p in enumerate(names)}
    partner = np.fromiter((code[p] for p in ids), dtype=np.int64, count=n)
    seg_partners = k.segment_partners(tl, partner, len(names))
    return Facts(associations, tl, names, partner, starts, seg_partners)


def association_arrays(ledger: Ledger, table: UsageTable) -> Facts:
    """The associations of the table's subscriptions as arrays (cached on the table per
    association set, since events make ledgers that share the table)."""
    key = ledger.associations
    found = table_cache(table).get("facts")
    if found is not None and found[0] is key:
        return found[1]  # type: ignore[no-any-return]
    assocs: list[Association] = []
    subs: list[int] = []
    of = ledger.associations_of
    for code, sid in enumerate(table.sub_ids):
        got = of(sid)
        if got:
            assocs.extend(got)
            subs.extend([code] * len(got))
    facts = facts_of(assocs, np.array(subs, dtype=np.int64))
    table_cache(table)["facts"] = (key, facts)
    return facts


def table_cache(table: UsageTable) -> dict[str, Any]:
    """A cache dictionary kept with the table (for the engine's derived arrays)."""
    return table.cache


def segment_keys(policy: Any, facts: Facts) -> npt.NDArray[np.int64]:
    """One decision key per segment such that equal keys get answers equal up to the partners'
    ranks (see ``decision_fields``); 0 for a segment with no association.

    A segment's key is the sorted tuple of its associations' codes on the declared fields,
    where a field of ``decision_ranks`` is coded by the rank of its value among the segment's
    associations: the order of ``active`` follows the starts, which a policy not declaring
    ``start`` ignores. Without trusted fields every non-empty segment is its own key.
    """
    tl = facts.timelines
    sizes = np.diff(tl.seg_off)
    declared = decision_fields(policy)
    if declared is None:
        return np.where(sizes > 0, np.arange(1, len(sizes) + 1, dtype=np.int64), 0)
    found = facts.keys.get(declared)
    if found is None:
        found = facts.keys[declared] = _keys_on_fields(facts, *declared)
    return found


def _keys_on_fields(
    facts: Facts, fields: tuple[str, ...], ranks: frozenset[str]
) -> npt.NDArray[np.int64]:
    tl = facts.timelines
    sizes = np.diff(tl.seg_off)
    owner = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    code = np.zeros(len(owner), dtype=np.int64)
    radix = 1
    for field in fields:
        values = _field_codes(facts, field, ordered=field in ranks)[tl.assoc]
        if field in ranks and len(values):  # the dense rank within the segment
            order = np.lexsort((values, owner))
            v, o = values[order], owner[order]
            new_seg = np.concatenate([[True], o[1:] != o[:-1]])
            step = new_seg | np.concatenate([[True], v[1:] != v[:-1]])
            dense = np.cumsum(step)
            rank = np.empty_like(values)
            rank[order] = dense - dense[np.flatnonzero(new_seg)][np.cumsum(new_seg) - 1]
            values = rank
        top = int(values.max(initial=0)) + 1
        radix *= top
        if radix >= 1 << 62:  # too many distinct values to pack: a key per segment
            return np.where(sizes > 0, np.arange(1, len(sizes) + 1, dtype=np.int64), 0)
        code = code * top + values
    keys = np.zeros(len(sizes), dtype=np.int64)
    order = np.lexsort((code, owner))
    sorted_code = code[order]
    base = 1
    for size in np.unique(sizes[sizes > 0]).tolist():
        segs = np.flatnonzero(sizes == size)
        table = sorted_code[tl.seg_off[segs][:, None] + np.arange(size)]
        distinct, inverse = np.unique(table, axis=0, return_inverse=True)
        keys[segs] = base + inverse.ravel()
        base += len(distinct)
    return keys


def _field_codes(facts: Facts, field: str, *, ordered: bool) -> npt.NDArray[np.int64]:
    """Each association's code on ``field`` (in the values' order when ``ordered``)."""
    if field == "partner_id":
        return facts.partner
    if field == "start":
        return facts.start
    values = [getattr(a, field) for a in facts.associations]
    if ordered:
        distinct = sorted(set(values), key=_orderable)
        seen = {v: i for i, v in enumerate(distinct)}
    else:
        seen = {}
        for v in values:
            seen.setdefault(v, len(seen))
    return np.fromiter((seen[v] for v in values), dtype=np.int64, count=len(values))


def _orderable(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    return (1, value.value) if isinstance(value, enum.Enum) else (1, value)


def attribute_arrays(
    policy: Any,
    sub: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    minor: npt.NDArray[np.int64],
    facts: Facts,
    usage: Callable[[int], Usage],
    big: dict[int, int] | None = None,
) -> tuple[k.Weights, k.Allocation]:
    """The kernel on plain arrays, for one bucket of subscriptions (a Spark task, say).

    Args:
        policy: the credit policy.
        sub: each row's subscription code (the codes of ``facts``).
        month: each row's month as a day ordinal (its first day).
        minor: each row's amount in minor units (int64; 0 for rows in ``big``).
        facts: ``facts_of(associations, codes)``: the associations, grouped by subscription
            code, each group in ``Ledger.associations_of`` order, as arrays.
        usage: row number -> ``Usage`` record (what the policy is shown).
        big: minor units of rows that do not fit in an int64, by row number.

    Returns:
        Each row's exact weights, and the credit columns.
    """
    split = bool(getattr(policy, "split", False))
    associations, timelines = facts.associations, facts.timelines
    seg_off, seg_assoc = timelines.seg_off, timelines.assoc

    def ask(g: int, row: int, lo: dt.date, hi: dt.date) -> k.Awards:
        active = (
            tuple(associations[i] for i in seg_assoc[seg_off[g] : seg_off[g + 1]].tolist())
            if g >= 0
            else ()
        )
        return k.awards_of(k.decide(policy, usage(row), active, lo, hi))

    if getattr(policy, "usage_independent", False):
        keys = segment_keys(policy, facts)
        weights = k.weigh(
            timelines, sub, month, keys, facts.seg_partners, facts.names, ask, split=split
        )
    else:
        plan_of_row, plans = k.plan_each_row(timelines, sub, month, ask, split=split)
        weights = k.weights_of_plans(plan_of_row, plans)
    alloc = k.allocate(weights, minor, big or {}, split=split)
    return weights, alloc


def run(
    ledger: Ledger, table: UsageTable, policy: Any, scope: npt.NDArray[np.int64] | None
) -> Result:
    """Attribute the table's rows in ``scope`` (all when ``None``)."""
    facts = association_arrays(ledger, table)
    sub = table.sub if scope is None else table.sub[scope]
    month = table.month if scope is None else table.month[scope]
    minor = table.minor if scope is None else table.minor[scope]
    big = table.big
    if big and scope is not None:
        where = {int(r): i for i, r in enumerate(scope.tolist())}
        big = {where[r]: v for r, v in big.items() if r in where}
    rows = ledger.usage

    def usage(row: int) -> Usage:
        return rows[row if scope is None else int(scope[row])]

    weights, alloc = attribute_arrays(policy, sub, month, minor, facts, usage, big)
    return Result(ledger, table, policy, scope, weights, alloc, facts.associations, facts.timelines)
