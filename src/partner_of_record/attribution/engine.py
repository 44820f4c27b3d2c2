"""The attribution engine: ``attribute(ledger, policy) -> Credits``.

``attribute`` gathers the arrays (the ledger's usage columns, its associations as arrays) and
hands them to the kernel in ``_kernel``; the result is kept as columns in a ``Result``, which
``Credits`` reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from typing import Any

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
    (``usage_independent = True``, as all built-ins) once per distinct set of associations in
    effect when it declares ``decision_fields``, else once per segment of a subscription's
    timeline; any other policy once per usage row and span.

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


def decision_fields(policy: Any) -> tuple[str, ...] | None:
    """The association fields the policy's answer depends on, when it may be trusted.

    A policy's ``decision_fields`` is honoured only when it is declared by the class that
    defines the policy's ``decide`` and ``shares`` or by a subclass of it: a subclass that
    overrides ``decide`` without declaring its own fields is asked once per segment.
    """
    if not getattr(policy, "usage_independent", False):
        return None
    fields = getattr(policy, "decision_fields", None)
    if not fields:
        return None
    cls = type(policy)
    declared = k._owner(cls, "decision_fields")
    if declared is None:  # set on the instance: trust it
        return tuple(fields)
    for method in ("decide", "shares"):
        impl = k._owner(cls, method)
        if impl is not None and not issubclass(declared, impl):
            return None
    return tuple(fields)


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
        "plan_of_row",
        "plans",
        "policy",
        "policy_name",
        "scope",
        "split",
        "start",
        "table",
        "timelines",
    )

    def __init__(
        self,
        ledger: Ledger,
        table: UsageTable,
        policy: Any,
        scope: npt.NDArray[np.int64] | None,
        plan_of_row: npt.NDArray[np.int64],
        plans: list[k.Plan],
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
        self.plan_of_row = plan_of_row
        self.plans = plans
        self.alloc = alloc
        self.associations = associations
        self.timelines = timelines
        self.cur = table.cur if scope is None else table.cur[scope]
        self.cache: dict[Any, Any] = {}

    @property
    def n_rows(self) -> int:
        return len(self.plan_of_row)

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
        plan = self.plans[int(self.plan_of_row[i])]
        name = self.alloc.partners[partner]
        for p, n in zip(plan.partners, plan.numerators, strict=True):
            if p == name:
                return Fraction(n, plan.denominator)
        return Fraction(0)

    def unattributed_days(self, i: int) -> int:
        """The number of days of row ``i``'s month on which no partner was credited."""
        plan = self.plans[int(self.plan_of_row[i])]
        if plan.uncovered < 0:
            days = int(k.month_ends(self.row_array(self.table.month)[i : i + 1])[0])
            days -= int(self.row_array(self.table.month)[i])
            return days if plan.unattributed else 0
        return plan.uncovered

    def kinds(self, mask: int) -> frozenset[Any]:
        return mask_kinds(mask)


def association_arrays(ledger: Ledger, table: UsageTable) -> tuple[list[Association], k.Timelines]:
    """The associations of the table's subscriptions, grouped by subscription code (each group
    in ``associations_of`` order), and their timelines (cached on the table per association
    set, since events make ledgers that share the table)."""
    key = ledger.associations
    found = table_cache(table).get("timelines")
    if found is not None and found[0] is key:
        return found[1], found[2]
    assocs: list[Association] = []
    subs: list[int] = []
    of = ledger.associations_of
    for code, sid in enumerate(table.sub_ids):
        got = of(sid)
        if got:
            assocs.extend(got)
            subs.extend([code] * len(got))
    ords: dict[dt.date, int] = {}

    def ordinal(day: dt.date | None) -> int:
        if day is None:
            return -1
        found_ord = ords.get(day)
        if found_ord is None:
            found_ord = ords[day] = day.toordinal()
        return found_ord

    n = len(assocs)
    sub = np.array(subs, dtype=np.int64)
    starts = np.fromiter((ordinal(a.start) for a in assocs), dtype=np.int64, count=n)
    ends = np.fromiter((ordinal(a.end) for a in assocs), dtype=np.int64, count=n)
    tl = k.timelines(sub, starts, ends)
    table_cache(table)["timelines"] = (key, assocs, tl)
    return assocs, tl


def table_cache(table: UsageTable) -> dict[str, Any]:
    """A cache dictionary kept with the table (for the engine's derived arrays)."""
    return table.cache


def _segment_keys(
    policy: Any, assocs: list[Association], tl: k.Timelines
) -> npt.NDArray[np.int64] | None:
    """One key per segment such that equal keys get equal answers (see ``decision_fields``);
    -1 for a segment with no association; ``None`` to ask once per segment.

    A segment's key is the sorted tuple of its associations' codes on the declared fields: the
    order of ``active`` follows the starts, which a policy not declaring ``start`` ignores.
    """
    fields = decision_fields(policy)
    if fields is None:
        return None
    content: dict[tuple[Any, ...], int] = {}
    codes = (
        np.fromiter(
            (
                content.setdefault(t, len(content))
                for t in zip(*(map(_getter(f), assocs) for f in fields), strict=True)
            ),
            dtype=np.int64,
            count=len(assocs),
        )
        if assocs
        else np.zeros(0, dtype=np.int64)
    )
    sizes = np.diff(tl.seg_off)
    keys = np.full(len(sizes), -1, dtype=np.int64)
    single = np.flatnonzero(sizes == 1)
    keys[single] = codes[tl.assoc[tl.seg_off[single]]]
    multi: dict[tuple[int, ...], int] = {}
    base = len(content)
    for g in np.flatnonzero(sizes > 1).tolist():
        t = tuple(sorted(codes[tl.assoc[tl.seg_off[g] : tl.seg_off[g + 1]]].tolist()))
        keys[g] = base + multi.setdefault(t, len(multi))
    return keys


def _getter(field: str) -> Any:
    from operator import attrgetter

    return attrgetter(field)


def attribute_arrays(
    policy: Any,
    sub: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    minor: npt.NDArray[np.int64],
    associations: list[Association],
    timelines: k.Timelines,
    usage: Callable[[int], Usage],
    big: dict[int, int] | None = None,
) -> tuple[npt.NDArray[np.int64], list[k.Plan], k.Allocation]:
    """The kernel on plain arrays, for one bucket of subscriptions (a Spark task, say).

    Args:
        policy: the credit policy.
        sub: each row's subscription code (the codes of ``timelines``).
        month: each row's month as a day ordinal (its first day).
        minor: each row's amount in minor units (int64; 0 for rows in ``big``).
        associations: the associations, grouped by subscription code, each group in
            ``Ledger.associations_of`` order.
        timelines: ``_kernel.timelines(codes, starts, ends)`` of ``associations``.
        usage: row number -> ``Usage`` record (what the policy is shown).
        big: minor units of rows that do not fit in an int64, by row number.

    Returns:
        Each row's plan index, the plans, and the credit columns.
    """
    split = bool(getattr(policy, "split", False))
    seg_off, seg_assoc = timelines.seg_off, timelines.assoc

    def ask(g: int, row: int, lo: dt.date, hi: dt.date) -> k.Awards:
        active = (
            tuple(associations[i] for i in seg_assoc[seg_off[g] : seg_off[g + 1]].tolist())
            if g >= 0
            else ()
        )
        return k.awards_of(k.decide(policy, usage(row), active, lo, hi))

    if getattr(policy, "usage_independent", False):
        keys = _segment_keys(policy, associations, timelines)
        plan_of_row, plans = k.plan_rows(timelines, sub, month, ask, keys, split=split)
    else:
        plan_of_row, plans = k.plan_each_row(timelines, sub, month, ask, split=split)
    alloc = k.allocate(plan_of_row, minor, big or {}, plans, split=split)
    return plan_of_row, plans.items, alloc


def run(
    ledger: Ledger, table: UsageTable, policy: Any, scope: npt.NDArray[np.int64] | None
) -> Result:
    """Attribute the table's rows in ``scope`` (all when ``None``)."""
    assocs, tl = association_arrays(ledger, table)
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

    plan_of_row, plans, alloc = attribute_arrays(policy, sub, month, minor, assocs, tl, usage, big)
    return Result(ledger, table, policy, scope, plan_of_row, plans, alloc, assocs, tl)
