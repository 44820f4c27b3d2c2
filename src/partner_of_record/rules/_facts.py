"""What every rule sees: the indexed ``Facts``, the ``Rule`` protocol, the structural codes."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable, Iterator, Mapping
from typing import Protocol, runtime_checkable

import attrs

from partner_of_record.errors import Finding
from partner_of_record.model import (
    Association,
    AssociationKind,
    Customer,
    CustomerId,
    Partner,
    PartnerId,
    SeatUsage,
    Subscription,
    SubscriptionId,
    Usage,
)

FOREVER = dt.date.max
"""Stands for the end of an open-ended association in comparisons."""

STRUCTURAL_CODES: Mapping[str, str] = types.MappingProxyType(
    {
        "DUPLICATE_ID": "two partners, customers or subscriptions share an id; the first is kept",
        "UNKNOWN_CUSTOMER": "a subscription names a customer that is not in the ledger",
        "UNKNOWN_PARTNER": "an association names a partner that is not in the ledger",
        "UNKNOWN_SUBSCRIPTION": (
            "an association, usage row or seat record names a subscription that is not in the "
            "ledger"
        ),
        "REJECTED_REFERENCE": (
            "a record refers to a record that was rejected, so it is rejected too (lenient loading)"
        ),
        "DUPLICATE_ASSOCIATION": (
            "two associations of the same partner, subscription and kind are in effect on the same "
            "day; the earlier-starting one is kept"
        ),
        "DUPLICATE_USAGE": "two usage rows share (subscription, month, service, currency)",
        "DUPLICATE_SEATS": "two seat records share (subscription, month)",
    }
)
"""The always-on structural checks: code -> one-line description."""


@attrs.frozen(eq=False)
class Facts:
    """The ledger's records, indexed, as handed to each rule.

    The mappings are built once by the ledger and must be treated as read-only. Only records
    that passed the structural checks are included, so every reference resolves.

    Attributes:
        partners: partners by id.
        customers: customers by id.
        subscriptions: subscriptions by id.
        associations: every association, sorted by ``(start, kind.value, partner_id)``.
        by_subscription: each subscription's associations, in the same order.
        by_kind: the associations of each kind, in the same order (a kind with no association
            is absent).
        usage: the usage rows, in input order.
        seats: the seat records, in input order.
    """

    partners: Mapping[PartnerId, Partner]
    customers: Mapping[CustomerId, Customer]
    subscriptions: Mapping[SubscriptionId, Subscription]
    associations: tuple[Association, ...]
    by_subscription: Mapping[SubscriptionId, tuple[Association, ...]]
    by_kind: Mapping[AssociationKind, tuple[Association, ...]]
    usage: tuple[Usage, ...] = ()
    seats: tuple[SeatUsage, ...] = ()

    def of_kinds(self, kinds: Iterable[AssociationKind]) -> Iterator[Association]:
        """Yield the associations of the given kinds (kind by kind, each in start order).

        Args:
            kinds: the association kinds wanted.

        Returns:
            An iterator over the matching associations.
        """
        for kind in kinds:
            yield from self.by_kind.get(kind, ())


@runtime_checkable
class Rule(Protocol):
    """A program rule: checks the ledger's facts and yields a finding per problem.

    Conventions a rule must follow:

    * every finding's ``code`` is the rule's ``code``;
    * the **first** record of a finding's ``subject`` is the offending record: the one a
      lenient load rejects when the finding's severity is ``"error"`` (warnings reject nothing);
      further records in ``subject`` are context (e.g. the association it conflicts with);
    * the message names the offending record(s) (``Association.describe()`` is handy).

    Attributes:
        code: a stable identifier, unique within a rule set (``"DPOR_OVERLAP"``).
        description: a one-line description, listed in the docs.
    """

    @property
    def code(self) -> str:
        """A stable identifier, unique within a rule set."""
        ...

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        ...

    def check(self, facts: Facts) -> Iterable[Finding]:
        """Yield one finding per problem found in ``facts``.

        Args:
            facts: the ledger's indexed records.

        Returns:
            The findings, each naming its record(s).
        """
        ...
