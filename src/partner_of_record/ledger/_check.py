"""One validation run: ``STRUCTURAL_CHECKS``, then the rule set's rules, by one loop.

Each rule becomes a step of the same shape as a structural check (``rule_step``): an error
finding rejects the first record of its ``subject`` (once), and the records that refer to a
rejected one are rejected too (``REJECTED_REFERENCE``, by the same reference checks). A rule
does not see the records an earlier step rejected.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from partner_of_record.errors import Finding
from partner_of_record.ledger._links import _assoc_order
from partner_of_record.ledger._records import Rejection
from partner_of_record.ledger._state import Checked, Step
from partner_of_record.ledger._structural import (
    _ROW_CHECKS,
    STRUCTURAL_CHECKS,
    _links_with_targets,
    _reindexed,
    _subscriptions_with_customers,
    _without,
    distinct_associations,
)
from partner_of_record.model import (
    Association,
    Customer,
    Partner,
    Record,
    SeatUsage,
    Subscription,
    SubscriptionId,
    Usage,
)
from partner_of_record.rules import Rule, RuleSet

if TYPE_CHECKING:
    from partner_of_record.ledger._ledger import Ledger

_E = TypeVar("_E", Partner, Customer)


# ---------------------------------------------------------------- rules and cascades


def rule_step(rule: Rule) -> Step:
    """The step that runs ``rule``: each error finding rejects the first record of its subject
    (once), and the records referring to a rejected one are rejected too."""

    def step(state: Checked) -> Checked:
        findings: list[Finding] = []
        victims: list[Record] = []
        rejected: list[Rejection] = []
        taken: set[int] = set()  # by identity: a subject need not be hashable
        for finding in rule.check(state.facts()):
            findings.append(finding)
            if finding.severity != "error" or not finding.subject:
                continue
            victim = finding.subject[0]
            if id(victim) not in taken:
                taken.add(id(victim))
                victims.append(victim)
                rejected.append(Rejection(victim, finding))
        state = attrs.evolve(
            state,
            findings=state.findings + tuple(findings),
            rejected=state.rejected + tuple(rejected),
        )
        return _cascade(state, victims) if victims else state

    return step


def _cascade(state: Checked, victims: list[Record]) -> Checked:
    """Remove records rejected by a rule, and reject the records that refer to them."""
    changes: dict[str, Any] = {}
    partners = [v for v in victims if isinstance(v, Partner)]
    if partners:
        kept_p, by_pid, gone_p = _entities_without(state.partners, partners, state.gone_partners)
        changes.update(partners=kept_p, partners_by_id=by_pid, gone_partners=gone_p)
    customers = [v for v in victims if isinstance(v, Customer)]
    if customers:
        kept_c, by_cid, gone_c = _entities_without(state.customers, customers, state.gone_customers)
        changes.update(customers=kept_c, customers_by_id=by_cid, gone_customers=gone_c)
    state = attrs.evolve(state, **changes) if changes else state
    subs = _without(state.subscriptions, victims)
    subs_changed = False
    if len(subs) != len(state.subscriptions) or state.gone_customers:
        kept, found = _subscriptions_with_customers(state, subs, "UNKNOWN_CUSTOMER")
        subs_changed = len(kept) != len(state.subscriptions)
        by_sid = {s.id: s for s in kept}
        before = {s.id for s in state.subscriptions}
        state = state.found(
            found,
            subscriptions=kept,
            subscriptions_by_id=by_sid,
            gone_subscriptions=state.gone_subscriptions | (before - by_sid.keys()),
        )
    associations, found = _links_with_targets(
        state,
        _without(state.associations, victims),
        "UNKNOWN_SUBSCRIPTION",
        "UNKNOWN_PARTNER",
    )
    if len(associations) != len(state.associations):
        state = state.found(found, **_reindexed(state, associations))
    if any(isinstance(v, Usage | SeatUsage) for v in victims):
        state = attrs.evolve(
            state, usage=_without(state.usage, victims), seats=_without(state.seats, victims)
        )
    if subs_changed:
        state = run(state, _ROW_CHECKS)
    return state


def _entities_without(
    records: tuple[_E, ...], victims: list[_E], gone: frozenset[str]
) -> tuple[tuple[_E, ...], dict[str, _E], frozenset[str]]:
    """``records`` without ``victims``, the kept ones by id, and ``gone`` with the ids that no
    kept record has any more."""
    kept = _without(records, victims)
    by_id = {r.id: r for r in kept}
    return kept, by_id, gone | ({v.id for v in victims} - by_id.keys())


def run(state: Checked, steps: Iterable[Step]) -> Checked:
    """Apply ``steps`` in order: the one loop of every validation run."""
    for step in steps:
        state = step(state)
    return state


# ---------------------------------------------------------------- runs


def _check(
    partners: Iterable[Partner],
    customers: Iterable[Customer],
    subscriptions: Iterable[Subscription],
    associations: Iterable[Association],
    usage: Iterable[Usage],
    seats: Iterable[SeatUsage],
    rules: RuleSet,
    *,
    handover: bool = False,
) -> Checked:
    """Check a new ledger's records: the structural checks, then the rules."""
    if not isinstance(rules, RuleSet):
        msg = f"Ledger.rules: {rules!r} is not a RuleSet"
        raise TypeError(msg)
    with _no_gc():
        state = Checked(
            rules,
            handover,
            partners=_typed(partners, Partner, "partners"),
            customers=_typed(customers, Customer, "customers"),
            subscriptions=_typed(subscriptions, Subscription, "subscriptions"),
            associations=_typed(associations, Association, "associations"),
            usage=_typed(usage, Usage, "usage"),
            seats=_typed(seats, SeatUsage, "seats"),
        )
        return run(state, (*STRUCTURAL_CHECKS, *map(rule_step, rules.rules)))


def _recheck(
    base: Ledger, replaced: Mapping[int, Association], added: tuple[Association, ...]
) -> Checked:
    """Check ``base``'s records with a few associations replaced (same subscription, kind,
    partner and start; by ``id`` of the old one) or added, updating ``base``'s indexes instead
    of rebuilding them; entities and rows are carried over (already checked). Gives the same
    result as a new ledger of the new associations."""
    state = Checked(
        base._rules,
        partners=base._partners,
        customers=base._customers,
        subscriptions=base._subscriptions,
        usage=base._usage,
        seats=base._seats,
        partners_by_id=base._partners_by_id,
        customers_by_id=base._customers_by_id,
        subscriptions_by_id=base._subscriptions_by_id,
    )
    with _no_gc():
        added, found = _links_with_targets(state, added, "UNKNOWN_SUBSCRIPTION", "UNKNOWN_PARTNER")
        old = base._associations
        associations = old if not replaced else tuple(replaced.get(id(a), a) for a in old)
        ordered = list(base._ordered)
        affected: set[SubscriptionId] = set()
        for old_id, new in replaced.items():
            i = bisect.bisect_left(ordered, _assoc_order(new), key=_assoc_order)
            while id(ordered[i]) != old_id:
                i += 1
            ordered[i] = new
            affected.add(new.subscription_id)
        for a in added:
            bisect.insort_right(ordered, a, key=_assoc_order)
            affected.add(a.subscription_id)
        by_sub = dict(base._assoc_by_sub)
        for sub in affected:
            items = [replaced.get(id(a), a) for a in by_sub.get(sub, ())]
            items.extend(a for a in added if a.subscription_id == sub)
            by_sub[sub] = tuple(sorted(items, key=_assoc_order))
        state = state.found(
            found,
            associations=associations + added,
            ordered=tuple(ordered),
            by_sub=by_sub,
            suspects=tuple(affected),
        )
        return run(state, (distinct_associations, *map(rule_step, base._rules.rules)))


def _typed(records: Iterable[Any], record_type: type[Any], field: str) -> tuple[Any, ...]:
    """Return ``records`` as a tuple; raise a TypeError naming the first of another type."""
    rows = tuple(records)
    if rows and set(map(type, rows)) != {record_type}:
        for i, r in enumerate(rows):
            if not isinstance(r, record_type):
                msg = f"Ledger.{field}[{i}]: {r!r} is not a {record_type.__name__}"
                raise TypeError(msg)
    return rows


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while checking.

    The checks allocate millions of small tuples (keys, index entries) that hold no cycles; the
    collector's repeated passes over them more than doubled the time on large ledgers. The
    previous state is restored on exit, also when a check raises.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
