"""The ledger: a checked, indexed, immutable set of facts.

SKELETON: indexes and lookups only. Validation against the rule set, lenient loading, the
event-style history API and the as-of queries are being added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from partner_of_record.model import (
    Association,
    Customer,
    CustomerId,
    Partner,
    PartnerId,
    SeatUsage,
    Subscription,
    SubscriptionId,
    Usage,
)

__all__ = ["Ledger"]


class Ledger:
    """An immutable, validated set of partners, customers, subscriptions, associations and usage."""

    __slots__ = (
        "_assoc_by_sub",
        "_associations",
        "_customers",
        "_customers_by_id",
        "_partners",
        "_partners_by_id",
        "_seats",
        "_subscriptions",
        "_subscriptions_by_id",
        "_usage",
    )

    def __init__(
        self,
        partners: Iterable[Partner] = (),
        customers: Iterable[Customer] = (),
        subscriptions: Iterable[Subscription] = (),
        associations: Iterable[Association] = (),
        usage: Iterable[Usage] = (),
        seats: Iterable[SeatUsage] = (),
    ) -> None:
        self._partners = tuple(partners)
        self._customers = tuple(customers)
        self._subscriptions = tuple(subscriptions)
        self._associations = tuple(associations)
        self._usage = tuple(usage)
        self._seats = tuple(seats)
        self._partners_by_id = {p.id: p for p in self._partners}
        self._customers_by_id = {c.id: c for c in self._customers}
        self._subscriptions_by_id = {s.id: s for s in self._subscriptions}
        by_sub: dict[SubscriptionId, list[Association]] = {}
        for a in self._associations:
            by_sub.setdefault(a.subscription_id, []).append(a)
        self._assoc_by_sub = {
            sub: tuple(sorted(items, key=lambda a: (a.start, a.kind.value, a.partner_id)))
            for sub, items in by_sub.items()
        }

    @property
    def partners(self) -> tuple[Partner, ...]:
        """The partners, in input order."""
        return self._partners

    @property
    def customers(self) -> tuple[Customer, ...]:
        """The customers, in input order."""
        return self._customers

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The subscriptions, in input order."""
        return self._subscriptions

    @property
    def associations(self) -> tuple[Association, ...]:
        """The associations, in input order."""
        return self._associations

    @property
    def usage(self) -> tuple[Usage, ...]:
        """The monthly usage rows, in input order."""
        return self._usage

    @property
    def seats(self) -> tuple[SeatUsage, ...]:
        """The monthly seat records, in input order."""
        return self._seats

    def partner(self, partner_id: PartnerId) -> Partner:
        """Return the partner with this id."""
        return self._partners_by_id[partner_id]

    def customer(self, customer_id: CustomerId) -> Customer:
        """Return the customer with this id."""
        return self._customers_by_id[customer_id]

    def subscription(self, subscription_id: SubscriptionId) -> Subscription:
        """Return the subscription with this id."""
        return self._subscriptions_by_id[subscription_id]

    def associations_of(self, subscription_id: SubscriptionId) -> tuple[Association, ...]:
        """Every association of one subscription, ordered by (start, kind, partner_id)."""
        return self._assoc_by_sub.get(subscription_id, ())

    def in_effect(self, subscription_id: SubscriptionId, day: dt.date) -> tuple[Association, ...]:
        """The associations in effect on ``subscription_id`` on ``day``."""
        return tuple(a for a in self.associations_of(subscription_id) if a.in_effect_on(day))
