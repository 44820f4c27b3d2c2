"""Turn the scenario's specifications into model records, deterministically.

The only randomness is the month-to-month noise on amounts and active users, drawn from a
``random.Random(seed)`` in a fixed order; amounts are computed in ``Decimal`` and rounded to
cents, never through floats.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections.abc import Iterator
from decimal import ROUND_HALF_EVEN, Decimal

import attrs

from partner_of_record.model import (
    Association,
    Customer,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
    month_end,
)
from partner_of_record.samples import _scenario as sc

__all__: list[str] = []

_NAMESPACE = uuid.UUID("5d3c1a8e-2b7f-4e61-9a0d-3f8b6c2e7a41")
_CENT = Decimal("0.01")
_NOISE_BP = 400
"""Amounts vary by up to +/- 4 % (400 basis points) around the interpolated level."""


def tenant_id(key: str) -> str:
    """The tenant ID (a stable UUID) of the scenario customer ``key``."""
    return str(uuid.uuid5(_NAMESPACE, f"tenant/{key}"))


def subscription_id(key: str) -> str:
    """The subscription ID (a stable UUID) of the scenario subscription ``key``."""
    return str(uuid.uuid5(_NAMESPACE, f"subscription/{key}"))


@attrs.frozen
class Records:
    """Every record of the sample, ready for a ``Ledger``.

    Attributes:
        partners: the partners.
        customers: the customers.
        subscriptions: the subscriptions.
        associations: the associations.
        usage: the monthly usage rows, one per (subscription, month, service).
        seats: the monthly seat records of the per-seat subscriptions.
    """

    partners: tuple[Partner, ...]
    customers: tuple[Customer, ...]
    subscriptions: tuple[Subscription, ...]
    associations: tuple[Association, ...]
    usage: tuple[Usage, ...]
    seats: tuple[SeatUsage, ...]


def _months(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    month = first
    while month <= last:
        yield month
        month = month_end(month)


def _index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def _level(anchors: tuple[tuple[dt.date, int], ...], month: dt.date) -> Decimal:
    """The level at ``month``, interpolated linearly between the surrounding anchors."""
    for (m0, v0), (m1, v1) in itertools.pairwise(anchors):
        if m0 <= month <= m1:
            span = _index(m1) - _index(m0)
            return Decimal(v0) + Decimal(v1 - v0) * (_index(month) - _index(m0)) / span
    return Decimal(anchors[0][1])


def _active_range(anchors: tuple[tuple[dt.date, int], ...]) -> tuple[dt.date, dt.date]:
    first = max(anchors[0][0], sc.FIRST_MONTH)
    last = min(anchors[-1][0], sc.LAST_MONTH)
    return first, last


def _links(key: str, links: tuple[sc.Link, ...]) -> Iterator[Association]:
    sub = subscription_id(key)
    for link in links:
        yield Association(
            link.partner_id,
            sub,
            link.kind,
            link.start,
            link.end,
            granted_by=link.granted_by,
            role=link.role,
            recorded_on=link.start,
        )


def build(seed: int = sc.SEED) -> Records:
    """Build every record of the sample scenario, drawing noise from ``random.Random(seed)``.

    Args:
        seed: the seed of the month-to-month noise; the scenario itself does not depend on it.

    Returns:
        The records, in a fixed order.
    """
    rng = random.Random(seed)
    partners = tuple(Partner(pid, name) for pid, name in sc.PARTNERS)
    customers = tuple(Customer(tenant_id(key), name) for key, name in sc.CUSTOMERS)
    subscriptions: list[Subscription] = []
    associations: list[Association] = []
    usage: list[Usage] = []
    seats: list[SeatUsage] = []

    for az in sc.AZURE:
        sub = subscription_id(az.key)
        subscriptions.append(
            Subscription(sub, tenant_id(az.customer), Workload.AZURE, name=az.name, offer=az.offer)
        )
        associations.extend(_links(az.key, az.links))
        first, last = _active_range(az.level)
        for month in _months(first, last):
            level = _level(az.level, month)
            live = [s for s in az.services if s.since is None or s.since <= month]
            total_weight = sum(s.weight for s in live)
            for service in live:
                noise = Decimal(10_000 + rng.randint(-_NOISE_BP, _NOISE_BP)) / 10_000
                amount = level * service.weight / total_weight * noise
                usage.append(
                    Usage(
                        sub,
                        month,
                        amount.quantize(_CENT, rounding=ROUND_HALF_EVEN),
                        "USD",
                        service.name,
                    )
                )

    for spec in sc.SEATS:
        sub = subscription_id(spec.key)
        subscriptions.append(
            Subscription(sub, tenant_id(spec.customer), spec.workload, name=spec.name)
        )
        associations.extend(_links(spec.key, spec.links))
        first, last = _active_range(spec.seats)
        for month in _months(first, last):
            paid = int(_level(spec.seats, month).to_integral_value(rounding=ROUND_HALF_EVEN))
            trend = _level(spec.active, month) * (100 + rng.randint(-3, 3)) / 100
            active = min(paid, int(trend.to_integral_value(rounding=ROUND_HALF_EVEN)))
            seats.append(SeatUsage(sub, month, paid_seats=paid, active_users=active))
            usage.append(Usage(sub, month, (spec.price * paid).quantize(_CENT), "USD", spec.sku))

    return Records(
        partners,
        customers,
        tuple(subscriptions),
        tuple(associations),
        tuple(usage),
        tuple(seats),
    )
