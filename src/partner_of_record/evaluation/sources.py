"""Credited facts from a ledger: one attribution per set of association kinds, cached.

[`LedgerFacts`][partner_of_record.evaluation.LedgerFacts] is the
[`FactSource`][partner_of_record.evaluation.context.FactSource] the evaluator uses. Requirements
counting the same association kinds share one ``attribute()`` call, and ``evaluate_all`` shares
the cache across partners. Amounts are converted to US dollars with the user's
[`RateTable`][partner_of_record.evaluation.RateTable], per partner and only when that
partner is measured.

Seats are not consumption and do not go through ``attribute()``: a partner is credited a
subscription's [`SeatUsage`][partner_of_record.SeatUsage] for a month under the
[`SeatCrediting`][partner_of_record.evaluation.SeatCrediting] rule (by default: an
association of a counted kind in effect on the month's last day; a CPOR claim counts for every
subscription of its tenant and workload).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from partner_of_record.attribution import Credits, RecognizeAll, attribute
from partner_of_record.attribution.policies import Policy
from partner_of_record.evaluation.context import AcrRow, SeatCrediting, SeatRow
from partner_of_record.evaluation.rates import RateTable
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    CustomerId,
    OfferCategory,
    PartnerId,
    SubscriptionId,
    Workload,
    month_end,
)

__all__ = ["LedgerFacts", "acr_row"]

_ALL_KINDS: frozenset[AssociationKind] = frozenset(AssociationKind)


def acr_row(
    ledger: Ledger,
    rates: RateTable,
    credited: tuple[SubscriptionId, dt.date, str | None, str, Decimal],
    offer: OfferCategory | None = None,
) -> AcrRow:
    """One credited sum as an [`AcrRow`][partner_of_record.evaluation.AcrRow] in US dollars.

    The one place where a credited amount of a subscription, month, service and currency
    becomes a consumption row: its customer and workload are the subscription's, its amount
    is converted with ``rates``. Used by ``LedgerFacts`` and by the Spark ``evaluate_all``.

    Args:
        ledger: the ledger holding the subscription.
        rates: the exchange rates to US dollars.
        credited: ``(subscription_id, month, service, currency, amount)``.
        offer: the usage row's own offer category; ``None`` for the subscription's.

    Returns:
        The consumption row.

    Raises:
        MissingRateError: the currency has no rate for the month.
    """
    sub_id, month, service, currency, amount = credited
    sub = ledger.subscription(sub_id)
    return AcrRow(
        customer_id=sub.customer_id,
        subscription_id=sub_id,
        workload=sub.workload,
        month=month,
        service=service,
        usd=rates.to_usd(amount, currency, month),
        offer=sub.offer if offer is None else offer,
    )


class LedgerFacts:
    """Credited consumption and seats of a ledger, cached per set of association kinds.

    With ``policy=None`` each set of kinds is attributed with ``RecognizeAll(kinds)``: every
    partner holding a counted association is credited in full for the days it is in effect.
    With a policy, the ledger is attributed once with it and a credit counts for a set of kinds
    when it was earned through one of them (approximate: a credit's kinds are the union over
    its month).

    Args:
        ledger: the facts.
        rates: US dollar rates for the other currencies (default: none; only USD converts).
        policy: an attribution policy replacing ``RecognizeAll(kinds)``, or ``None``.

    Attributes:
        ledger: the facts.
        rates: the US dollar rates used.
        policy: the attribution policy, or ``None`` (``RecognizeAll(kinds)`` per set of kinds).
    """

    __slots__ = (
        "_acr",
        "_by_partner",
        "_credits",
        "_months",
        "_row_offers",
        "_seats",
        "ledger",
        "policy",
        "rates",
    )

    def __init__(
        self, ledger: Ledger, rates: RateTable | None = None, policy: Policy | None = None
    ) -> None:
        self.ledger = ledger
        self.rates = rates if rates is not None else RateTable()
        self.policy = policy
        self._credits: dict[frozenset[AssociationKind], Credits] = {}
        self._by_partner: dict[tuple[frozenset[AssociationKind], PartnerId], Credits] = {}
        self._acr: dict[tuple[frozenset[AssociationKind], PartnerId], tuple[AcrRow, ...]] = {}
        self._seats: dict[
            tuple[frozenset[AssociationKind], SeatCrediting], dict[PartnerId, tuple[SeatRow, ...]]
        ] = {}
        months = {u.month for u in ledger.usage}
        months.update(s.month for s in ledger.seats)
        self._months = frozenset(months)
        self._row_offers: dict[tuple[str, dt.date, str | None, str], OfferCategory] | None = None

    def _offers(self) -> dict[tuple[str, dt.date, str | None, str], OfferCategory]:
        """Usage rows that carry their own offer, by usage key (built once, on first use)."""
        if self._row_offers is None:
            self._row_offers = {u.key: u.offer for u in self.ledger.usage if u.offer is not None}
        return self._row_offers

    def credits(self, kinds: frozenset[AssociationKind]) -> Credits:
        """Return the ledger's credits counted through ``kinds`` (cached).

        Args:
            kinds: the association kinds that count.

        Returns:
            The credits of every partner.
        """
        kinds = frozenset(kinds)
        found = self._credits.get(kinds)
        if found is None:
            if self.policy is None:
                found = attribute(self.ledger, RecognizeAll(kinds=kinds))
            else:
                found = self._credits.get(_ALL_KINDS)
                if found is None:
                    found = attribute(self.ledger, self.policy)
                    self._credits[_ALL_KINDS] = found
            self._credits[kinds] = found
        return found

    def partner_credits(self, partner_id: PartnerId, kinds: frozenset[AssociationKind]) -> Credits:
        """Return one partner's credits counted through ``kinds`` (cached; also the evidence).

        Args:
            partner_id: the partner.
            kinds: the association kinds that count.

        Returns:
            The partner's credits (with a policy: those earned through one of ``kinds``).
        """
        kinds = frozenset(kinds)
        key = (kinds, partner_id)
        found = self._by_partner.get(key)
        if found is None:
            if self.policy is None:
                found = self.credits(kinds).filter(partner_id=partner_id)
            else:
                found = self.credits(kinds).filter(partner_id=partner_id, kind=kinds)
            self._by_partner[key] = found
        return found

    def acr(self, partner_id: PartnerId, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        """Return the partner's credited consumption through ``kinds``, in US dollars.

        See ``FactSource.acr``.

        Raises:
            MissingRateError: a credited amount's currency has no rate for its month.
        """
        kinds = frozenset(kinds)
        key = (kinds, partner_id)
        rows = self._acr.get(key)
        if rows is None:
            ledger = self.ledger
            out = []
            totals = self.partner_credits(partner_id, kinds).totals(
                by=("subscription_id", "month", "service", "currency")
            )
            # a usage row's own offer overrides its subscription's (rows are keyed like usage)
            row_offers = self._offers()
            for row_key, amount in totals.items():
                sub_id, month, service, currency = row_key
                out.append(
                    acr_row(
                        ledger,
                        self.rates,
                        (sub_id, month, service, currency, amount),
                        row_offers.get(row_key),
                    )
                )
            rows = tuple(out)
            self._acr[key] = rows
        return rows

    def seats(
        self,
        partner_id: PartnerId,
        kinds: frozenset[AssociationKind],
        crediting: SeatCrediting,
    ) -> tuple[SeatRow, ...]:
        """Return the seats credited to the partner through ``kinds`` under ``crediting``.

        See ``FactSource.seats``.
        """
        key = (frozenset(kinds), crediting)
        table = self._seats.get(key)
        if table is None:
            table = self._credit_seats(key[0], crediting)
            self._seats[key] = table
        return table.get(partner_id, ())

    def _credit_seats(
        self, kinds: frozenset[AssociationKind], crediting: SeatCrediting
    ) -> dict[PartnerId, tuple[SeatRow, ...]]:
        ledger = self.ledger
        siblings: dict[tuple[CustomerId, Workload], list[SubscriptionId]] = defaultdict(list)
        for sub in ledger.subscriptions:
            siblings[(sub.customer_id, sub.workload)].append(sub.id)
        per_tenant_cpor = (
            AssociationKind.CPOR in kinds and crediting.cpor_scope == "tenant_workload"
        )
        on_month_end = crediting.on == "month_end"
        # the associations that may credit a subscription's seats, gathered once per
        # subscription: its own of a counted kind, plus (per tenant) its siblings' CPOR claims
        claims: dict[SubscriptionId, tuple[Association, ...]] = {}
        out: dict[PartnerId, list[SeatRow]] = defaultdict(list)
        for seat in ledger.seats:
            sub = ledger.subscription(seat.subscription_id)
            found = claims.get(sub.id)
            if found is None:
                own = [a for a in ledger.associations_of(sub.id) if a.kind in kinds]
                if per_tenant_cpor:
                    own.extend(
                        a
                        for other in siblings[(sub.customer_id, sub.workload)]
                        if other != sub.id
                        for a in ledger.associations_of(other)
                        if a.kind is AssociationKind.CPOR
                    )
                found = claims[sub.id] = tuple(own)
            if not found:
                continue
            start = seat.month
            end = month_end(start)
            if on_month_end:
                last_day = end - dt.timedelta(days=1)
                partners = {a.partner_id for a in found if a.in_effect_on(last_day)}
            else:
                partners = {a.partner_id for a in found if a.overlaps(start, end)}
            if not partners:
                continue
            row = SeatRow(
                customer_id=sub.customer_id,
                subscription_id=sub.id,
                workload=sub.workload,
                month=seat.month,
                paid_seats=seat.paid_seats,
                active_users=seat.active_users,
            )
            for partner in partners:
                out[partner].append(row)
        return {p: tuple(rows) for p, rows in out.items()}

    def has_usage(self, month: dt.date) -> bool:
        """Whether the ledger has any usage or seat record for ``month``.

        See ``FactSource.has_usage``.
        """
        return month in self._months
