"""The domain model: small, immutable, validated values.

Every record is a frozen ``attrs`` class. Construction validates each field and raises a
[`ValidationError`][partner_of_record.ValidationError] (a ``ValueError``) that names the record
type, the field and the bad value. Relations between records (does this subscription's customer
exist? do two DPORs overlap?) are checked by the [`Ledger`][partner_of_record.Ledger], not here.

Time is measured in whole days. An association is in effect on the days ``start <= day < end``
(a half-open interval; ``end=None`` means open-ended). Consumption is monthly: a usage row's
``month`` is the first day of its calendar month.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import operator
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, TypeAlias

import attrs

from partner_of_record.currency import CURRENCIES
from partner_of_record.errors import ValidationError

__all__ = [
    "AMOUNT_MAX_DECIMALS",
    "AMOUNT_MAX_INTEGER_DIGITS",
    "KEY_FIELDS",
    "REFERENCES",
    "Actor",
    "Association",
    "AssociationKind",
    "Customer",
    "CustomerId",
    "OfferCategory",
    "Partner",
    "PartnerId",
    "Record",
    "SeatUsage",
    "Subscription",
    "SubscriptionId",
    "Usage",
    "Workload",
    "month_days",
    "month_end",
    "month_start",
]

PartnerId: TypeAlias = str
"""A partner's identifier (Partner Center partner ID, historically the MPN ID).

Why an alias of ``str`` and not a ``NewType`` (as STYLE.md suggests): a ``NewType`` makes every
caller write ``PartnerId("P1")``; ids arrive as plain strings from CSV files, JSON and user
code. Tried on 2026-12-03 (commit 1fe3ee4, the three ids as ``NewType``): ``mypy --strict src``
reported 32 errors in 12 files, and ``mypy --strict tests/typing/api.py`` (a user's program)
13 errors in its 70 lines, one at each ``Partner("P1", ...)``, ``credits.total(partner_id="P1")``,
``evaluations["P1"]``. The aliases keep the signatures readable in business terms at no cost to
callers; docs/explanation/architecture.md ("Why the ids are aliases") says the same.
"""
CustomerId: TypeAlias = str
"""A customer's identifier: the customer's tenant ID (an alias of ``str``, as ``PartnerId``)."""
SubscriptionId: TypeAlias = str
"""A cloud subscription's identifier (an alias of ``str``, as ``PartnerId``)."""


class _ReprEnum(enum.Enum):
    """An enum whose ``repr`` is valid Python (``Workload.AZURE``), so failures replay."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return str(self.value)


class Workload(_ReprEnum):
    """The cloud product a subscription is for."""

    AZURE = "azure"
    OFFICE_365 = "office_365"
    MICROSOFT_365 = "microsoft_365"
    TEAMS = "teams"
    DYNAMICS_365 = "dynamics_365"
    DYNAMICS_CRM_ONLINE = "dynamics_crm_online"
    DYNAMICS_AX7 = "dynamics_ax7"
    BUSINESS_CENTRAL = "business_central"
    CUSTOMER_INSIGHTS = "customer_insights"
    INTUNE = "intune"
    EMS = "ems"
    POWER_PLATFORM = "power_platform"
    POWER_APPS = "power_apps"
    POWER_AUTOMATE = "power_automate"
    POWER_BI = "power_bi"
    DEFENDER = "defender"
    ENTRA = "entra"


class AssociationKind(_ReprEnum):
    """How a partner is linked to a subscription (see the domain explanation in the docs)."""

    DPOR = "dpor"
    """Digital Partner of Record: named by the customer, one per subscription at a time."""
    TRANSACTING = "transacting"
    """Transacting partner of record, as reported by the vendor's sales systems."""
    CSP_TIER1 = "csp_tier1"
    """Cloud Solution Provider, direct-bill partner."""
    CSP_TIER2 = "csp_tier2"
    """Cloud Solution Provider, indirect reseller."""
    DAP = "dap"
    """Delegated Admin Privileges, granted by the customer (not on Azure)."""
    GDAP = "gdap"
    """Granular DAP: time-bound (at most two years), approved by the customer."""
    PAL = "pal"
    """Partner Admin Link: a partner identity in the customer's tenant links the partner ID."""
    CPOR = "cpor"
    """Claiming Partner of Record: a claim with customer-signed proof, reviewed by the vendor."""
    LIGHTHOUSE = "lighthouse"
    """Azure Lighthouse: the partner's managing tenant manages the subscription."""


class Actor(_ReprEnum):
    """Who made an association."""

    CUSTOMER = "customer"
    PARTNER = "partner"
    VENDOR = "vendor"
    """The cloud vendor's own systems (sales records, claim review)."""


class OfferCategory(_ReprEnum):
    """The commercial category of a subscription's offer.

    Offers other than ``STANDARD`` are excluded from the Azure Solutions Partner metrics
    (Support, Internal, Benefit Program and Trial offers; see the catalog).
    """

    STANDARD = "standard"
    SUPPORT = "support"
    INTERNAL = "internal"
    BENEFIT_PROGRAM = "benefit_program"
    TRIAL = "trial"


# --------------------------------------------------------------------------------------------
# month helpers


def month_start(day: dt.date) -> dt.date:
    """Return the first day of ``day``'s month."""
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    """Return the first day of the month after ``month`` (the exclusive end of the month)."""
    if month.month == 12:
        return dt.date(month.year + 1, 1, 1)
    return dt.date(month.year, month.month + 1, 1)


def month_days(month: dt.date) -> int:
    """Return the number of days in ``month``'s calendar month."""
    return calendar.monthrange(month.year, month.month)[1]


# --------------------------------------------------------------------------------------------
# validators: each names the record type, the field and the value


def _fail(
    inst: object,
    attribute: attrs.Attribute[Any],
    value: object,
    reason: str,
    suggestion: str | None = None,
) -> ValidationError:
    return ValidationError(type(inst).__name__, attribute.name, value, reason, suggestion)


def _check_id(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise _fail(inst, attribute, value, "is not a string")
    if not value.strip():
        raise _fail(inst, attribute, value, "is empty; an identifier is required")
    if value != value.strip():
        raise _fail(
            inst,
            attribute,
            value,
            "has leading or trailing whitespace",
            f"did you mean {value.strip()!r}?",
        )


def _check_optional_id(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_id(inst, attribute, value)


def _check_str(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str):
        raise _fail(inst, attribute, value, "is not a string")


def _check_optional_str(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, str):
        raise _fail(inst, attribute, value, "is not a string")


def _check_market(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or len(value) != 2 or not value.isascii() or not value.isupper():
        hint = None
        if isinstance(value, str) and len(value.strip()) == 2 and value.strip().isalpha():
            hint = f"did you mean {value.strip().upper()!r}?"
        raise _fail(
            inst, attribute, value, "is not a two-letter country or region code (ISO 3166-1)", hint
        )
    if not value.isalpha():
        raise _fail(inst, attribute, value, "is not a two-letter country or region code")


def _enum_checker(enum_type: type[enum.Enum]) -> Any:
    names = ", ".join(m.name for m in enum_type)

    def check(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, enum_type):
            hint = None
            if isinstance(value, str):
                for member in enum_type:
                    if value.strip().lower() in (member.name.lower(), str(member.value).lower()):
                        hint = f"did you mean {enum_type.__name__}.{member.name}?"
                        break
            raise _fail(
                inst, attribute, value, f"is not a {enum_type.__name__} (one of {names})", hint
            )

    return check


def _check_day(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise _fail(
            inst,
            attribute,
            value,
            "is not a datetime.date",
            "pass a date such as datetime.date(2024, 1, 1)",
        )


def _check_optional_day(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _check_day(inst, attribute, value)


def _check_month(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_day(inst, attribute, value)
    assert isinstance(value, dt.date)
    if value.day != 1:
        raise _fail(
            inst,
            attribute,
            value,
            "is not the first day of a month",
            f"did you mean {month_start(value).isoformat()}?",
        )
    if (value.year, value.month) == (dt.MAXYEAR, 12):
        raise _fail(
            inst,
            attribute,
            value,
            "is the last month of the calendar: its end (the first day of the next month)"
            " cannot be represented; the last supported month is 9999-11",
        )


AMOUNT_MAX_INTEGER_DIGITS = 30
"""A usage amount has at most this many digits before the decimal point (``|amount| < 10**30``)."""
AMOUNT_MAX_DECIMALS = 30
"""A usage amount has at most this many digits after the decimal point (exponent >= -30).

Together with ``AMOUNT_MAX_INTEGER_DIGITS`` this bounds every amount to 60 digits written in plain
notation, so money arithmetic can be exact; ``1e10000000`` or a 61-digit amount is refused when
the [`Usage`][partner_of_record.Usage] is built (and by the loaders, at the row's line)."""

_ASCII_NUMBER = re.compile(r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?\s*", re.ASCII)


def _to_decimal(value: Decimal | int | str) -> Decimal:
    """Accept ints and numeric strings as exact decimals; leave anything else to the validator.

    Only ASCII digits are read: ``Decimal`` itself would read ``"١٢"`` as 12.
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and _ASCII_NUMBER.fullmatch(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            return value  # type: ignore[return-value]
    return value  # type: ignore[return-value]  # rejected with context by the validator


def _check_amount(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, float):
        raise _fail(
            inst,
            attribute,
            value,
            "is a float; money must be exact",
            f"pass Decimal({str(value)!r}) or the string {str(value)!r}",
        )
    if not isinstance(value, Decimal):
        raise _fail(inst, attribute, value, "is not a Decimal amount")
    if not value.is_finite():
        raise _fail(inst, attribute, value, "is not a finite number")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if value and value.adjusted() >= AMOUNT_MAX_INTEGER_DIGITS:
        raise _fail(
            inst,
            attribute,
            value,
            f"is too large: an amount has at most {AMOUNT_MAX_INTEGER_DIGITS} digits before the"
            " decimal point",
        )
    if exponent < -AMOUNT_MAX_DECIMALS:
        raise _fail(
            inst,
            attribute,
            value,
            f"has too many decimals: an amount has at most {AMOUNT_MAX_DECIMALS} digits after"
            " the decimal point",
        )


def _check_currency(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in CURRENCIES:
        hint = None
        if isinstance(value, str) and value.strip().upper() in CURRENCIES:
            hint = f"did you mean {value.strip().upper()!r}?"
        raise _fail(inst, attribute, value, "is not an ISO 4217 currency code", hint)


def _check_count(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(inst, attribute, value, "is not an integer count")
    if value < 0:
        raise _fail(inst, attribute, value, "is negative; a count cannot be")


# --------------------------------------------------------------------------------------------
# records


@attrs.frozen
class Partner:
    """An organisation that can be credited with consumption.

    Attributes:
        id: the partner ID (historically the MPN ID).
        name: a display name.
        market: the partner's market, an ISO 3166-1 alpha-2 country or region code
            (``"US"``, ``"DE"``), when known. Catalog entries whose thresholds vary by market
            use it (``None``: the entry's default market, the United States).
    """

    id: PartnerId = attrs.field(validator=_check_id)
    name: str = attrs.field(default="", validator=_check_str)
    market: str | None = attrs.field(default=None, kw_only=True, validator=_check_market)

    def describe(self) -> str:
        """Return a short readable label such as ``Partner P1``."""
        return f"Partner {self.id}"


@attrs.frozen
class Customer:
    """An organisation that consumes cloud services.

    Attributes:
        id: the customer's tenant ID.
        name: a display name.
    """

    id: CustomerId = attrs.field(validator=_check_id)
    name: str = attrs.field(default="", validator=_check_str)

    def describe(self) -> str:
        """Return a short readable label such as ``Customer C1``."""
        return f"Customer {self.id}"


@attrs.frozen
class Subscription:
    """A customer's cloud subscription for one workload.

    Attributes:
        id: the subscription ID.
        customer_id: the tenant ID of the customer that owns it.
        workload: the product it is for.
        name: a display name.
        offer: the commercial category of its offer; non-standard offers (trial, internal,
            support, benefit programs) are excluded from the Azure designation metrics.
    """

    id: SubscriptionId = attrs.field(validator=_check_id)
    customer_id: CustomerId = attrs.field(validator=_check_id)
    workload: Workload = attrs.field(validator=_enum_checker(Workload))
    name: str = attrs.field(default="", validator=_check_str, kw_only=True)
    offer: OfferCategory = attrs.field(
        default=OfferCategory.STANDARD, validator=_enum_checker(OfferCategory), kw_only=True
    )

    def describe(self) -> str:
        """Return a short readable label such as ``Subscription S1``."""
        return f"Subscription {self.id}"


def _check_end(inst: Association, attribute: attrs.Attribute[Any], value: object) -> None:
    _check_optional_day(inst, attribute, value)
    if value is not None and isinstance(inst.start, dt.date):
        assert isinstance(value, dt.date)
        if value <= inst.start:
            raise _fail(
                inst,
                attribute,
                value,
                f"is not after start {inst.start.isoformat()}; "
                "an association is in effect on the days start <= day < end",
            )


@attrs.frozen
class Association:
    """A partner's link to a subscription, in effect on the days ``start <= day < end``.

    Attributes:
        partner_id: the partner that is linked.
        subscription_id: the subscription it is linked to.
        kind: how it is linked (DPOR, PAL, ...).
        start: the first day the association is in effect.
        end: the first day it is no longer in effect; ``None`` while it is open.
        granted_by: who made the link (the customer names a DPOR, a partner creates a PAL ...),
            when known. Rule sets can require a given actor for a kind.
        role: the RBAC role of the linked identity (``"Owner"``, ``"Contributor"`` ...), when known.
        recorded_on: the day the link was recorded in the source system, when known.
        auto_extend_days: how many days the relationship extends itself by each time it would
            expire (a GDAP relationship's ``autoExtendDuration``: 0, the default, or 180,
            Microsoft Graph ``delegatedAdminRelationship``). An auto-extending relationship
            may last past the two-year limit of its own duration.
    """

    partner_id: PartnerId = attrs.field(validator=_check_id)
    subscription_id: SubscriptionId = attrs.field(validator=_check_id)
    kind: AssociationKind = attrs.field(validator=_enum_checker(AssociationKind))
    start: dt.date = attrs.field(validator=_check_day)
    end: dt.date | None = attrs.field(default=None, validator=_check_end)
    granted_by: Actor | None = attrs.field(
        default=None,
        kw_only=True,
        validator=attrs.validators.optional(_enum_checker(Actor)),
    )
    role: str | None = attrs.field(default=None, kw_only=True, validator=_check_optional_str)
    recorded_on: dt.date | None = attrs.field(
        default=None, kw_only=True, validator=_check_optional_day
    )
    auto_extend_days: int = attrs.field(default=0, kw_only=True, validator=_check_count)

    def in_effect_on(self, day: dt.date) -> bool:
        """Return whether the association is in effect on ``day``."""
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, start: dt.date, end: dt.date | None) -> bool:
        """Return whether the association is in effect on any day of ``[start, end)``."""
        return (end is None or self.start < end) and (self.end is None or start < self.end)

    def days_in(self, start: dt.date, end: dt.date) -> int:
        """Return how many days of ``[start, end)`` the association is in effect."""
        lo = max(start, self.start)
        hi = end if self.end is None else min(end, self.end)
        return max(0, (hi - lo).days)

    def describe(self) -> str:
        """Return a short readable label such as ``DPOR P1 on S1 [2024-01-01, open)``."""
        end = self.end.isoformat() if self.end else "open"
        return (
            f"{self.kind.name} {self.partner_id} on {self.subscription_id} "
            f"[{self.start.isoformat()}, {end})"
        )


@attrs.frozen
class Usage:
    """Consumption of one subscription in one calendar month.

    Attributes:
        subscription_id: the subscription that consumed.
        month: the first day of the calendar month.
        amount: the consumed revenue, an exact ``Decimal`` (ints and numeric strings are
            converted; floats are refused). May be negative (credits and refunds).
        currency: an ISO 4217 code.
        service: the service consumed (``"Azure SQL Database"``), when known.
        offer: the commercial category of the offer this row was billed under (trial, benefit
            program, support, internal), when the export says; ``None`` means the
            subscription's own ``offer`` applies.
    """

    subscription_id: SubscriptionId = attrs.field(validator=_check_id)
    month: dt.date = attrs.field(validator=_check_month)
    amount: Decimal = attrs.field(converter=_to_decimal, validator=_check_amount)
    currency: str = attrs.field(default="USD", validator=_check_currency)
    service: str | None = attrs.field(default=None, validator=_check_optional_id)
    offer: OfferCategory | None = attrs.field(
        default=None,
        validator=attrs.validators.optional(_enum_checker(OfferCategory)),
        kw_only=True,
    )

    @property
    def key(self) -> tuple[str, dt.date, str | None, str]:
        """Its ``KEY_FIELDS`` values: ``(subscription_id, month, service, currency)``."""
        return _USAGE_KEY(self)

    def describe(self) -> str:
        """Return a short readable label such as ``S1 2024-01 Azure SQL 120.00 USD``."""
        service = f" {self.service}" if self.service else ""
        return f"{self.subscription_id} {self.month:%Y-%m}{service} {self.amount} {self.currency}"


@attrs.frozen
class SeatUsage:
    """Seats and users of a per-seat workload in one subscription and month.

    The Modern Work and Business Applications metrics count paid seats and monthly active users
    per customer tenant and workload; the tenant and workload come from the subscription.

    Attributes:
        subscription_id: the subscription the seats belong to.
        month: the first day of the calendar month.
        paid_seats: the number of paid (licensed) seats.
        active_users: the number of monthly active users (or active entitlements, or profiles
            for capacity-based workloads such as Customer Insights).
    """

    subscription_id: SubscriptionId = attrs.field(validator=_check_id)
    month: dt.date = attrs.field(validator=_check_month)
    paid_seats: int = attrs.field(default=0, validator=_check_count)
    active_users: int = attrs.field(default=0, validator=_check_count)

    @property
    def key(self) -> tuple[str, dt.date]:
        """Its ``KEY_FIELDS`` values: ``(subscription_id, month)``."""
        return _SEAT_KEY(self)

    def describe(self) -> str:
        """Return a short readable label such as ``S1 2024-01``."""
        return f"{self.subscription_id} {self.month:%Y-%m}"


Record: TypeAlias = Partner | Customer | Subscription | Association | Usage | SeatUsage
"""Any of the model's record types; each has a ``describe()`` giving a short readable label."""


KEY_FIELDS: Mapping[type[Record], tuple[str, ...]] = MappingProxyType(
    {
        Partner: ("id",),
        Customer: ("id",),
        Subscription: ("id",),
        Usage: ("subscription_id", "month", "service", "currency"),
        SeatUsage: ("subscription_id", "month"),
    }
)
"""The fields that identify a record: two of a type with equal values of these are one fact
stated twice (``DUPLICATE_ID``, ``DUPLICATE_USAGE``, ``DUPLICATE_SEATS`` in the ledger,
``DUPLICATE_ROW`` or ``DUPLICATE_KEY`` in a load). An ``Association`` has none: two links of
one partner and kind to a subscription in effect on one day are a ``DUPLICATE_ASSOCIATION``."""

REFERENCES: Mapping[type[Record], tuple[tuple[str, type[Record]], ...]] = MappingProxyType(
    {
        Subscription: (("customer_id", Customer),),
        Association: (("partner_id", Partner), ("subscription_id", Subscription)),
        Usage: (("subscription_id", Subscription),),
        SeatUsage: (("subscription_id", Subscription),),
    }
)
"""Which field of each record type names which record, ``(field, type named)``, in the order
the loaders check them; naming one that is not there is an ``UNKNOWN_CUSTOMER``,
``UNKNOWN_PARTNER`` or ``UNKNOWN_SUBSCRIPTION``."""

_USAGE_KEY = operator.attrgetter(*KEY_FIELDS[Usage])
_SEAT_KEY = operator.attrgetter(*KEY_FIELDS[SeatUsage])
