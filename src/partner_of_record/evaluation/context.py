"""The measurement context: the facts a requirement measures, for one partner and one day.

A requirement never calls the attribution engine itself. It asks the context for the partner's
credited consumption (``acr``) or credited seats (``seats``) under a set of association kinds;
the context asks its [`FactSource`][partner_of_record.evaluation.context.FactSource], which caches
one attribution per set of kinds (and, in ``evaluate_all``, shares it across partners).

Two sources exist: ``LedgerFacts`` (in ``partner_of_record.evaluation.sources``) attributes a
[`Ledger`][partner_of_record.Ledger]; [`RowFacts`][partner_of_record.evaluation.RowFacts]
takes rows already credited to the partner, which is how requirements are unit-tested and how
users evaluate numbers that come from Partner Center exports rather than from a ledger.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, Protocol, TypeVar

import attrs

from partner_of_record.errors import ValidationError
from partner_of_record.evaluation.time import measurement_month
from partner_of_record.model import (
    AssociationKind,
    CustomerId,
    OfferCategory,
    PartnerId,
    SubscriptionId,
    Workload,
)

__all__ = [
    "AcrRow",
    "FactSource",
    "MeasurementContext",
    "RowFacts",
    "SeatCrediting",
    "SeatRow",
    "Skills",
    "normalize_skills",
]

_T = TypeVar("_T")

Skills = Mapping[str, int | Decimal]
"""The non-consumption inputs: metric name -> number of qualifying people.

``{"intermediate_certifications": 5, "advanced_certifications": 1}``. A count given for a
metric means its prerequisites (for instance the two prerequisite certified people of the Azure
designations) are taken as met.
"""


@attrs.frozen
class AcrRow:
    """Consumption credited to the partner, in US dollars, for one subscription, month, service.

    Attributes:
        customer_id: the customer's tenant.
        subscription_id: the subscription.
        workload: the subscription's workload.
        month: the first day of the month.
        service: the service consumed, when known.
        usd: the credited amount converted to US dollars (exact).
        offer: the usage row's offer category when the row gives one, else its subscription's.
    """

    customer_id: CustomerId
    subscription_id: SubscriptionId
    workload: Workload
    month: dt.date
    service: str | None
    usd: Decimal
    offer: OfferCategory = OfferCategory.STANDARD


@attrs.frozen
class SeatRow:
    """Seats and users of one subscription in one month, credited to the partner.

    Attributes:
        customer_id: the customer's tenant.
        subscription_id: the subscription.
        workload: the subscription's workload.
        month: the first day of the month.
        paid_seats: paid seats.
        active_users: monthly active users (or profiles, for capacity workloads).
    """

    customer_id: CustomerId
    subscription_id: SubscriptionId
    workload: Workload
    month: dt.date
    paid_seats: int
    active_users: int


@attrs.frozen
class SeatCrediting:
    """When a partner is credited a subscription's seats for a month.

    The programs do not publish this rule; the default is our choice, documented here.

    Attributes:
        on: ``"month_end"`` (default): an association of a counted kind is in effect on the
            month's last day; ``"any_day"``: in effect on any day of the month.
        cpor_scope: ``"tenant_workload"`` (default; Modern Work and Security): a CPOR claim on
            any subscription of a tenant and workload counts for all the tenant's subscriptions
            of that workload, since Microsoft approves one CPOR per workload per tenant;
            ``"subscription"`` (Dynamics, where CPOR is per subscription): only for its own.
    """

    on: Literal["month_end", "any_day"] = attrs.field(default="month_end")
    cpor_scope: Literal["tenant_workload", "subscription"] = attrs.field(default="tenant_workload")

    @on.validator
    def _check_on(self, attribute: attrs.Attribute[str], value: object) -> None:
        if value not in ("month_end", "any_day"):
            raise ValidationError(
                "SeatCrediting", attribute.name, value, "is not 'month_end' or 'any_day'"
            )

    @cpor_scope.validator
    def _check_scope(self, attribute: attrs.Attribute[str], value: object) -> None:
        if value not in ("tenant_workload", "subscription"):
            raise ValidationError(
                "SeatCrediting", attribute.name, value, "is not 'tenant_workload' or 'subscription'"
            )


class FactSource(Protocol):
    """A source of credited facts, cached per set of association kinds.

    Formerly ``Facts``, a name still importable with a ``DeprecationWarning`` (it clashed with
    the attribution engine's and the rules' ``Facts``).
    """

    def acr(self, partner_id: PartnerId, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        """The partner's credited consumption (US dollars) counted through ``kinds``.

        Args:
            partner_id: the partner.
            kinds: the association kinds that count.

        Returns:
            The credited consumption rows.
        """
        ...

    def seats(
        self,
        partner_id: PartnerId,
        kinds: frozenset[AssociationKind],
        crediting: SeatCrediting,
    ) -> tuple[SeatRow, ...]:
        """The seats credited to the partner through ``kinds`` under ``crediting``.

        Args:
            partner_id: the partner.
            kinds: the association kinds that count.
            crediting: when seats are credited to a partner.

        Returns:
            The credited seat rows.
        """
        ...

    def has_usage(self, month: dt.date) -> bool:
        """Whether the source has any consumption or seat data for ``month``.

        Args:
            month: a month (its first day; for rules, the reference month).

        Returns:
            Whether it holds.
        """
        ...


@attrs.frozen
class RowFacts:
    """Rows already credited to one partner; the counted kinds are taken as already applied.

    Attributes:
        acr_rows: credited consumption rows (US dollars).
        seat_rows: credited seat rows.
    """

    acr_rows: tuple[AcrRow, ...] = ()
    seat_rows: tuple[SeatRow, ...] = ()

    def acr(self, partner_id: PartnerId, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        """Return every consumption row (the kinds were applied when the rows were made).

        See ``FactSource.acr``.
        """
        return self.acr_rows

    def seats(
        self,
        partner_id: PartnerId,
        kinds: frozenset[AssociationKind],
        crediting: SeatCrediting,
    ) -> tuple[SeatRow, ...]:
        """Return every seat row (the kinds were applied when the rows were made).

        See ``FactSource.seats``.
        """
        return self.seat_rows

    def has_usage(self, month: dt.date) -> bool:
        """Whether some row is for ``month`` (see ``FactSource.has_usage``)."""
        return any(r.month == month for r in self.acr_rows) or any(
            r.month == month for r in self.seat_rows
        )


def normalize_skills(skills: Skills | None) -> Mapping[str, Decimal]:
    """Check and freeze a skills mapping (metric name -> number of people).

    Args:
        skills: metric name -> number of people, or ``None``.

    Returns:
        A read-only mapping of exact counts.

    Raises:
        ValidationError: a name is not a string or a count is negative, fractional or a float.
    """
    out: dict[str, Decimal] = {}
    for name, count in (skills or {}).items():
        if not isinstance(name, str) or not name:
            raise ValidationError("skills", "name", name, "is not a metric name")
        if isinstance(count, bool) or not isinstance(count, int | Decimal):
            raise ValidationError("skills", name, count, "is not a whole number of people")
        value = Decimal(count)
        if value < 0 or value != value.to_integral_value():
            raise ValidationError("skills", name, count, "is not a whole number >= 0")
        out[name] = value
    return MappingProxyType(out)


class MeasurementContext:
    """The facts a requirement measures: one partner, one ``as_of`` day, one facts source.

    Args:
        partner_id: the partner evaluated.
        as_of: the day of the evaluation; the measurement month is the last full month before.
        facts: where credited consumption and seats come from.
        skills: metric name -> number of qualifying people.

    Attributes:
        partner_id: the partner evaluated.
        as_of: the day of the evaluation.
        month: the measurement month (its first day): the last full month before ``as_of``.
        facts: where credited consumption and seats come from.
        skills: metric name -> number of qualifying people, checked and read-only.
    """

    __slots__ = ("_memo", "as_of", "facts", "month", "partner_id", "skills")

    def __init__(
        self,
        partner_id: PartnerId,
        as_of: dt.date,
        facts: FactSource,
        skills: Skills | None = None,
    ) -> None:
        self.partner_id = partner_id
        self.as_of = as_of
        self.month = measurement_month(as_of)
        self.facts = facts
        self.skills = normalize_skills(skills)
        self._memo: dict[Hashable, Any] = {}

    @classmethod
    def from_rows(
        cls,
        partner_id: PartnerId,
        as_of: dt.date,
        *,
        acr: Iterable[AcrRow] = (),
        seats: Iterable[SeatRow] = (),
        skills: Skills | None = None,
    ) -> MeasurementContext:
        """Build a context from rows already credited to the partner.

        Args:
            partner_id: the partner.
            as_of: the day of the evaluation.
            acr: credited consumption rows, in US dollars.
            seats: credited seat rows.
            skills: metric name -> number of people.

        Returns:
            The context.
        """
        return cls(partner_id, as_of, RowFacts(tuple(acr), tuple(seats)), skills)

    def acr(self, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        """The partner's credited consumption counted through ``kinds``.

        Args:
            kinds: the association kinds that count.

        Returns:
            The credited consumption rows.
        """
        return self.facts.acr(self.partner_id, kinds)

    def seats(
        self, kinds: frozenset[AssociationKind], crediting: SeatCrediting
    ) -> tuple[SeatRow, ...]:
        """The partner's credited seats counted through ``kinds``.

        Args:
            kinds: the association kinds that count.
            crediting: when seats are credited to a partner.

        Returns:
            The credited seat rows.
        """
        return self.facts.seats(self.partner_id, kinds, crediting)

    def cached(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """Return ``compute()``, computed once per ``key`` for this context.

        The facts of a context never change, so a value derived from them can be kept: the
        measures use this to filter the partner's rows once per scope however many
        requirements (and reference months) share that scope.

        Args:
            key: identifies the value (e.g. ``("acr_rows", scope)``); equal keys share it.
            compute: computes the value the first time ``key`` is asked for.

        Returns:
            The value (the same object on every call with an equal key).
        """
        try:
            found: _T = self._memo[key]
        except KeyError:
            found = self._memo[key] = compute()
        return found


def __getattr__(name: str) -> Any:
    """Resolve the deprecated name ``Facts`` (now ``FactSource``), with a warning."""
    if name == "Facts":
        warnings.warn(
            "partner_of_record.evaluation.context.Facts is deprecated; use FactSource",
            DeprecationWarning,
            stacklevel=2,
        )
        return FactSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
