"""The structural checks: one named function each, listed in ``STRUCTURAL_CHECKS``.

Each check is a function ``Checked -> Checked`` that writes the literal codes it emits where it
builds its findings. An error finding rejects the first record of its ``subject``; a rejected
record is not seen by the next check. The one-line descriptions of the codes are
``partner_of_record.rules.STRUCTURAL_CODES``: the rules package cannot import the ledger
(model <- rules <- ledger), so they are not derived from this tuple.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import numpy as np

from partner_of_record.errors import Finding
from partner_of_record.ledger._links import (
    _CUSTOMER_ID,
    _FOREVER,
    _PARTNER_ID,
    _SEAT_KEY,
    _SUB_ID,
    _USAGE_KEY,
    _Links,
    _tiebreak,
)
from partner_of_record.ledger._state import Checked, Step
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    Partner,
    PartnerId,
    Record,
    SeatUsage,
    Subscription,
    Usage,
)
from partner_of_record.rules import ExclusiveKind, dpor_handovers, handover_kinds

# ---------------------------------------------------------------- helpers of the checks

_ID = operator.attrgetter("id")


def _label(record: object) -> str:
    """A record as the checks' messages name it (``Partner 'P1'``, ``Usage S1 2024-01 ...``)."""
    if isinstance(record, Association):
        return record.describe()
    if isinstance(record, Usage):
        return f"Usage {record.describe()}"
    if isinstance(record, SeatUsage):
        return f"SeatUsage {record.subscription_id} {record.month:%Y-%m}"
    if isinstance(record, Partner | Customer | Subscription):
        return f"{type(record).__name__} {record.id!r}"
    return repr(record)


def _missing(record: Record, field: str, ref: str, gone: frozenset[str], code: str) -> Finding:
    """``record``'s ``field`` names ``ref``, which is not kept: ``REJECTED_REFERENCE`` if it
    was rejected, else ``code`` (an ``UNKNOWN_...`` code naming the target type)."""
    target = code.removeprefix("UNKNOWN_").title()
    if ref in gone:
        return Finding(
            "REJECTED_REFERENCE",
            f"{_label(record)}: {field} {ref!r} names a {target} that was rejected",
            (record,),
        )
    return Finding(
        code,
        f"{_label(record)}: {field} {ref!r} names a {target} that is not in the ledger",
        (record,),
    )


def _dedupe(
    records: tuple[Any, ...], label: str, code: str
) -> tuple[dict[Any, Any], tuple[Any, ...], list[Finding]]:
    """The records by id, the records with a new id, and ``code`` for each other."""
    by_id = dict(zip(map(_ID, records), records, strict=True))
    if len(by_id) == len(records):
        return by_id, records, []
    by_id = {}
    kept = []
    found = []
    for r in records:
        first = by_id.get(r.id)
        if first is not None:
            found.append(
                Finding(
                    code,
                    f"{label} {r.id!r} is listed more than once: {r!r} repeats the id of "
                    f"{first!r}, which is kept",
                    (r, first),
                )
            )
        else:
            by_id[r.id] = r
            kept.append(r)
    return by_id, tuple(kept), found


def _subscriptions_with_customers(
    state: Checked, subscriptions: tuple[Subscription, ...], code: str
) -> tuple[tuple[Subscription, ...], list[Finding]]:
    """The subscriptions naming a kept customer; ``code`` (or a cascade) for the others."""
    known = state.customers_by_id
    if set(map(_CUSTOMER_ID, subscriptions)) <= known.keys():
        return subscriptions, []
    kept = []
    found = []
    for s in subscriptions:
        if s.customer_id in known:
            kept.append(s)
        else:
            found.append(_missing(s, "customer_id", s.customer_id, state.gone_customers, code))
    return tuple(kept), found


def _links_with_targets(
    state: Checked,
    associations: tuple[Association, ...],
    unknown_subscription: str,
    unknown_partner: str,
) -> tuple[tuple[Association, ...], list[Finding]]:
    """The associations naming a kept subscription and partner; ``unknown_subscription`` or
    ``unknown_partner`` (or a cascade) for the others."""
    subs = state.subscriptions_by_id
    partners = state.partners_by_id
    if (
        set(map(_SUB_ID, associations)) <= subs.keys()
        and {a.partner_id for a in associations} <= partners.keys()
    ):
        return associations, []
    kept = []
    found = []
    for a in associations:
        if a.subscription_id not in subs:
            found.append(
                _missing(
                    a,
                    "subscription_id",
                    a.subscription_id,
                    state.gone_subscriptions,
                    unknown_subscription,
                )
            )
        elif a.partner_id not in partners:
            found.append(
                _missing(a, "partner_id", a.partner_id, state.gone_partners, unknown_partner)
            )
        else:
            kept.append(a)
    return tuple(kept), found


def _rows_with_subscriptions(
    state: Checked, rows: Sequence[Any], code: str
) -> tuple[Sequence[Any], list[Finding]]:
    """The usage or seat rows naming a kept subscription; ``code`` (or a cascade) for the
    others."""
    subs = state.subscriptions_by_id
    if set(map(_SUB_ID, rows)) <= subs.keys():
        return rows, []
    known = list(map(subs.__contains__, map(_SUB_ID, rows)))
    found = [
        _missing(
            r,
            "subscription_id",
            r.subscription_id,
            state.gone_subscriptions,
            code,
        )
        for r in itertools.compress(rows, map(operator.not_, known))
    ]
    return tuple(itertools.compress(rows, known)), found


def _unique_rows(
    rows: Sequence[Any], key: Callable[[Any], tuple[Any, ...]], code: str, what: str, fields: str
) -> tuple[Sequence[Any], list[Finding]]:
    """The rows whose key no earlier row has; ``code`` for the others (``what`` names a row and
    ``fields`` its key in the message)."""
    if len(set(map(key, rows))) == len(rows):
        return rows, []
    # without a Python-level loop over every row: the index of each key's first row (later
    # assignments win, so assign in reverse), then the rows that are not it
    keys = list(map(key, rows))
    n = len(keys)
    first = dict(zip(reversed(keys), range(n - 1, -1, -1), strict=True))
    firsts = list(map(first.__getitem__, keys))
    found = []
    for i in itertools.compress(range(n), map(operator.ne, firsts, range(n))):
        r, kept = rows[i], rows[firsts[i]]
        found.append(
            Finding(
                code,
                f"{_label(r)} has the same {what} key {fields} as {_label(kept)}, which is kept",
                (r, kept),
            )
        )
    return tuple(itertools.compress(rows, map(operator.eq, firsts, range(n)))), found


def _reindexed(state: Checked, associations: tuple[Association, ...], **changes: Any) -> Any:
    """The changes that keep ``associations`` (a subset of the state's) and index them anew."""
    keep = set(map(id, associations))
    ordered = tuple(a for a in state.ordered if id(a) in keep)
    links = _Links(ordered, ordered=True)
    return {
        **changes,
        "associations": associations,
        "ordered": ordered,
        "by_sub": links.by_subscription(),
        "by_kind": links.by_kind(),
        "links": None,
    }


def _without(records: Sequence[Any], victims: Sequence[Record]) -> tuple[Any, ...]:
    """``records`` without ``victims``, by identity: a finding names the very record it refuses
    (two records can be equal: the later of two equal usage rows is a duplicate)."""
    gone = set(map(id, victims))
    return tuple(r for r in records if id(r) not in gone)


# ---------------------------------------------------------------- the structural checks


def unique_partner_ids(state: Checked) -> Checked:
    """Partners: the later of two with the same id is a ``DUPLICATE_ID``."""
    by_id, kept, found = _dedupe(state.partners, "Partner", "DUPLICATE_ID")
    return state.found(found, partners=kept, partners_by_id=by_id)


def unique_customer_ids(state: Checked) -> Checked:
    """Customers: the later of two with the same id is a ``DUPLICATE_ID``."""
    by_id, kept, found = _dedupe(state.customers, "Customer", "DUPLICATE_ID")
    return state.found(found, customers=kept, customers_by_id=by_id)


def known_customers(state: Checked) -> Checked:
    """Subscriptions: one naming an unknown customer is an ``UNKNOWN_CUSTOMER``."""
    subscriptions = state.subscriptions
    kept, found = _subscriptions_with_customers(state, subscriptions, "UNKNOWN_CUSTOMER")
    if len(kept) == len(subscriptions):
        return state
    gone = {s.id for s in subscriptions} - {s.id for s in kept}
    return state.found(
        found, subscriptions=kept, gone_subscriptions=state.gone_subscriptions | gone
    )


def unique_subscription_ids(state: Checked) -> Checked:
    """Subscriptions: the later of two with the same id is a ``DUPLICATE_ID``."""
    by_id, kept, found = _dedupe(state.subscriptions, "Subscription", "DUPLICATE_ID")
    return state.found(found, subscriptions=kept, subscriptions_by_id=by_id)


def known_link_targets(state: Checked) -> Checked:
    """Associations: one naming an unknown subscription or partner is an
    ``UNKNOWN_SUBSCRIPTION`` or ``UNKNOWN_PARTNER``; the kept ones are indexed."""
    associations = state.associations
    n = len(associations)
    # one lookup per association both checks its references and codes them for the index
    subs = list(state.subscriptions_by_id)
    sub_code = dict(zip(subs, range(len(subs)), strict=True))
    partner_rank = {p: i for i, p in enumerate(sorted(state.partners_by_id))}
    sub = np.fromiter(
        map(sub_code.get, map(_SUB_ID, associations), itertools.repeat(-1)), np.int64, n
    )
    partner = np.fromiter(
        map(partner_rank.get, map(_PARTNER_ID, associations), itertools.repeat(-1)), np.int64, n
    )
    known = (sub >= 0) & (partner >= 0)
    found: list[Finding] = []
    if not known.all():
        associations, found = _links_with_targets(
            state, associations, "UNKNOWN_SUBSCRIPTION", "UNKNOWN_PARTNER"
        )
        sub, partner = sub[known], partner[known]
    links = _Links(associations, codes=(sub, subs, partner))
    return state.found(
        found,
        associations=associations,
        ordered=links.ordered,
        by_sub=links.by_subscription(),
        links=links,
        suspects=tuple(links.repeated()),
    )


def hand_over_dpors(state: Checked) -> Checked:
    """Associations, lenient loading only: an open DPOR ends where another partner's starts.

    An open-ended DPOR ends on the earliest later start of a DPOR of another partner on its
    subscription, as `Ledger.name_dpor` would have recorded the change (one DPOR per
    subscription at a time; a new one replaces the old). Each handover is an informational
    ``DPOR_HANDOVER`` finding. Applied before the duplicate check (so P1, P2, then P1 again
    reads as two changes) and only when the rule set makes DPOR exclusive per subscription
    (`rules.handover_kinds`). Two DPORs starting the same day, or a closed window overlapping
    a later DPOR, are left to the rules (``DPOR_OVERLAP``).

    A DPOR that another rule of the set refuses on its own (one granted by the partner, say)
    hands nothing over: it will be rejected, so it must not end its predecessor."""
    if not state.handover:
        return state
    grouped = state.by_sub
    pending: list[tuple[AssociationKind, Sequence[Association]]] = []
    for kind in handover_kinds(state.rules):
        # only subscriptions with two associations of the kind or more can hand over
        counts = Counter(map(_SUB_ID, [a for a in state.ordered if a.kind is kind]))
        pending.extend(
            (kind, grouped[sub])
            for sub, count in counts.items()
            if count > 1 and dpor_handovers(grouped[sub], kind)
        )
    if not pending:
        return state
    refused = _refused_alone(state)
    replaced: dict[int, Association] = {}
    originals: dict[int, Association] = {}
    found = []
    for kind, items in pending:
        valid = [a for a in items if id(a) not in refused]
        for old, new, by in dpor_handovers(valid, kind):
            replaced[id(old)] = new
            originals[id(new)] = old
            found.append(
                Finding(
                    f"{kind.name}_HANDOVER",
                    f"{kind.name} of {old.partner_id} on {old.subscription_id} ended "
                    f"{by.start.isoformat()} by the {kind.name} of {by.partner_id}",
                    (new, by),
                    "info",
                )
            )
    if not replaced:
        return state
    return state.found(
        found,
        associations=tuple(replaced.get(id(a), a) for a in state.associations),
        ordered=tuple(replaced.get(id(a), a) for a in state.ordered),
        by_sub={
            sub: tuple([replaced.get(id(a), a) for a in items]) for sub, items in grouped.items()
        },
        originals={**state.originals, **originals},
    )


def _refused_alone(state: Checked) -> set[int]:
    """The ids of the associations a rule other than an ``ExclusiveKind`` refuses (errors
    naming them first), checked before any handover is applied."""
    others = [r for r in state.rules.rules if not isinstance(r, ExclusiveKind)]
    if not others:
        return set()
    facts = attrs.evolve(
        state.facts(), by_kind=_Links(state.ordered, ordered=True).by_kind(), usage=(), seats=()
    )
    return {
        id(f.subject[0])
        for rule in others
        for f in rule.check(facts)
        if f.severity == "error" and f.subject
    }


def distinct_associations(state: Checked) -> Checked:
    """Associations: the later of two of the same partner, subscription and kind in effect on
    the same day is a ``DUPLICATE_ASSOCIATION`` (same start: the later in a total order)."""
    found = []
    for sub in state.suspects:
        items = state.by_sub[sub]
        if len(items) < 2:
            continue
        current: dict[tuple[PartnerId, AssociationKind], Association] = {}
        for a in items:
            key = (a.partner_id, a.kind)
            prev = current.get(key)
            if prev is not None and a.start < (prev.end or _FOREVER):
                loser, winner = a, prev
                if a.start == prev.start and _tiebreak(a) < _tiebreak(prev):
                    # same start: keep the one first in a total order, not in input order
                    loser, winner = prev, a
                    current[key] = a
                found.append(
                    Finding(
                        "DUPLICATE_ASSOCIATION",
                        f"{loser.describe()} overlaps {winner.describe()}: the same partner, "
                        f"subscription and kind in effect twice on the same day",
                        (loser, winner),
                    )
                )
                continue
            current[key] = a
    if found:
        losers = [f.subject[0] for f in found]
        return state.found(found, **_reindexed(state, _without(state.associations, losers)))
    if state.links is not None:
        by_kind = state.links.by_kind(state.ordered)
    else:
        by_kind = _Links(state.ordered, ordered=True).by_kind()
    return state.found((), by_kind=by_kind, links=None, suspects=())


def known_usage_subscriptions(state: Checked) -> Checked:
    """Usage rows: one naming an unknown subscription is an ``UNKNOWN_SUBSCRIPTION``."""
    usage, found = _rows_with_subscriptions(state, state.usage, "UNKNOWN_SUBSCRIPTION")
    return state.found(found, usage=usage)


def unique_usage_keys(state: Checked) -> Checked:
    """Usage rows: the later of two with the same key is a ``DUPLICATE_USAGE``."""
    usage, found = _unique_rows(
        state.usage,
        _USAGE_KEY,
        "DUPLICATE_USAGE",
        "usage row",
        "(subscription, month, service, currency)",
    )
    return state.found(found, usage=usage)


def known_seat_subscriptions(state: Checked) -> Checked:
    """Seat records: one naming an unknown subscription is an ``UNKNOWN_SUBSCRIPTION``."""
    seats, found = _rows_with_subscriptions(state, state.seats, "UNKNOWN_SUBSCRIPTION")
    return state.found(found, seats=tuple(seats))


def unique_seat_keys(state: Checked) -> Checked:
    """Seat records: the later of two with the same key is a ``DUPLICATE_SEATS``."""
    seats, found = _unique_rows(
        state.seats, _SEAT_KEY, "DUPLICATE_SEATS", "seat record", "(subscription, month)"
    )
    return state.found(found, seats=tuple(seats))


STRUCTURAL_CHECKS: tuple[Step, ...] = (
    unique_partner_ids,
    unique_customer_ids,
    known_customers,
    unique_subscription_ids,
    known_link_targets,
    hand_over_dpors,
    distinct_associations,
    known_usage_subscriptions,
    unique_usage_keys,
    known_seat_subscriptions,
    unique_seat_keys,
)
"""The always-on checks, in the order they run (before the rules)."""

_ROW_CHECKS: tuple[Step, ...] = (
    known_usage_subscriptions,
    unique_usage_keys,
    known_seat_subscriptions,
    unique_seat_keys,
)
"""The checks of usage and seat rows, re-run when a rule's rejection removes a subscription."""
