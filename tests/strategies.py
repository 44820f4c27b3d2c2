"""Hypothesis strategies for every model type, and for whole valid ledgers.

Import them from tests as ``from strategies import ledgers, usages`` (pytest puts ``tests/`` on
``sys.path`` because ``tests/conftest.py`` lives there).

Record strategies (``partners()``, ``customers()``, ``subscriptions()``, ``associations()``,
``usages()``, ``seat_usages()``) build single records that pass the model's own validation; they
know nothing about other records. ``ledger_facts()`` / ``ledgers()`` build a *consistent* set of
facts that a [`Ledger`][partner_of_record.Ledger] accepts:

* every reference resolves (subscription -> customer, association -> partner and subscription,
  usage/seats -> subscription); ids are unique per type; usage keys and seat keys are unique;
* each association kind only appears on the workloads in ``KINDS_BY_WORKLOAD`` (no DAP/GDAP on
  Azure, DPOR only on ``DPOR_WORKLOADS``, PAL on Azure and Power Platform, Lighthouse on Azure);
* exclusive kinds never overlap: at most one DPOR, one transacting partner, one CSP Tier 1 and
  one CSP Tier 2 per subscription at a time, and one CPOR per (customer, workload) at a time;
  the same (partner, subscription, kind) never overlaps itself for the other kinds;
* GDAP always has an end, at most 730 days after its start (two years or less);
* ``granted_by`` is ``Actor.CUSTOMER`` or ``None`` for DPOR, DAP and GDAP, and a plausible
  actor (or ``None``) for the other kinds (see ``ACTORS_BY_KIND``);
* each subscription's usage rows carry one currency, drawn from ``currencies``.

Associations start on any day of the ledger's window (mostly mid-month, sometimes on the 1st) and
often end mid-month. When a new association would overlap an older one in the same scope (above),
the older one ends the day the new one starts (a new DPOR replaces the old one), and a new one
that would run into a later one ends the day that one starts; so hand-over histories are common.

Sizes are kept small on purpose (<= 4 partners, <= 5 customers, <= 8 subscriptions, <= 24
months by default) so property tests stay fast; every bound is a keyword argument.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from partner_of_record.currency import CURRENCIES, minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    OfferCategory,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)

__all__ = [
    "ACTORS_BY_KIND",
    "DPOR_WORKLOADS",
    "GDAP_MAX_DAYS",
    "KINDS_BY_WORKLOAD",
    "MAX_DAY",
    "MIN_DAY",
    "LedgerFacts",
    "actors",
    "amounts",
    "association_kinds",
    "associations",
    "currencies",
    "customers",
    "days",
    "identifiers",
    "ledger_facts",
    "ledgers",
    "months",
    "names",
    "offer_categories",
    "partners",
    "records",
    "seat_usages",
    "subscriptions",
    "usages",
    "workloads",
]

T = TypeVar("T")

MIN_DAY = dt.date(2010, 1, 1)
"""The earliest day the strategies produce by default."""
MAX_DAY = dt.date(2035, 12, 31)
"""The latest day the strategies produce by default."""

DPOR_WORKLOADS: frozenset[Workload] = frozenset(
    {
        Workload.AZURE,
        Workload.OFFICE_365,
        Workload.DYNAMICS_CRM_ONLINE,
        Workload.DYNAMICS_365,
        Workload.DYNAMICS_AX7,
        Workload.INTUNE,
        Workload.EMS,
    }
)
"""The workloads a DPOR can be set on (seed, 2017)."""

_POWER = frozenset(
    {Workload.POWER_PLATFORM, Workload.POWER_APPS, Workload.POWER_AUTOMATE, Workload.POWER_BI}
)


def _kinds_for(workload: Workload) -> tuple[AssociationKind, ...]:
    kinds = [AssociationKind.TRANSACTING, AssociationKind.CSP_TIER1, AssociationKind.CSP_TIER2]
    if workload in DPOR_WORKLOADS:
        kinds.append(AssociationKind.DPOR)
    if workload is not Workload.AZURE:
        kinds += [AssociationKind.DAP, AssociationKind.GDAP, AssociationKind.CPOR]
    if workload is Workload.AZURE or workload in _POWER:
        kinds.append(AssociationKind.PAL)
    if workload is Workload.AZURE:
        kinds.append(AssociationKind.LIGHTHOUSE)
    return tuple(sorted(kinds, key=lambda k: k.value))


KINDS_BY_WORKLOAD: dict[Workload, tuple[AssociationKind, ...]] = {
    w: _kinds_for(w) for w in Workload
}
"""The association kinds ``ledger_facts()`` puts on each workload (a conservative reading of the
domain rules: DAP/GDAP/CPOR not on Azure, DPOR only on ``DPOR_WORKLOADS``, PAL on Azure and Power
Platform, Lighthouse on Azure only, sales-system kinds anywhere)."""

ACTORS_BY_KIND: dict[AssociationKind, tuple[Actor, ...]] = {
    AssociationKind.DPOR: (Actor.CUSTOMER,),
    AssociationKind.DAP: (Actor.CUSTOMER,),
    AssociationKind.GDAP: (Actor.CUSTOMER,),
    AssociationKind.TRANSACTING: (Actor.VENDOR,),
    AssociationKind.CSP_TIER1: (Actor.VENDOR,),
    AssociationKind.CSP_TIER2: (Actor.VENDOR,),
    AssociationKind.PAL: (Actor.PARTNER,),
    AssociationKind.CPOR: (Actor.PARTNER, Actor.VENDOR),
    AssociationKind.LIGHTHOUSE: (Actor.PARTNER,),
}
"""The ``granted_by`` values (besides ``None``) ``ledger_facts()`` uses for each kind."""

_EXCLUSIVE_PER_SUBSCRIPTION = frozenset(
    {
        AssociationKind.DPOR,
        AssociationKind.TRANSACTING,
        AssociationKind.CSP_TIER1,
        AssociationKind.CSP_TIER2,
    }
)
GDAP_MAX_DAYS = 730
"""The longest GDAP the strategies make (two years are at least 730 days)."""

_ROLES = ("Owner", "Contributor", "Reader")
_SERVICES = ("Virtual Machines", "Azure SQL Database", "Storage", "Azure Defender")

# --------------------------------------------------------------------------------------------
# scalars


def identifiers(prefix: str = "") -> st.SearchStrategy[str]:
    """Identifiers a record accepts: non-empty, no leading or trailing whitespace.

    Mostly short readable ids (``prefix`` + letters and digits), sometimes arbitrary Unicode.

    Args:
        prefix: prepended to the readable ids (e.g. ``"P-"`` for partners).

    Returns:
        A strategy of valid identifier strings.
    """
    readable = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=8).map(
        lambda s: prefix + s
    )
    unicode = st.text(min_size=1, max_size=12).filter(lambda s: s.strip() == s and bool(s))
    return st.one_of(readable, unicode)


def names() -> st.SearchStrategy[str]:
    """Display names: any Unicode text, possibly empty.

    Returns:
        A strategy of strings.
    """
    return st.text(max_size=24)


def workloads() -> st.SearchStrategy[Workload]:
    """Any workload.

    Returns:
        A strategy of ``Workload`` members.
    """
    return st.sampled_from(Workload)


def association_kinds() -> st.SearchStrategy[AssociationKind]:
    """Any association kind.

    Returns:
        A strategy of ``AssociationKind`` members.
    """
    return st.sampled_from(AssociationKind)


def actors() -> st.SearchStrategy[Actor]:
    """Any actor.

    Returns:
        A strategy of ``Actor`` members.
    """
    return st.sampled_from(Actor)


def offer_categories() -> st.SearchStrategy[OfferCategory]:
    """Any offer category, ``STANDARD`` about half the time.

    Returns:
        A strategy of ``OfferCategory`` members.
    """
    return st.one_of(st.just(OfferCategory.STANDARD), st.sampled_from(OfferCategory))


def currencies() -> st.SearchStrategy[str]:
    """Any ISO 4217 code the model accepts, common ones (USD, EUR, JPY, KWD) more often.

    Returns:
        A strategy of currency codes.
    """
    return st.one_of(
        st.sampled_from(("USD", "EUR", "JPY", "KWD")), st.sampled_from(sorted(CURRENCIES))
    )


def days(min_value: dt.date = MIN_DAY, max_value: dt.date = MAX_DAY) -> st.SearchStrategy[dt.date]:
    """Calendar days in ``[min_value, max_value]`` (plain ``date``, never ``datetime``).

    Args:
        min_value: the first possible day.
        max_value: the last possible day.

    Returns:
        A strategy of ``datetime.date`` values.
    """
    return st.dates(min_value=min_value, max_value=max_value)


def _month_index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _month_of(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def months(
    min_value: dt.date = MIN_DAY, max_value: dt.date = MAX_DAY
) -> st.SearchStrategy[dt.date]:
    """First days of months whose month lies in ``[min_value's month, max_value's month]``.

    Args:
        min_value: any day of the first possible month.
        max_value: any day of the last possible month.

    Returns:
        A strategy of ``datetime.date`` values with ``day == 1``.
    """
    return st.integers(_month_index(min_value), _month_index(max_value)).map(_month_of)


def amounts(
    currency: str = "USD",
    *,
    min_value: Decimal | int = -100_000,
    max_value: Decimal | int = 100_000,
    places: int | None = None,
) -> st.SearchStrategy[Decimal]:
    """Exact money amounts with a fixed number of decimal places.

    The exponent is kept: with two places, twelve dollars thirty is ``Decimal("12.30")``.

    Args:
        currency: the currency whose minor unit sets the places (2 for USD, 0 for JPY).
        min_value: the smallest amount.
        max_value: the largest amount.
        places: decimal places to use instead of the currency's minor unit (e.g. 6 for raw
            usage prices).

    Returns:
        A strategy of finite ``Decimal`` values in ``[min_value, max_value]``.
    """
    exp = minor_unit_exponent(currency) if places is None else places
    scale = Decimal(10) ** exp
    lo = int((Decimal(min_value) * scale).to_integral_value(rounding="ROUND_CEILING"))
    hi = int((Decimal(max_value) * scale).to_integral_value(rounding="ROUND_FLOOR"))
    return st.integers(lo, hi).map(lambda n: Decimal(n).scaleb(-exp))


# --------------------------------------------------------------------------------------------
# records


def partners(ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Partner]:
    """Valid ``Partner`` records.

    Args:
        ids: the strategy for ``id`` (default ``identifiers("P-")``).

    Returns:
        A strategy of ``Partner`` values.
    """
    return st.builds(Partner, id=(identifiers("P-") if ids is None else ids), name=names())


def customers(ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Customer]:
    """Valid ``Customer`` records.

    Args:
        ids: the strategy for ``id`` (default ``identifiers("C-")``).

    Returns:
        A strategy of ``Customer`` values.
    """
    return st.builds(Customer, id=(identifiers("C-") if ids is None else ids), name=names())


def subscriptions(
    *,
    ids: st.SearchStrategy[str] | None = None,
    customer_ids: st.SearchStrategy[str] | None = None,
    workload: st.SearchStrategy[Workload] | None = None,
) -> st.SearchStrategy[Subscription]:
    """Valid ``Subscription`` records.

    Args:
        ids: the strategy for ``id`` (default ``identifiers("S-")``).
        customer_ids: the strategy for ``customer_id`` (default ``identifiers("C-")``).
        workload: the strategy for ``workload`` (default any).

    Returns:
        A strategy of ``Subscription`` values.
    """
    return st.builds(
        Subscription,
        id=(identifiers("S-") if ids is None else ids),
        customer_id=(identifiers("C-") if customer_ids is None else customer_ids),
        workload=(workloads() if workload is None else workload),
        name=names(),
        offer=offer_categories(),
    )


@st.composite
def associations(
    draw: st.DrawFn,
    *,
    partner_ids: st.SearchStrategy[str] | None = None,
    subscription_ids: st.SearchStrategy[str] | None = None,
    kind: st.SearchStrategy[AssociationKind] | None = None,
    min_start: dt.date = MIN_DAY,
    max_start: dt.date = MAX_DAY,
    open_ended: bool | None = None,
) -> Association:
    """Valid ``Association`` records (model validation only: any kind, any actor).

    Starts and ends fall on any day, so most of them are mid-month.

    Args:
        draw: supplied by hypothesis.
        partner_ids: the strategy for ``partner_id`` (default ``identifiers("P-")``).
        subscription_ids: the strategy for ``subscription_id`` (default ``identifiers("S-")``).
        kind: the strategy for ``kind`` (default any).
        min_start: the earliest start.
        max_start: the latest start.
        open_ended: ``True`` for ``end=None`` always, ``False`` for an end always, ``None``
            for either.

    Returns:
        An ``Association``.
    """
    start = draw(days(min_start, max_start))
    if open_ended is None:
        open_ended = draw(st.booleans())
    end = None if open_ended else start + dt.timedelta(days=draw(st.integers(1, 1000)))
    return Association(
        draw(identifiers("P-") if partner_ids is None else partner_ids),
        draw(identifiers("S-") if subscription_ids is None else subscription_ids),
        draw(association_kinds() if kind is None else kind),
        start,
        end,
        granted_by=draw(st.none() | actors()),
        role=draw(st.none() | st.sampled_from(_ROLES) | names()),
        recorded_on=draw(st.none() | days()),
    )


def usages(
    *,
    subscription_ids: st.SearchStrategy[str] | None = None,
    month: st.SearchStrategy[dt.date] | None = None,
    currency: st.SearchStrategy[str] | None = None,
    places: int | None = None,
) -> st.SearchStrategy[Usage]:
    """Valid ``Usage`` rows; the amount has the currency's minor-unit places unless ``places``.

    Args:
        subscription_ids: the strategy for ``subscription_id`` (default ``identifiers("S-")``).
        month: the strategy for ``month`` (default ``months()``).
        currency: the strategy for ``currency`` (default ``currencies()``).
        places: fixed decimal places for the amount (default: the currency's minor unit, or
            sometimes six places for raw usage).

    Returns:
        A strategy of ``Usage`` values.
    """

    def build(cur: str) -> st.SearchStrategy[Usage]:
        amount = (
            amounts(cur, places=places)
            if places is not None
            else amounts(cur) | amounts(cur, places=6, min_value=-1000, max_value=1000)
        )
        return st.builds(
            Usage,
            subscription_id=(identifiers("S-") if subscription_ids is None else subscription_ids),
            month=(months() if month is None else month),
            amount=amount,
            currency=st.just(cur),
            service=st.none() | st.sampled_from(_SERVICES) | identifiers(),
        )

    return (currencies() if currency is None else currency).flatmap(build)


def seat_usages(
    *,
    subscription_ids: st.SearchStrategy[str] | None = None,
    month: st.SearchStrategy[dt.date] | None = None,
    max_seats: int = 10_000,
) -> st.SearchStrategy[SeatUsage]:
    """Valid ``SeatUsage`` rows.

    Args:
        subscription_ids: the strategy for ``subscription_id`` (default ``identifiers("S-")``).
        month: the strategy for ``month`` (default ``months()``).
        max_seats: the largest seat and active-user count.

    Returns:
        A strategy of ``SeatUsage`` values.
    """
    return st.builds(
        SeatUsage,
        subscription_id=(identifiers("S-") if subscription_ids is None else subscription_ids),
        month=(months() if month is None else month),
        paid_seats=st.integers(0, max_seats),
        active_users=st.integers(0, max_seats),
    )


def records() -> st.SearchStrategy[
    Partner | Customer | Subscription | Association | Usage | SeatUsage
]:
    """Any single model record.

    Returns:
        A strategy of ``Partner``, ``Customer``, ``Subscription``, ``Association``, ``Usage``
        or ``SeatUsage`` values.
    """
    return st.one_of(
        partners(), customers(), subscriptions(), associations(), usages(), seat_usages()
    )


# --------------------------------------------------------------------------------------------
# ledgers


@attrs.frozen
class LedgerFacts:
    """A consistent set of facts, before (or without) building a ``Ledger``.

    Useful to build a ledger, or to break one fact on purpose and check the ledger refuses it.

    Attributes:
        partners: the partners.
        customers: the customers.
        subscriptions: the subscriptions, each owned by one of ``customers``.
        associations: the associations, each between one of ``partners`` and one of
            ``subscriptions``.
        usage: the monthly usage rows, in the window.
        seats: the monthly seat rows (non-Azure subscriptions only), in the window.
        first_month: the first month of the window the facts were drawn in.
        end_month: the first month after the window (exclusive). Associations start in
            ``[first_month, end_month)`` and may end after it.
    """

    partners: tuple[Partner, ...]
    customers: tuple[Customer, ...]
    subscriptions: tuple[Subscription, ...]
    associations: tuple[Association, ...]
    usage: tuple[Usage, ...]
    seats: tuple[SeatUsage, ...]
    first_month: dt.date
    end_month: dt.date

    def kwargs(self) -> dict[str, Any]:
        """Return the ``Ledger`` constructor keywords (``partners=`` ... ``seats=``)."""
        return {
            "partners": self.partners,
            "customers": self.customers,
            "subscriptions": self.subscriptions,
            "associations": self.associations,
            "usage": self.usage,
            "seats": self.seats,
        }

    def to_ledger(self) -> Ledger:
        """Return ``Ledger(**self.kwargs())``."""
        return Ledger(**self.kwargs())

    def months(self) -> tuple[dt.date, ...]:
        """Return the first days of every month of the window, in order."""
        lo, hi = _month_index(self.first_month), _month_index(self.end_month)
        return tuple(_month_of(i) for i in range(lo, hi))


def _unique_ids(draw: st.DrawFn, prefix: str, lo: int, hi: int, readable: bool) -> list[str]:
    ids = (
        st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=4).map(
            lambda s: prefix + s
        )
        if readable
        else identifiers(prefix)
    )
    return draw(st.lists(ids, min_size=lo, max_size=hi, unique=True))


# Strategies built once: building (and validating) a strategy per draw dominated the run time.
_GDAP_DAYS = st.integers(1, GDAP_MAX_DAYS)
_SPAN_DAYS = st.integers(1, 800)
_ROLE = st.none() | st.sampled_from(_ROLES)
_GRANTED_BY = {kind: st.none() | st.sampled_from(actors) for kind, actors in ACTORS_BY_KIND.items()}
_SEAT_COUNT = st.integers(0, 600)
_AZURE_SERVICES = st.lists(st.sampled_from((None, *_SERVICES)), min_size=1, max_size=2, unique=True)
_NO_SERVICE: st.SearchStrategy[list[str | None]] = st.just([None])


@functools.cache
def _usage_amounts(currency: str, negative: bool) -> st.SearchStrategy[Decimal]:
    return amounts(currency, min_value=-500 if negative else 0, max_value=5000)


def _pick(draw: st.DrawFn, items: Sequence[T]) -> T:
    return draw(st.sampled_from(items))


@st.composite
def ledger_facts(  # noqa: PLR0912, PLR0915 - draws every optional fact of a ledger in one strategy
    draw: st.DrawFn,
    *,
    min_partners: int = 1,
    max_partners: int = 4,
    min_customers: int = 1,
    max_customers: int = 5,
    min_subscriptions: int = 1,
    max_subscriptions: int = 8,
    max_associations: int = 12,
    min_months: int = 1,
    max_months: int = 24,
    first_month: dt.date | None = None,
    workloads: Collection[Workload] | None = None,
    kinds: Collection[AssociationKind] | None = None,
    currencies: Sequence[str] = ("USD",),
    usage: bool = True,
    seats: bool = True,
    negative_usage: bool = False,
    readable_ids: bool = True,
) -> LedgerFacts:
    """A consistent, valid set of facts (see the module docstring for the guarantees).

    Args:
        draw: supplied by hypothesis.
        min_partners: the fewest partners.
        max_partners: the most partners.
        min_customers: the fewest customers (at least one when subscriptions are wanted).
        max_customers: the most customers.
        min_subscriptions: the fewest subscriptions (ignored when there is no customer).
        max_subscriptions: the most subscriptions.
        max_associations: the most association *candidates*; conflicting ones are clipped or
            dropped, so the ledger may hold fewer.
        min_months: the shortest window, in months.
        max_months: the longest window, in months.
        first_month: the window's first month (default drawn in 2016-2024).
        workloads: the workloads subscriptions may have (default all), e.g.
            ``[Workload.AZURE]``.
        kinds: the association kinds to use (default all), filtered per workload by
            ``KINDS_BY_WORKLOAD``.
        currencies: the currencies usage rows may carry (one per subscription).
        usage: whether to generate usage rows.
        seats: whether to generate seat rows (for non-Azure subscriptions).
        negative_usage: whether usage amounts may be negative (refunds, credits).
        readable_ids: short ``P-7``-style ids (default) or arbitrary Unicode ones.

    Returns:
        A ``LedgerFacts``.
    """
    first = first_month or draw(months(dt.date(2016, 1, 1), dt.date(2024, 12, 1)))
    first = first.replace(day=1)
    n_months = draw(st.integers(min_months, max_months))
    end_month = _month_of(_month_index(first) + n_months)
    window_months = [_month_of(_month_index(first) + i) for i in range(n_months)]

    partner_list = [
        Partner(pid, name=draw(names()))
        for pid in _unique_ids(draw, "P-", min_partners, max_partners, readable_ids)
    ]
    customer_list = [
        Customer(cid, name=draw(names()))
        for cid in _unique_ids(draw, "C-", min_customers, max_customers, readable_ids)
    ]
    workload_choices = sorted(workloads or Workload, key=lambda w: w.value)
    subscription_list: list[Subscription] = []
    if customer_list:
        subscription_list = [
            Subscription(
                sid,
                _pick(draw, customer_list).id,
                _pick(draw, workload_choices),
                name=draw(names()),
                offer=draw(offer_categories()),
            )
            for sid in _unique_ids(draw, "S-", min_subscriptions, max_subscriptions, readable_ids)
        ]

    wanted_kinds = frozenset(kinds) if kinds is not None else frozenset(AssociationKind)
    association_list: list[Association] = []
    taken: dict[tuple[object, ...], list[int]] = {}
    if partner_list and subscription_list:
        n_candidates = draw(st.integers(0, max_associations))
        last_day = end_month - dt.timedelta(days=1)
        start_days = days(first, last_day) | st.sampled_from(window_months)
        for _ in range(n_candidates):
            sub = _pick(draw, subscription_list)
            allowed = [k for k in KINDS_BY_WORKLOAD[sub.workload] if k in wanted_kinds]
            if not allowed:
                continue
            kind = _pick(draw, allowed)
            partner = _pick(draw, partner_list)
            start = draw(start_days)
            end: dt.date | None
            if kind is AssociationKind.GDAP:
                end = start + dt.timedelta(days=draw(_GDAP_DAYS))
            elif draw(st.booleans()):
                end = None
            else:
                end = start + dt.timedelta(days=draw(_SPAN_DAYS))
            key: tuple[object, ...]
            if kind in _EXCLUSIVE_PER_SUBSCRIPTION:
                key = (kind, sub.id)
            elif kind is AssociationKind.CPOR:
                key = (kind, sub.customer_id, sub.workload)
            else:
                key = (kind, sub.id, partner.id)
            # ``slots`` never overlap each other; fit the candidate in: an older association in
            # effect on ``start`` is replaced (it ends that day), a later one clips our end.
            slots = taken.setdefault(key, [])
            replaced: int | None = None
            for index in slots:
                old = association_list[index]
                if old.in_effect_on(start):
                    replaced = index
                elif start < old.start and (end is None or old.start < end):
                    end = old.start
            if replaced is not None:
                old = association_list[replaced]
                if old.start == start:
                    continue
                association_list[replaced] = attrs.evolve(old, end=start)
            slots.append(len(association_list))
            association_list.append(
                Association(
                    partner.id,
                    sub.id,
                    kind,
                    start,
                    end,
                    granted_by=draw(_GRANTED_BY[kind]),
                    role=draw(_ROLE),
                    recorded_on=draw(st.sampled_from((None, start))),
                )
            )

    usage_list: list[Usage] = []
    seat_list: list[SeatUsage] = []
    month_indexes = st.lists(st.integers(0, n_months - 1), max_size=n_months, unique=True)
    for sub in subscription_list:
        if usage:
            currency = _pick(draw, currencies)
            amount = _usage_amounts(currency, negative_usage)
            services = _AZURE_SERVICES if sub.workload is Workload.AZURE else _NO_SERVICE
            usage_list.extend(
                Usage(
                    sub.id,
                    window_months[i],
                    draw(amount),
                    currency,
                    service,
                )
                for i in sorted(draw(month_indexes))
                for service in draw(services)
            )
        if seats and sub.workload is not Workload.AZURE:
            seat_list.extend(
                SeatUsage(
                    sub.id,
                    window_months[i],
                    draw(_SEAT_COUNT),
                    draw(_SEAT_COUNT),
                )
                for i in sorted(draw(month_indexes))
            )

    return LedgerFacts(
        partners=tuple(partner_list),
        customers=tuple(customer_list),
        subscriptions=tuple(subscription_list),
        associations=tuple(association_list),
        usage=tuple(usage_list),
        seats=tuple(seat_list),
        first_month=first,
        end_month=end_month,
    )


def ledgers(**kwargs: Any) -> st.SearchStrategy[Ledger]:
    """Valid ``Ledger`` values: ``ledger_facts(**kwargs)`` built into a ledger.

    Args:
        **kwargs: the keyword arguments of ``ledger_facts`` (sizes, workloads, kinds,
            currencies ...).

    Returns:
        A strategy of ``Ledger`` values.
    """
    return ledger_facts(**kwargs).map(LedgerFacts.to_ledger)
