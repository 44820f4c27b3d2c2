"""The store: the `Ledger` class, its records, indexes and as-of queries.

Size: about 870 lines, over the house's 600, because this is the one public class and its
methods' docstrings are the API reference (about 350 lines: arguments, returns, what each
refuses); splitting the class over mixin modules would hide the inherited methods from the
generated reference. The code it calls lives in the sibling modules: the checks in
``_structural`` and ``_check``, the event bodies in ``_events``, the index codes in ``_links``,
the usage columns in ``partner_of_record._usage_input``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal, cast, overload

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_input import columns_table
from partner_of_record._usage_table import UsageRecords, UsageTable
from partner_of_record.errors import Finding, LedgerError
from partner_of_record.ledger import _events
from partner_of_record.ledger._check import _check, _recheck
from partner_of_record.ledger._links import (
    _CUSTOMER_ID,
    _SUB_ID,
    _index_by,
    _rows_by_code,
    flat_groups,
)
from partner_of_record.ledger._records import LenientLoad, Rejection, _found
from partner_of_record.ledger._state import Checked
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    CustomerId,
    Partner,
    PartnerId,
    Record,
    SeatUsage,
    Subscription,
    SubscriptionId,
    Usage,
)
from partner_of_record.rules import DEFAULT_RULES, RuleSet

_RECORD_TYPES = (Partner, Customer, Subscription, Association, Usage, SeatUsage)
"""The record types, in the order of the constructor's arguments."""
_RECORD_NAMES = ("partners", "customers", "subscriptions", "associations", "usage", "seats")
"""The constructor's arguments, in order (the keys of `Ledger.summary`)."""
_ROW_CACHES = ("_usage_by_sub", "_seats_by_sub", "_table", "_subs_by_customer", "_months")
"""What a ledger makes from its entities and rows on first use (an event's ledger keeps them)."""


class Ledger:
    """An immutable, validated set of partners, customers, subscriptions, associations and usage.

    Build one with ``Ledger(...)`` (raises on any problem) or
    [`Ledger.lenient(...)`][partner_of_record.Ledger.lenient] (keeps the valid records). Record
    history with the event methods, each returning a new ledger. Two ledgers are equal when they
    hold the same records (in any order) under the same rule set.

    Args:
        partners: the partners.
        customers: the customers.
        subscriptions: the subscriptions; each names a customer.
        associations: the partner-subscription links; each names a partner and a subscription.
        usage: monthly consumption rows; each names a subscription.
        seats: monthly seat records; each names a subscription.
        rules: the program rules to check (default
            [`DEFAULT_RULES`][partner_of_record.rules.DEFAULT_RULES]).

    Raises:
        LedgerError: the records break a structural check or a rule; ``findings`` lists every
            problem, each naming its record.
        TypeError: ``rules`` is not a ``RuleSet``, or a record is not of its argument's type.
    """

    __slots__ = (
        "_assoc_by_sub",
        "_associations",
        "_customers",
        "_customers_by_id",
        "_findings",
        "_months",
        "_ordered",
        "_partners",
        "_partners_by_id",
        "_rules",
        "_seats",
        "_seats_by_sub",
        "_subs_by_customer",
        "_subscriptions",
        "_subscriptions_by_id",
        "_table",
        "_usage",
        "_usage_by_sub",
    )

    _assoc_by_sub: Mapping[SubscriptionId, tuple[Association, ...]]
    _associations: tuple[Association, ...]
    _customers: tuple[Customer, ...]
    _customers_by_id: dict[CustomerId, Customer]
    _findings: tuple[Finding, ...]
    _months: tuple[dt.date, dt.date] | bool | None
    _ordered: tuple[Association, ...]
    _partners: tuple[Partner, ...]
    _partners_by_id: dict[PartnerId, Partner]
    _rules: RuleSet
    _seats: tuple[SeatUsage, ...]
    _seats_by_sub: dict[SubscriptionId, tuple[SeatUsage, ...]] | None
    _subs_by_customer: dict[CustomerId, tuple[Subscription, ...]] | None
    _subscriptions: tuple[Subscription, ...]
    _subscriptions_by_id: dict[SubscriptionId, Subscription]
    _table: UsageTable | None
    _usage: Sequence[Usage]
    _usage_by_sub: dict[SubscriptionId, tuple[Usage, ...]] | None

    def __init__(
        self,
        partners: Iterable[Partner] = (),
        customers: Iterable[Customer] = (),
        subscriptions: Iterable[Subscription] = (),
        associations: Iterable[Association] = (),
        usage: Iterable[Usage] = (),
        seats: Iterable[SeatUsage] = (),
        *,
        rules: RuleSet = DEFAULT_RULES,
    ) -> None:
        check = _check(partners, customers, subscriptions, associations, usage, seats, rules)
        errors = check.errors()
        if errors:
            raise LedgerError(errors)
        self._load(check)

    def _load(self, check: Checked) -> None:
        self._partners = check.partners
        self._customers = check.customers
        self._subscriptions = check.subscriptions
        self._associations = check.associations
        self._usage = check.usage
        self._seats = check.seats
        self._partners_by_id = check.partners_by_id
        self._customers_by_id = check.customers_by_id
        self._subscriptions_by_id = check.subscriptions_by_id
        self._assoc_by_sub = check.by_sub
        self._ordered = check.ordered
        self._rules = check.rules
        self._findings = check.warnings()
        self._usage_by_sub = None
        self._seats_by_sub = None
        self._subs_by_customer = None
        self._months = False  # not computed yet
        self._table = None  # the usage columns, made on first use from the records

    @classmethod
    def lenient(
        cls,
        partners: Iterable[Partner] = (),
        customers: Iterable[Customer] = (),
        subscriptions: Iterable[Subscription] = (),
        associations: Iterable[Association] = (),
        usage: Iterable[Usage] = (),
        seats: Iterable[SeatUsage] = (),
        *,
        rules: RuleSet = DEFAULT_RULES,
    ) -> LenientLoad:
        """Build a ledger of every valid record; return the problems as findings.

        Exports list a DPOR change as two rows: the old DPOR with no end date and the new one
        from its start day. A lenient load reads them as the change they record (as
        `name_dpor` would have): the open-ended DPOR ends on the day a later DPOR of another
        partner starts on the same subscription, with an informational ``DPOR_HANDOVER``
        finding (``"DPOR of P1 on S1 ended 2024-06-15 by the DPOR of P2"``), whatever the
        input order. ``DPOR_OVERLAP`` stays for real conflicts: a closed DPOR overlapping
        another, or two DPORs starting the same day. (Only when the rule set makes DPOR
        exclusive per subscription; the strict constructor applies no handover.)

        For each record type, every input record is either in ``result.ledger`` or in
        ``result.rejected`` (with the finding that rejected it). See the module documentation
        for which record of a conflicting pair is kept.

        Args:
            partners: the partners.
            customers: the customers.
            subscriptions: the subscriptions.
            associations: the associations.
            usage: the monthly usage rows.
            seats: the monthly seat records.
            rules: the program rules to check.

        Returns:
            The ledger, every finding and the rejected records.

        Raises:
            TypeError: ``rules`` is not a ``RuleSet``, or a record is not of its argument's type
                (a record of the wrong type is a programming error, not a data finding).
        """
        check = _check(
            partners, customers, subscriptions, associations, usage, seats, rules, handover=True
        )
        ledger = cls.__new__(cls)
        ledger._load(check)
        return LenientLoad(ledger, check.findings, check.rejections())

    @overload
    @classmethod
    def from_columns(
        cls,
        partners: Iterable[Partner] = (),
        customers: Iterable[Customer] = (),
        subscriptions: Iterable[Subscription] = (),
        associations: Iterable[Association] = (),
        usage: Any = None,
        seats: Iterable[SeatUsage] = (),
        *,
        rules: RuleSet = DEFAULT_RULES,
        lenient: Literal[False] = False,
    ) -> Ledger: ...

    @overload
    @classmethod
    def from_columns(
        cls,
        partners: Iterable[Partner] = (),
        customers: Iterable[Customer] = (),
        subscriptions: Iterable[Subscription] = (),
        associations: Iterable[Association] = (),
        usage: Any = None,
        seats: Iterable[SeatUsage] = (),
        *,
        rules: RuleSet = DEFAULT_RULES,
        lenient: Literal[True],
    ) -> LenientLoad: ...

    @classmethod
    def from_columns(
        cls,
        partners: Iterable[Partner] = (),
        customers: Iterable[Customer] = (),
        subscriptions: Iterable[Subscription] = (),
        associations: Iterable[Association] = (),
        usage: Any = None,
        seats: Iterable[SeatUsage] = (),
        *,
        rules: RuleSet = DEFAULT_RULES,
        lenient: bool = False,
    ) -> Ledger | LenientLoad:
        """Build a ledger whose usage rows are given as columns, checked column-wise.

        ``usage`` maps column names to arrays or sequences of equal length, or is a pandas or
        polars DataFrame or a pyarrow Table (converted through numpy; the libraries are not
        needed otherwise). The columns: ``subscription_id`` (str), ``month`` (a
        ``datetime.date``, numpy ``datetime64``, ISO string or day ordinal: the first day of a
        month), ``amount`` (``Decimal``, int or numeric string) or ``amount_minor`` (integers
        of the currency's minor unit, e.g. cents), and optionally ``currency`` (ISO 4217,
        default ``"USD"``), ``service`` (str or ``None``) and ``offer`` (an ``OfferCategory``
        or its value). Amounts are held in minor units, rounded half to even; an amount with
        more decimals than its currency keeps its original value.

        The usage rows get the checks of ``Ledger(...)``, with the same finding codes, each
        finding located by its row number (its ``subject`` is a ``UsageRow``):
        ``UNKNOWN_SUBSCRIPTION``, ``REJECTED_REFERENCE``, ``DUPLICATE_USAGE`` (the later row
        is rejected), and ``INVALID_VALUE`` for a value the model would refuse (not the first
        day of a month, not a currency, a float or non-numeric amount, more than 60 digits).
        The other records are checked as by ``Ledger(...)``; the rules run before the usage
        rows are added, so a rule does not see them.

        Args:
            partners: the partners.
            customers: the customers.
            subscriptions: the subscriptions.
            associations: the associations.
            usage: the usage columns.
            seats: the seat records.
            rules: the program rules to check.
            lenient: return a [`LenientLoad`][partner_of_record.ledger.LenientLoad] of the
                valid records instead of raising (rejected usage rows are ``UsageRow``s).

        Returns:
            The ledger, or with ``lenient`` the ledger, the findings and the rejections.

        Raises:
            LedgerError: (not lenient) a record or row breaks a check or a rule.
            TypeError: a usage column is missing, unknown or of the wrong length, or ``usage``
                is not a mapping, a DataFrame or an Arrow table.
        """
        if usage is None:
            usage = {"subscription_id": [], "month": [], "amount_minor": []}
        check = _check(
            partners, customers, subscriptions, associations, (), seats, rules, handover=lenient
        )
        table, row_findings, _ = columns_table(
            usage, check.subscriptions_by_id, check.gone_subscriptions
        )
        check = attrs.evolve(
            check, usage=UsageRecords(table), findings=check.findings + tuple(row_findings)
        )
        if not lenient:
            errors = check.errors()
            if errors:
                raise LedgerError(errors)
        ledger = cls.__new__(cls)
        ledger._load(check)
        ledger._table = table
        if not lenient:
            return ledger
        rows = tuple(Rejection(cast(Any, f.subject[0]), f) for f in row_findings)
        return LenientLoad(ledger, check.findings, check.rejections() + rows)

    # ---------------------------------------------------------------- records

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
        """The associations, in input order (an event's new association comes last)."""
        return self._associations

    @property
    def usage(self) -> Sequence[Usage]:
        """The monthly usage rows, in input order.

        The input records for a ledger built from records; for a ledger built from columns
        ([`from_columns`][partner_of_record.Ledger.from_columns]), a read-only sequence whose
        ``Usage`` records are made as they are read.
        """
        return self._usage

    def usage_table(self) -> UsageTable:
        """The usage rows as columns (made on first use, then kept); for the engine.

        Returns:
            The ledger's ``UsageTable`` (see ``partner_of_record._usage_table``).
        """
        if self._table is None:
            self._table = UsageTable.from_records(self._usage)
        return self._table

    @property
    def seats(self) -> tuple[SeatUsage, ...]:
        """The monthly seat records, in input order."""
        return self._seats

    @property
    def rules(self) -> RuleSet:
        """The rule set the ledger was checked against."""
        return self._rules

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Warnings found while checking (errors are raised, or rejected by a lenient load)."""
        return self._findings

    @property
    def months(self) -> tuple[dt.date, dt.date] | None:
        """The first and last month of the usage and seat records, or ``None`` if there are none."""
        if self._months is False:
            table = self._table
            if table is not None and len(table):
                ords = (int(table.month.min()), int(table.month.max()))
                months = {dt.date.fromordinal(d) for d in ords}
            else:
                months = {u.month for u in self._usage}
            months.update(s.month for s in self._seats)
            self._months = (min(months), max(months)) if months else None
        assert self._months is not True
        return self._months

    # ---------------------------------------------------------------- lookups

    def partner(self, partner_id: PartnerId) -> Partner:
        """Return the partner with this id; `UnknownRecordError` (a ``KeyError``) if none."""
        return _found(self._partners_by_id, "Partner", partner_id)

    def customer(self, customer_id: CustomerId) -> Customer:
        """Return the customer of this tenant id; `UnknownRecordError` (a ``KeyError``) if none."""
        return _found(self._customers_by_id, "Customer", customer_id)

    def subscription(self, subscription_id: SubscriptionId) -> Subscription:
        """Return the subscription with this id; `UnknownRecordError` (a ``KeyError``) if none."""
        return _found(self._subscriptions_by_id, "Subscription", subscription_id)

    # ---------------------------------------------------------------- as-of queries

    def associations_of(self, subscription_id: SubscriptionId) -> tuple[Association, ...]:
        """Every association of one subscription, ordered by ``(start, kind.value, partner_id)``.

        Args:
            subscription_id: the subscription ID; an unknown id has no associations.

        Returns:
            The associations, possibly empty.
        """
        return self._assoc_by_sub.get(subscription_id, ())

    def _associations_flat(
        self, subscription_ids: Sequence[SubscriptionId]
    ) -> tuple[tuple[Association, ...], npt.NDArray[np.int64]]:
        """``associations_of`` of each id, end to end, and how many each has (for the
        engine's read of a whole usage table: no tuple or index per subscription is made)."""
        return flat_groups(self._assoc_by_sub, subscription_ids)

    def history(self, subscription_id: SubscriptionId) -> tuple[Association, ...]:
        """The full association history of one subscription, ordered as `associations_of`.

        Args:
            subscription_id: the subscription ID.

        Returns:
            Every association the subscription ever had, ended ones included.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
        """
        self.subscription(subscription_id)
        return self.associations_of(subscription_id)

    def in_effect(self, subscription_id: SubscriptionId, day: dt.date) -> tuple[Association, ...]:
        """The associations in effect on ``subscription_id`` on ``day`` (``start <= day < end``).

        Args:
            subscription_id: the subscription ID; an unknown id has no associations.
            day: the day asked about.

        Returns:
            The associations in effect, ordered as `associations_of`.
        """
        return tuple(
            a
            for a in self._assoc_by_sub.get(subscription_id, ())
            if a.start <= day and (a.end is None or day < a.end)
        )

    def partners_of(
        self,
        subscription_id: SubscriptionId,
        day: dt.date,
        kinds: Iterable[AssociationKind] | None = None,
    ) -> frozenset[PartnerId]:
        """The partners associated with a subscription on a day.

        Args:
            subscription_id: the subscription ID.
            day: the day asked about.
            kinds: only count these association kinds (default: every kind).

        Returns:
            The ids of the partners with an association in effect that day.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
        """
        self.subscription(subscription_id)
        wanted = None if kinds is None else frozenset(kinds)
        return frozenset(
            a.partner_id
            for a in self.in_effect(subscription_id, day)
            if wanted is None or a.kind in wanted
        )

    def dpor(self, subscription_id: SubscriptionId, day: dt.date) -> Association | None:
        """The DPOR association in effect on a subscription on a day, if any.

        Args:
            subscription_id: the subscription ID.
            day: the day asked about.

        Returns:
            The DPOR association, or ``None``.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
        """
        self.subscription(subscription_id)
        for a in self.in_effect(subscription_id, day):
            if a.kind is AssociationKind.DPOR:
                return a
        return None

    def subscriptions_of(self, customer_id: CustomerId) -> tuple[Subscription, ...]:
        """The subscriptions of one customer, in input order.

        Args:
            customer_id: the customer's tenant ID.

        Returns:
            The customer's subscriptions, possibly empty.

        Raises:
            UnknownRecordError: the customer is not in the ledger.
        """
        self.customer(customer_id)
        if self._subs_by_customer is None:
            self._subs_by_customer = _index_by(self._subscriptions, _CUSTOMER_ID)
        return self._subs_by_customer.get(customer_id, ())

    def usage_of(self, subscription_id: SubscriptionId) -> tuple[Usage, ...]:
        """The usage rows of one subscription, in input order.

        Args:
            subscription_id: the subscription ID.

        Returns:
            The rows, possibly empty.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
        """
        self.subscription(subscription_id)
        if self._usage_by_sub is None and isinstance(self._usage, UsageRecords):
            table = self.usage_table()
            rows = _rows_by_code(table.sub)
            self._usage_by_sub = {
                s: tuple(map(table.usage, rows.get(i, ()))) for i, s in enumerate(table.sub_ids)
            }
        if self._usage_by_sub is None:
            self._usage_by_sub = _index_by(self._usage, _SUB_ID)
        return self._usage_by_sub.get(subscription_id, ())

    def seats_of(self, subscription_id: SubscriptionId) -> tuple[SeatUsage, ...]:
        """The seat records of one subscription, in input order.

        Args:
            subscription_id: the subscription ID.

        Returns:
            The records, possibly empty.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
        """
        self.subscription(subscription_id)
        if self._seats_by_sub is None:
            self._seats_by_sub = _index_by(self._seats, _SUB_ID)
        return self._seats_by_sub.get(subscription_id, ())

    # ---------------------------------------------------------------- events

    def _derive(
        self,
        replaced: Mapping[int, Association] | None = None,
        added: tuple[Association, ...] = (),
    ) -> Ledger:
        """A ledger with some associations replaced (keyed by ``id`` of the old one; same
        subscription, kind, partner and start) or added. Entities and rows are carried over
        (already checked); the association indexes are updated, and every rule is re-run."""
        check = _recheck(self, replaced or {}, added)
        errors = check.errors()
        if errors:
            raise LedgerError(errors)
        new = type(self).__new__(type(self))
        new._load(check)
        for name in _ROW_CACHES:  # the rows did not change: keep what was made from them
            setattr(new, name, getattr(self, name))
        return new

    def add(self, *records: Record) -> Ledger:
        """Return a new ledger with ``records`` added, checked like a new ledger.

        Args:
            *records: any model records (partners, customers, subscriptions, associations,
                usage rows, seat records), in any order.

        Returns:
            The new ledger.

        Raises:
            LedgerError: the records break a check or a rule.
            TypeError: a record is not a model record.
        """
        extra: dict[type[Any], list[Any]] = {t: [] for t in _RECORD_TYPES}
        for r in records:
            bucket = extra.get(type(r))
            if bucket is None:
                msg = f"Ledger.add: {r!r} is not a model record"
                raise TypeError(msg)
            bucket.append(r)
        if not any(more for t, more in extra.items() if t is not Association):
            # only associations: update the association indexes instead of rebuilding
            return self._derive(added=tuple(extra[Association]))
        mine = self._record_lists()
        more = [(*held, *extra[t]) for held, t in zip(mine, _RECORD_TYPES, strict=True)]
        return type(self)(*more, rules=self._rules)

    def with_rules(self, rules: RuleSet) -> Ledger:
        """Return the same records checked against another rule set.

        Args:
            rules: the rule set.

        Returns:
            The new ledger.

        Raises:
            LedgerError: the records break a rule of ``rules``.
        """
        return type(self)(*self._record_lists(), rules=rules)

    def _record_lists(self) -> tuple[Sequence[Any], ...]:
        """The records of each type, in the order of the constructor's arguments."""
        return (
            self._partners,
            self._customers,
            self._subscriptions,
            self._associations,
            self._usage,
            self._seats,
        )

    def associate(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        kind: AssociationKind,
        on: dt.date | str,
        end: dt.date | str | None = None,
        *,
        granted_by: Actor | None = None,
        role: str | None = None,
        auto_extend_days: int = 0,
    ) -> Ledger:
        """Record a new association from ``on`` (to ``end``, or open-ended).

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            kind: the association kind.
            on: its first day.
            end: the first day it is no longer in effect, or ``None``.
            granted_by: who made it, when known.
            role: the linked identity's RBAC role, when known.
            auto_extend_days: days the association extends itself by at each expiry (GDAP).

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription or the partner is not in the ledger.
            EventError: the partner already has an association of this kind on the subscription
                in effect on a day of ``[on, end)``.
            ValidationError: ``end`` is not after ``on``.
            LedgerError: the new association breaks a rule (e.g. DAP on Azure).
        """
        fields = {"granted_by": granted_by, "role": role, "auto_extend_days": auto_extend_days}
        return _events.associate(self, subscription_id, partner_id, kind, on, end, **fields)

    def end_association(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        kind: AssociationKind,
        on: dt.date | str,
    ) -> Ledger:
        """End the partner's association of ``kind`` in effect on ``on``: ``on`` becomes its end.

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            kind: the association kind.
            on: the first day it is no longer in effect; must be after its start.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
            EventError: no such association is in effect on ``on``, or ``on`` is on or before its
                start.
        """
        return _events.end_association(self, subscription_id, partner_id, kind, on)

    def name_dpor(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        on: dt.date | str,
        *,
        granted_by: Actor | None = Actor.CUSTOMER,
    ) -> Ledger:
        """The customer names ``partner_id`` DPOR of a subscription from ``on`` (open-ended).

        The DPOR in effect on ``on``, if any, ends that day: DPOR is not retroactive and there
        is one per subscription at a time.

        Args:
            subscription_id: the subscription.
            partner_id: the new DPOR.
            on: the first day of the new DPOR.
            granted_by: who named it (the customer).

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription or the partner is not in the ledger.
            EventError: the partner is already the DPOR on ``on``; the DPOR in effect started on
                ``on`` (it cannot end on its first day); or a DPOR is recorded to start after
                ``on`` (record history in date order).
            LedgerError: a rule refuses the DPOR (e.g. a workload DPOR is not allowed on).
        """
        return _events.name_dpor(self, subscription_id, partner_id, on, granted_by=granted_by)

    def remove_dpor(self, subscription_id: SubscriptionId, on: dt.date | str) -> Ledger:
        """The customer removes the DPOR in effect on ``on``; it ends that day.

        Args:
            subscription_id: the subscription.
            on: the first day without the DPOR; must be after the DPOR's start.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
            EventError: no DPOR is in effect on ``on``, or it starts on ``on``.
        """
        return _events.remove_dpor(self, subscription_id, on)

    def link_pal(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        on: dt.date | str,
        *,
        role: str | None = None,
    ) -> Ledger:
        """A partner identity links the partner ID to a subscription (PAL) from ``on``.

        [`associate`][partner_of_record.Ledger.associate] with kind ``PAL``, made by the
        partner; ``role`` is the identity's RBAC role (``"Owner"``, ``"Contributor"`` ...).
        """
        return self.associate(
            subscription_id,
            partner_id,
            AssociationKind.PAL,
            on,
            granted_by=Actor.PARTNER,
            role=role,
        )

    def unlink_pal(
        self, subscription_id: SubscriptionId, partner_id: PartnerId, on: dt.date | str
    ) -> Ledger:
        """The PAL link is removed (or its identity deleted): it ends on ``on``.

        [`end_association`][partner_of_record.Ledger.end_association] with kind ``PAL``."""
        return self.end_association(subscription_id, partner_id, AssociationKind.PAL, on)

    def grant_dap(
        self, subscription_id: SubscriptionId, partner_id: PartnerId, on: dt.date | str
    ) -> Ledger:
        """The customer grants the partner delegated admin privileges (DAP) from ``on``.

        [`associate`][partner_of_record.Ledger.associate] with kind ``DAP``, made by the
        customer; the rules refuse DAP on Azure."""
        return self.associate(
            subscription_id, partner_id, AssociationKind.DAP, on, granted_by=Actor.CUSTOMER
        )

    def revoke_dap(
        self, subscription_id: SubscriptionId, partner_id: PartnerId, on: dt.date | str
    ) -> Ledger:
        """The customer revokes the partner's DAP: it ends on ``on``.

        [`end_association`][partner_of_record.Ledger.end_association] with kind ``DAP``."""
        return self.end_association(subscription_id, partner_id, AssociationKind.DAP, on)

    def grant_gdap(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        on: dt.date | str,
        end: dt.date | str | None,
        *,
        auto_extend_days: int = 0,
    ) -> Ledger:
        """The customer approves a GDAP relationship for ``[on, end)``.

        [`associate`][partner_of_record.Ledger.associate] with kind ``GDAP``, made by the
        customer; the rules refuse GDAP on Azure and (unless it extends itself) longer than two
        years. A relationship's own duration is at most two years; with
        ``auto_extend_days=180`` (``autoExtendDuration`` P180D) it extends itself at each
        expiry, so its ``end`` (the day it was finally terminated, or ``None`` while it renews)
        may be later.

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day of the relationship.
            end: its expiry (the first day it is no longer in effect); ``None`` only for an
                auto-extending relationship still in effect.
            auto_extend_days: 0 (expires at ``end``) or the days of each automatic extension.
        """
        return self.associate(
            subscription_id,
            partner_id,
            AssociationKind.GDAP,
            on,
            end,
            granted_by=Actor.CUSTOMER,
            auto_extend_days=auto_extend_days,
        )

    def revoke_gdap(
        self, subscription_id: SubscriptionId, partner_id: PartnerId, on: dt.date | str
    ) -> Ledger:
        """The customer ends a GDAP relationship early: it ends on ``on``.

        [`end_association`][partner_of_record.Ledger.end_association] with kind ``GDAP``."""
        return self.end_association(subscription_id, partner_id, AssociationKind.GDAP, on)

    def claim_cpor(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        on: dt.date | str,
        end: dt.date | str | None = None,
    ) -> Ledger:
        """Record an approved CPOR claim from ``on`` (to ``end``, or open-ended).

        [`associate`][partner_of_record.Ledger.associate] with kind ``CPOR`` (the subscription's
        tenant and workload are the claim's scope); the rules refuse it when another partner
        holds CPOR for the tenant and workload."""
        return self.associate(subscription_id, partner_id, AssociationKind.CPOR, on, end)

    # ---------------------------------------------------------------- dunder and display

    def summary(self) -> dict[str, int]:
        """Count the records of each type.

        Returns:
            ``{"partners": n, "customers": n, "subscriptions": n, "associations": n,
            "usage": n, "seats": n}``.
        """
        return dict(zip(_RECORD_NAMES, map(len, self._record_lists()), strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ledger):
            return NotImplemented
        if self is other:
            return True
        return self._rules == other._rules and all(
            len(mine) == len(theirs) and set(mine) == set(theirs)
            for mine, theirs in zip(self._record_lists(), other._record_lists(), strict=True)
        )

    __hash__ = None  # type: ignore[assignment]  # equal by content, and not meant as a dict key

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.summary().items())
        return f"<Ledger {counts}, rules={self._rules.name!r}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{k}</th><td>{v:,}</td></tr>"
            for k, v in self.summary().items()
        )
        months = self.months
        span = f"{months[0]:%Y-%m} to {months[1]:%Y-%m}" if months else "no usage"
        return (
            "<table><caption>Ledger</caption>"
            f"{rows}"
            f"<tr><th style='text-align:left'>months</th><td>{html.escape(span)}</td></tr>"
            f"<tr><th style='text-align:left'>rules</th>"
            f"<td>{html.escape(self._rules.name)}</td></tr>"
            "</table>"
        )
