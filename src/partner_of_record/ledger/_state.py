"""The state of one validation run, handed from step to step (see ``_check``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from partner_of_record.errors import Finding
from partner_of_record.ledger._links import _Links
from partner_of_record.ledger._records import Rejection
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
from partner_of_record.rules import Facts, RuleSet

_CASCADE = "REJECTED_REFERENCE"


@attrs.frozen(eq=False)
class Checked:
    """The state of one validation run (private; the mappings are not changed once built).

    Attributes:
        rules: the rule set of the run.
        handover: whether open DPORs are handed over (lenient loading).
        partners, customers, subscriptions, associations, usage, seats: the records kept so far,
            in input order.
        partners_by_id, customers_by_id, subscriptions_by_id: the kept entities by id.
        ordered: the kept associations in ``_assoc_order``.
        by_sub, by_kind: ``ordered`` by subscription and by kind.
        links: the integer codes of ``ordered`` while they still describe it, else ``None``.
        suspects: the subscriptions where two associations of one partner and kind may overlap.
        gone_partners, gone_customers, gone_subscriptions: ids whose every record was rejected;
            a reference to one is a ``REJECTED_REFERENCE``.
        originals: handed-over associations: ``id`` of the ended copy -> the input record.
        findings: every finding, in the order found.
        rejected: the records not kept, each with its finding, in the order found.
    """

    rules: RuleSet
    handover: bool = False
    partners: tuple[Partner, ...] = ()
    customers: tuple[Customer, ...] = ()
    subscriptions: tuple[Subscription, ...] = ()
    associations: tuple[Association, ...] = ()
    usage: Sequence[Usage] = ()
    seats: tuple[SeatUsage, ...] = ()
    partners_by_id: dict[PartnerId, Partner] = attrs.field(factory=dict)
    customers_by_id: dict[CustomerId, Customer] = attrs.field(factory=dict)
    subscriptions_by_id: dict[SubscriptionId, Subscription] = attrs.field(factory=dict)
    ordered: tuple[Association, ...] = ()
    by_sub: Mapping[SubscriptionId, tuple[Association, ...]] = attrs.field(factory=dict)
    by_kind: dict[AssociationKind, tuple[Association, ...]] = attrs.field(factory=dict)
    links: _Links | None = None
    suspects: tuple[SubscriptionId, ...] = ()
    gone_partners: frozenset[PartnerId] = frozenset()
    gone_customers: frozenset[CustomerId] = frozenset()
    gone_subscriptions: frozenset[SubscriptionId] = frozenset()
    originals: Mapping[int, Association] = attrs.field(factory=dict)
    findings: tuple[Finding, ...] = ()
    rejected: tuple[Rejection, ...] = ()

    def found(self, findings: Sequence[Finding], **changes: Any) -> Checked:
        """This state with ``changes`` and ``findings`` added; each error finding rejects the
        first record of its subject."""
        if findings:
            changes["findings"] = self.findings + tuple(findings)
            rejected = [Rejection(f.subject[0], f) for f in findings if f.severity == "error"]
            if rejected:
                changes["rejected"] = self.rejected + tuple(rejected)
        return attrs.evolve(self, **changes) if changes else self

    def facts(self) -> Facts:
        """What the rules see: the kept records and their indexes."""
        return Facts(
            partners=self.partners_by_id,
            customers=self.customers_by_id,
            subscriptions=self.subscriptions_by_id,
            associations=self.ordered,
            by_subscription=self.by_sub,
            by_kind=self.by_kind,
            usage=self.usage,  # type: ignore[arg-type]  # a lazy sequence for a columnar ledger
            seats=self.seats,
        )

    def errors(self) -> list[Finding]:
        """The error findings, without the cascades (a ``LedgerError`` lists root problems)."""
        return [f for f in self.findings if f.severity == "error" and f.code != _CASCADE]

    def rejections(self) -> tuple[Rejection, ...]:
        """The rejections, a handed-over association that a rule then rejects reported as it
        was input."""
        originals = self.originals
        if not originals:
            return self.rejected
        return tuple(
            Rejection(originals[id(r.record)], r.finding) if id(r.record) in originals else r
            for r in self.rejected
        )

    def warnings(self) -> tuple[Finding, ...]:
        """The findings that are not errors (kept on the ledger)."""
        return tuple(f for f in self.findings if f.severity != "error")


Step = Callable[[Checked], Checked]
"""A structural check or a rule of a run: the state before, the state after."""
