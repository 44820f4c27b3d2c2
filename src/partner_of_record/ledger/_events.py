"""The event verbs: each records one change of history and returns a new ledger.

The full description of each verb (arguments, what it refuses) is the docstring of the
`Ledger` method of the same name, which calls it; the rules all events share are in the
package documentation of ``partner_of_record.ledger``. The verbs of one kind (``link_pal``,
``grant_dap``, ``revoke_gdap``, ``claim_cpor`` ...) are `associate` or `end_association` with
that kind, called so by their `Ledger` methods.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.ledger._records import EventError, _as_day, _as_optional_day
from partner_of_record.model import Actor, Association, AssociationKind, PartnerId, SubscriptionId

if TYPE_CHECKING:
    from partner_of_record.ledger._ledger import Ledger


def associate(
    ledger: Ledger,
    subscription_id: SubscriptionId,
    partner_id: PartnerId,
    kind: AssociationKind,
    on: dt.date | str,
    end: dt.date | str | None,
    **fields: Any,
) -> Ledger:
    """Record the event of `Ledger.associate` (described there); ``fields`` are the new
    association's keyword fields (``granted_by``, ``role``, ``auto_extend_days``)."""
    on = _as_day(on, "associate", "on")
    end = _as_optional_day(end, "associate", "end")
    ledger.subscription(subscription_id)
    ledger.partner(partner_id)
    new = Association(partner_id, subscription_id, kind, on, end, **fields)
    for a in ledger.associations_of(subscription_id):
        if a.partner_id == partner_id and a.kind is kind and a.overlaps(on, end):
            msg = (
                f"cannot record {new.describe()}: {a.describe()} is in effect on some of "
                "the same days"
            )
            raise EventError(msg)
    return ledger._derive(added=(new,))


def end_association(
    ledger: Ledger,
    subscription_id: SubscriptionId,
    partner_id: PartnerId,
    kind: AssociationKind,
    on: dt.date | str,
) -> Ledger:
    """Record the event of `Ledger.end_association` (described there)."""
    on = _as_day(on, "end_association", "on")
    ledger.subscription(subscription_id)
    found = [
        a
        for a in ledger.associations_of(subscription_id)
        if a.partner_id == partner_id and a.kind is kind
    ]
    what = f"{kind.name} of partner {partner_id!r} on subscription {subscription_id!r}"
    if not found:
        msg = f"cannot end the {what} on {on.isoformat()}: there is none"
        raise EventError(msg)
    current = next((a for a in found if a.in_effect_on(on)), None)
    if current is None:
        later = next((a for a in found if a.start > on), None)
        if later is not None:
            msg = (
                f"cannot end {later.describe()} on {on.isoformat()}: that is before its "
                f"start {later.start.isoformat()}"
            )
        else:
            msg = (
                f"cannot end the {what} on {on.isoformat()}: none is in effect that day "
                f"(latest: {found[-1].describe()})"
            )
        raise EventError(msg)
    if on <= current.start:
        msg = (
            f"cannot end {current.describe()} on {on.isoformat()}: the end must be after its "
            f"start {current.start.isoformat()}"
        )
        raise EventError(msg)
    return ledger._derive({id(current): attrs.evolve(current, end=on)})


def name_dpor(
    ledger: Ledger,
    subscription_id: SubscriptionId,
    partner_id: PartnerId,
    on: dt.date | str,
    *,
    granted_by: Actor | None = Actor.CUSTOMER,
) -> Ledger:
    """Record the event of `Ledger.name_dpor` (described there)."""
    on = _as_day(on, "name_dpor", "on")
    ledger.subscription(subscription_id)
    ledger.partner(partner_id)
    dpors = [a for a in ledger.associations_of(subscription_id) if a.kind is AssociationKind.DPOR]
    later = next((a for a in dpors if a.start > on), None)
    if later is not None:
        msg = (
            f"cannot name {partner_id!r} DPOR of {subscription_id!r} on {on.isoformat()}: "
            f"{later.describe()} starts later; record history in date order"
        )
        raise EventError(msg)
    current = next((a for a in dpors if a.in_effect_on(on)), None)
    replaced: dict[int, Association] = {}
    if current is not None:
        if current.partner_id == partner_id:
            msg = (
                f"cannot name {partner_id!r} DPOR of {subscription_id!r} on {on.isoformat()}: "
                f"it already is ({current.describe()})"
            )
            raise EventError(msg)
        if current.start == on:
            msg = (
                f"cannot name {partner_id!r} DPOR of {subscription_id!r} on {on.isoformat()}: "
                f"{current.describe()} starts that day and cannot end on its first day"
            )
            raise EventError(msg)
        replaced[id(current)] = attrs.evolve(current, end=on)
    new = Association(partner_id, subscription_id, AssociationKind.DPOR, on, granted_by=granted_by)
    return ledger._derive(replaced, (new,))


def remove_dpor(ledger: Ledger, subscription_id: SubscriptionId, on: dt.date | str) -> Ledger:
    """Record the event of `Ledger.remove_dpor` (described there)."""
    on = _as_day(on, "remove_dpor", "on")
    current = ledger.dpor(subscription_id, on)
    if current is None:
        msg = f"cannot remove the DPOR of {subscription_id!r} on {on.isoformat()}: there is none"
        raise EventError(msg)
    return ledger.end_association(subscription_id, current.partner_id, AssociationKind.DPOR, on)
