"""The attribution engine: ``attribute(ledger, policy) -> Credits``.

``attribute`` gathers the arrays (the ledger's usage columns, its associations as arrays and
what derives from them without the policy, kept per ledger by ``_facts``) and hands them to the
kernel in ``_kernel``; the result is kept as columns in a ``_result.Result``, which ``Credits``
reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import UsageTable
from partner_of_record.attribution import _decide, _facts
from partner_of_record.attribution import _kernel as k
from partner_of_record.attribution._result import Result
from partner_of_record.attribution._weights import UnitWeights
from partner_of_record.attribution.credits import Credits
from partner_of_record.attribution.policies import Policy, RecognizeAll
from partner_of_record.ledger import Ledger
from partner_of_record.model import Usage

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
    return Credits._from_result(_run(ledger, table, policy, scope))


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


def _attribute_arrays(
    policy: Any,
    sub: npt.NDArray[np.int64],
    month: npt.NDArray[np.int64],
    facts: _facts.Facts,
    usage: Callable[[int], Usage],
    *,
    keep: bool = False,
) -> tuple[UnitWeights, k.I64, dict[Any, Any]]:
    """The kernel on plain arrays, up to the weights of each unit of rows (rounding is left to
    ``Result``, which does it when per-row credits are needed).

    Args:
        policy: the credit policy.
        sub: each row's subscription code (the codes of ``facts``).
        month: each row's month as a day ordinal (its first day).
        facts: ``_facts.facts_of(associations, codes)``: the associations, grouped by
            subscription code, each group in ``Ledger.associations_of`` order, as arrays.
        usage: row number -> ``Usage`` record (what the policy is shown).
        keep: the rows are all of the table ``facts`` is kept with: keep their location and
            decision keys with ``facts`` (they do not depend on the policy).

    Returns:
        Each unit's exact weights, each row's unit, and where sums over the units that do not
        depend on the policy may be kept: with ``facts`` when ``keep`` and the units are the
        kept ones (segments and cut months), else a new dict (the per-row path's units are its
        plans).
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
        return _decide.awards_of(_decide.decide(policy, usage(row), active, lo, hi))

    if getattr(policy, "usage_independent", False):
        declared = _facts.decision_fields(policy)
        _, un, seg_key, rk = _facts.located(facts, sub, month, declared, keep=keep)
        units = k.weigh(rk, un, seg_key, facts.seg_partners, facts.names, ask, split=split)
        return units, un.unit, facts.rows if keep else {}
    plan_of_row, plans = _decide.plan_each_row(timelines, sub, month, ask, split=split)
    return _decide.units_of_plans(plans), plan_of_row, {}


def _run(
    ledger: Ledger, table: UsageTable, policy: Any, scope: npt.NDArray[np.int64] | None
) -> Result:
    """Attribute the table's rows in ``scope`` (all when ``None``)."""
    facts = _facts.association_arrays(ledger, table)
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

    units, unit, kept = _attribute_arrays(policy, sub, month, facts, usage, keep=scope is None)
    return Result(
        ledger,
        table,
        policy,
        scope,
        units,
        unit,
        minor,
        big or {},
        kept,
        facts.associations,
        facts.timelines,
    )
