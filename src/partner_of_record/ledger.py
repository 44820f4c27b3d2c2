"""The ledger: a checked, indexed, immutable set of facts, with its history.

A [`Ledger`][partner_of_record.Ledger] holds partners, customers, subscriptions, associations,
monthly usage and seat records. Building one checks the whole set at once:

* **structural checks**, always on: duplicate ids, references to unknown partners, customers
  or subscriptions, two associations of the same partner, subscription and kind in effect on the
  same day, two usage rows for the same ``(subscription, month, service, currency)``, two seat
  records for the same ``(subscription, month)``;
* the **program rules** of its [`RuleSet`][partner_of_record.rules.RuleSet] (default
  [`DEFAULT_RULES`][partner_of_record.rules.DEFAULT_RULES]), run in order.

``Ledger(...)`` raises one [`LedgerError`][partner_of_record.LedgerError] listing **every**
problem (each finding names its record). [`Ledger.lenient`][partner_of_record.Ledger.lenient]
instead keeps every valid record and returns the others as
[`Rejection`][partner_of_record.ledger.Rejection]s, each with its finding; nothing is silently
dropped: for each record type, ``input == kept + rejected``. Which record of a conflicting pair
is rejected:

* a duplicate id: the later one in input order (the first is kept);
* overlapping associations (DPOR overlap, CPOR overlap, duplicate association): the one that
  starts later (same start: the later in ``(kind, partner_id)`` order), so the earlier holder
  keeps its association. Before that, a lenient load reads an open-ended DPOR followed by a
  later DPOR of another partner as a change of DPOR (the handover ``name_dpor`` records): the
  open one ends on the later one's start day (finding ``DPOR_HANDOVER``), nothing is rejected;
* a duplicate usage or seat key: the later row in input order;
* a record referring to a rejected record is rejected too (``REJECTED_REFERENCE``). Such
  cascade findings are not repeated in a ``LedgerError``, which lists the root problems.

Rules run in their set's order and a record rejected by one rule is not seen by the next, so a
DPOR on a refused workload is not also reported as overlapping a valid DPOR.

History is recorded with **events** that return a *new* ledger (the ledger is immutable):
`Ledger.name_dpor` (the DPOR in effect ends that day), `Ledger.remove_dpor`,
`Ledger.link_pal` / `Ledger.unlink_pal`, `Ledger.grant_dap` / `Ledger.revoke_dap`,
`Ledger.grant_gdap` / `Ledger.revoke_gdap`, `Ledger.claim_cpor`, the general
`Ledger.associate` and `Ledger.end_association`, and
[`add`][partner_of_record.Ledger.add] for any records. Event days are ``datetime.date``
values or ISO ``"YYYY-MM-DD"`` strings (anything else is a ``ValidationError`` naming the
parameter). Each event is checked like a new ledger
(so an event that breaks a rule raises a ``LedgerError``) and refuses with an
[`EventError`][partner_of_record.ledger.EventError] what cannot be history: ending an
association on or before its start, a second association of the same partner and kind in effect
at the same time, a DPOR named before a DPOR that is already recorded to start later. Events
only re-check associations and the rules; usage and seat rows are carried over unchanged.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import gc
import html
import itertools
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, TypeVar, cast, overload

import attrs

from partner_of_record._usage_table import UsageRecords, UsageTable, columns_table
from partner_of_record.errors import Finding, LedgerError, PartnerOfRecordError, ValidationError
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
from partner_of_record.rules import (
    DEFAULT_RULES,
    ExclusiveKind,
    Facts,
    RuleSet,
    dpor_handovers,
    handover_kinds,
)

__all__ = ["EventError", "Ledger", "LenientLoad", "Rejection", "UnknownRecordError"]

_T = TypeVar("_T")
_K = TypeVar("_K")

_FOREVER = dt.date.max
_SUB_ID = operator.attrgetter("subscription_id")
_USAGE_KEY = operator.attrgetter("subscription_id", "month", "service", "currency")
_SEAT_KEY = operator.attrgetter("subscription_id", "month")
_KIND_VALUE = operator.attrgetter("kind._value_")
_CUSTOMER_ID = operator.attrgetter("customer_id")
_CASCADE = "REJECTED_REFERENCE"


# Hot loops avoid hashing enum members (Enum.__hash__ is a Python-level call) by using the
# member's ``_value_``; ``attrgetter`` keeps the per-record key building in C.
_assoc_order = operator.attrgetter("start", "kind._value_", "partner_id")


def _grouped(records: Iterable[_T], key: Callable[[_T], _K]) -> dict[_K, list[_T]]:
    """``records`` grouped by ``key``, each group in input order."""
    groups: defaultdict[_K, list[_T]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r)
    return groups


def _rows_by_code(codes: Any) -> dict[int, list[int]]:
    """The row numbers of each code of an integer array, each list in row order."""
    out: defaultdict[int, list[int]] = defaultdict(list)
    for row, code in enumerate(codes.tolist()):
        out[code].append(row)
    return out


def _index_by(records: Iterable[_T], key: Callable[[_T], _K]) -> dict[_K, tuple[_T, ...]]:
    """``records`` grouped by ``key`` into tuples, for the ledger's lazy lookups."""
    return {k: tuple(v) for k, v in _grouped(records, key).items()}


def _tiebreak(a: Association) -> tuple[dt.date, str, str, dt.date]:
    """Order associations that share (start, kind, partner) by their other fields."""
    return (
        a.end or _FOREVER,
        "" if a.granted_by is None else a.granted_by.value,
        a.role or "",
        a.recorded_on or dt.date.min,
    )


def _as_day(value: object, method: str, parameter: str) -> dt.date:
    """An event's day: a ``datetime.date`` or an ISO ``YYYY-MM-DD`` string, as the loaders read.

    Raises:
        ValidationError: anything else (a ``ValueError`` naming the method and parameter).
    """
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            with contextlib.suppress(ValueError):
                return dt.date.fromisoformat(text)
    raise ValidationError(
        f"Ledger.{method}",
        parameter,
        value,
        "is not a date (a datetime.date or an ISO date string)",
        "pass datetime.date(2024, 6, 1) or '2024-06-01'",
    )


def _as_optional_day(value: object, method: str, parameter: str) -> dt.date | None:
    return None if value is None else _as_day(value, method, parameter)


class UnknownRecordError(PartnerOfRecordError, KeyError):
    """A lookup named a record the ledger does not hold.

    It is a ``KeyError``, so ``except KeyError`` keeps working.

    Attributes:
        record: the record type looked up, e.g. ``"Subscription"``.
        id: the id that was not found.
    """

    def __init__(self, record: str, record_id: object) -> None:
        self.record = record
        self.id = record_id
        super().__init__(f"no {record} with id {record_id!r} in the ledger")

    def __str__(self) -> str:
        return str(self.args[0])


class EventError(PartnerOfRecordError, ValueError):
    """An event cannot be recorded in the ledger's history (the message says why)."""


@attrs.frozen
class Rejection:
    """A record that a lenient load did not keep, and why.

    Attributes:
        record: the rejected record.
        finding: the (first) finding that rejected it.
    """

    record: Record
    finding: Finding


@attrs.frozen
class LenientLoad:
    """The result of [`Ledger.lenient`][partner_of_record.Ledger.lenient].

    Attributes:
        ledger: a valid ledger of every record that passed.
        findings: every finding, in the order found (structural checks, then rule by rule).
        rejected: the records not kept, each with its finding, in the order found.
    """

    ledger: Ledger
    findings: tuple[Finding, ...]
    rejected: tuple[Rejection, ...]

    @property
    def ok(self) -> bool:
        """Whether nothing was rejected and no error was found."""
        return not self.rejected and not any(f.severity == "error" for f in self.findings)

    def rejected_of(self, record_type: type[Any]) -> tuple[Rejection, ...]:
        """Return the rejections of one record type (e.g. ``Association``).

        Args:
            record_type: a model record class.

        Returns:
            The matching rejections, in the order found.
        """
        return tuple(r for r in self.rejected if type(r.record) is record_type)


def _label(record: object) -> str:
    if isinstance(record, Association):
        return record.describe()
    if isinstance(record, Usage):
        return f"Usage {record.describe()}"
    if isinstance(record, SeatUsage):
        return f"SeatUsage {record.subscription_id} {record.month:%Y-%m}"
    if isinstance(record, Partner | Customer | Subscription):
        return f"{type(record).__name__} {record.id!r}"
    return repr(record)


class _Check:
    """One validation run: the kept records, their indexes, the findings and rejections."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self.findings: list[Finding] = []
        self.rejected: list[Rejection] = []
        self.partners: tuple[Partner, ...] = ()
        self.customers: tuple[Customer, ...] = ()
        self.subscriptions: tuple[Subscription, ...] = ()
        self.associations: tuple[Association, ...] = ()
        self.usage: Sequence[Usage] = ()
        self.seats: tuple[SeatUsage, ...] = ()
        self.partners_by_id: dict[PartnerId, Partner] = {}
        self.customers_by_id: dict[CustomerId, Customer] = {}
        self.subscriptions_by_id: dict[SubscriptionId, Subscription] = {}
        self.ordered: tuple[Association, ...] = ()
        self.by_sub: dict[SubscriptionId, tuple[Association, ...]] = {}
        self.by_kind: dict[AssociationKind, tuple[Association, ...]] = {}
        # ids whose every record was rejected: references to them cascade
        self.gone_partners: set[PartnerId] = set()
        self.gone_customers: set[CustomerId] = set()
        self.gone_subscriptions: set[SubscriptionId] = set()
        # handed-over associations (lenient loading): id of the ended copy -> the input record
        self.originals: dict[int, Association] = {}

    # ---------------------------------------------------------------- helpers

    def reject(self, record: Record, finding: Finding) -> None:
        self.findings.append(finding)
        self.rejected.append(Rejection(record, finding))

    def _missing(
        self, record: Record, field: str, target: str, ref: str, gone: set[str]
    ) -> Finding:
        if ref in gone:
            return Finding(
                _CASCADE,
                f"{_label(record)}: {field} {ref!r} names a {target} that was rejected",
                (record,),
            )
        code = f"UNKNOWN_{target.upper()}"
        return Finding(
            code,
            f"{_label(record)}: {field} {ref!r} names a {target} that is not in the ledger",
            (record,),
        )

    def _dedupe(
        self, records: tuple[Any, ...], label: str
    ) -> tuple[dict[str, Any], tuple[Any, ...]]:
        by_id = {r.id: r for r in records}
        if len(by_id) == len(records):
            return by_id, records
        by_id = {}
        kept = []
        for r in records:
            first = by_id.get(r.id)
            if first is not None:
                self.reject(
                    r,
                    Finding(
                        "DUPLICATE_ID",
                        f"{label} {r.id!r} is listed more than once: {r!r} repeats the id of "
                        f"{first!r}, which is kept",
                        (r, first),
                    ),
                )
            else:
                by_id[r.id] = r
                kept.append(r)
        return by_id, tuple(kept)

    # ---------------------------------------------------------------- structural checks

    def entities(
        self,
        partners: tuple[Partner, ...],
        customers: tuple[Customer, ...],
        subscriptions: tuple[Subscription, ...],
    ) -> None:
        self.partners_by_id, self.partners = self._dedupe(partners, "Partner")
        self.customers_by_id, self.customers = self._dedupe(customers, "Customer")
        kept = self._known_customers(subscriptions)
        if len(kept) != len(subscriptions):
            self.gone_subscriptions |= {s.id for s in subscriptions} - {s.id for s in kept}
        self.subscriptions_by_id, self.subscriptions = self._dedupe(kept, "Subscription")

    def _known_customers(self, subscriptions: tuple[Subscription, ...]) -> tuple[Subscription, ...]:
        """Reject the subscriptions naming an unknown customer."""
        known = self.customers_by_id
        if {s.customer_id for s in subscriptions} <= known.keys():
            return subscriptions
        kept = []
        for s in subscriptions:
            if s.customer_id in known:
                kept.append(s)
            else:
                self.reject(
                    s,
                    self._missing(s, "customer_id", "Customer", s.customer_id, self.gone_customers),
                )
        return tuple(kept)

    def _known_links(self, associations: tuple[Association, ...]) -> tuple[Association, ...]:
        """Reject the associations naming an unknown subscription or partner."""
        subs = self.subscriptions_by_id
        partners = self.partners_by_id
        if (
            set(map(_SUB_ID, associations)) <= subs.keys()
            and {a.partner_id for a in associations} <= partners.keys()
        ):
            return associations
        kept = []
        for a in associations:
            if a.subscription_id not in subs:
                self.reject(
                    a,
                    self._missing(
                        a,
                        "subscription_id",
                        "Subscription",
                        a.subscription_id,
                        self.gone_subscriptions,
                    ),
                )
            elif a.partner_id not in partners:
                self.reject(
                    a,
                    self._missing(a, "partner_id", "Partner", a.partner_id, self.gone_partners),
                )
            else:
                kept.append(a)
        return tuple(kept)

    def _duplicates(self, groups: Iterable[Sequence[Association]]) -> set[int]:
        """Reject the later of two same-partner, same-kind associations of a subscription that
        overlap; ``groups`` are per-subscription lists in ``associations_of`` order."""
        drop: set[int] = set()
        for items in groups:
            if len(items) < 2:
                continue
            current: dict[tuple[PartnerId, str], Association] = {}
            for a in items:
                key = (a.partner_id, a.kind._value_)
                prev = current.get(key)
                if prev is not None and a.start < (prev.end or _FOREVER):
                    loser, winner = a, prev
                    if a.start == prev.start and _tiebreak(a) < _tiebreak(prev):
                        # same start: keep the one first in a total order, not in input order
                        loser, winner = prev, a
                        current[key] = a
                    drop.add(id(loser))
                    self.reject(
                        loser,
                        Finding(
                            "DUPLICATE_ASSOCIATION",
                            f"{loser.describe()} overlaps {winner.describe()}: the same partner, "
                            f"subscription and kind in effect twice on the same day",
                            (loser, winner),
                        ),
                    )
                    continue
                current[key] = a
        return drop

    def links(self, associations: tuple[Association, ...], *, handover: bool = False) -> None:
        associations = self._known_links(associations)
        self.ordered = tuple(sorted(associations, key=_assoc_order))
        grouped = _grouped(self.ordered, _SUB_ID)
        if handover:
            associations, grouped = self._hand_over(associations, grouped)
        drop = self._duplicates(grouped.values())
        self.associations = associations
        if drop:
            self._drop_links(drop)
        else:
            self._index(grouped)

    def relink(
        self,
        base: Ledger,
        replaced: Mapping[int, Association],
        added: tuple[Association, ...],
    ) -> None:
        """Check ``base``'s associations with a few replaced (same subscription, kind, partner
        and start; by ``id`` of the old one) or added, updating ``base``'s indexes instead of
        rebuilding them. Gives the same result as ``links`` on the new associations."""
        added = self._known_links(added)
        old = base._associations
        associations = old if not replaced else tuple(replaced.get(id(a), a) for a in old)
        self.associations = associations + added
        ordered = list(base._ordered)
        affected: set[SubscriptionId] = set()
        for old_id, new in replaced.items():
            i = bisect.bisect_left(ordered, _assoc_order(new), key=_assoc_order)
            while id(ordered[i]) != old_id:
                i += 1
            ordered[i] = new
            affected.add(new.subscription_id)
        for a in added:
            bisect.insort_right(ordered, a, key=_assoc_order)
            affected.add(a.subscription_id)
        self.ordered = tuple(ordered)
        by_sub = dict(base._assoc_by_sub)
        for sub in affected:
            items = [replaced.get(id(a), a) for a in by_sub.get(sub, ())]
            items.extend(a for a in added if a.subscription_id == sub)
            by_sub[sub] = tuple(sorted(items, key=_assoc_order))
        drop = self._duplicates(by_sub[sub] for sub in affected)
        if drop:
            self._drop_links(drop)
            return
        self.by_sub = by_sub
        self._index_kinds()

    def _hand_over(
        self,
        associations: tuple[Association, ...],
        grouped: dict[SubscriptionId, list[Association]],
    ) -> tuple[tuple[Association, ...], dict[SubscriptionId, list[Association]]]:
        """Apply DPOR handovers as exports show them (lenient loading only).

        An open-ended DPOR ends on the earliest later start of a DPOR of another partner on its
        subscription, as `Ledger.name_dpor` would have recorded the change (one DPOR per
        subscription at a time; a new one replaces the old). Each handover is an informational
        ``DPOR_HANDOVER`` finding. Applied before the duplicate check (so P1, P2, then P1 again
        reads as two changes) and only when the rule set makes DPOR exclusive per subscription
        (`rules.handover_kinds`). Two DPORs starting the same day, or a closed window
        overlapping a later DPOR, are left to the rules (``DPOR_OVERLAP``). Returns the
        associations (input order) and the groups with the ended copies.

        A DPOR that another rule of the set refuses on its own (one granted by the partner,
        say) hands nothing over: it will be rejected, so it must not end its predecessor."""
        pending: list[tuple[AssociationKind, list[Association]]] = []
        for kind in handover_kinds(self.rules):
            # only subscriptions with two associations of the kind or more can hand over
            counts = Counter(map(_SUB_ID, [a for a in self.ordered if a.kind is kind]))
            pending.extend(
                (kind, grouped[sub])
                for sub, count in counts.items()
                if count > 1 and dpor_handovers(grouped[sub], kind)
            )
        if not pending:
            return associations, grouped
        refused = self._refused_alone(grouped)
        replaced: dict[int, Association] = {}
        for kind, items in pending:
            valid = [a for a in items if id(a) not in refused]
            for old, new, by in dpor_handovers(valid, kind):
                replaced[id(old)] = new
                self.originals[id(new)] = old
                self.findings.append(
                    Finding(
                        f"{kind.name}_HANDOVER",
                        f"{kind.name} of {old.partner_id} on {old.subscription_id} ended "
                        f"{by.start.isoformat()} by the {kind.name} of {by.partner_id}",
                        (new, by),
                        "info",
                    )
                )
        if not replaced:
            return associations, grouped
        self.ordered = tuple(replaced.get(id(a), a) for a in self.ordered)
        grouped = {sub: [replaced.get(id(a), a) for a in items] for sub, items in grouped.items()}
        return tuple(replaced.get(id(a), a) for a in associations), grouped

    def _refused_alone(self, grouped: Mapping[SubscriptionId, list[Association]]) -> set[int]:
        """The ids of the associations a rule other than an ``ExclusiveKind`` refuses (errors
        naming them first), checked before any handover is applied."""
        others = [r for r in self.rules.rules if not isinstance(r, ExclusiveKind)]
        if not others:
            return set()
        facts = Facts(
            partners=self.partners_by_id,
            customers=self.customers_by_id,
            subscriptions=self.subscriptions_by_id,
            associations=self.ordered,
            by_subscription={sub: tuple(items) for sub, items in grouped.items()},
            by_kind={
                AssociationKind(k): tuple(v) for k, v in _grouped(self.ordered, _KIND_VALUE).items()
            },
        )
        return {
            id(f.subject[0])
            for rule in others
            for f in rule.check(facts)
            if f.severity == "error" and f.subject
        }

    def _index(self, grouped: Mapping[SubscriptionId, list[Association]] | None = None) -> None:
        """Index ``ordered`` by subscription (``grouped``, when already done) and by kind."""
        if grouped is None:
            grouped = _grouped(self.ordered, _SUB_ID)
        self.by_sub = {sub: tuple(items) for sub, items in grouped.items()}
        self._index_kinds()

    def _index_kinds(self) -> None:
        kinds = _grouped(self.ordered, _KIND_VALUE)
        self.by_kind = {AssociationKind(k): tuple(v) for k, v in kinds.items()}

    def _drop_links(self, dropped: set[int]) -> None:
        self.associations = tuple(a for a in self.associations if id(a) not in dropped)
        self.ordered = tuple(a for a in self.ordered if id(a) not in dropped)
        self._index()

    def rows(self, usage: Sequence[Usage], seats: tuple[SeatUsage, ...]) -> None:
        self.usage = self._rows(
            usage,
            _USAGE_KEY,
            "DUPLICATE_USAGE",
            "usage row",
            "(subscription, month, service, currency)",
        )
        self.seats = tuple(
            self._rows(seats, _SEAT_KEY, "DUPLICATE_SEATS", "seat record", "(subscription, month)")
        )

    def _rows(
        self,
        rows: Sequence[Any],
        key: Callable[[Any], tuple[Any, ...]],
        code: str,
        what: str,
        fields: str,
    ) -> Sequence[Any]:
        """Reject rows naming an unknown subscription, then rows repeating an earlier key
        (``code``; ``what`` names a row and ``fields`` its key in the message)."""
        subs = self.subscriptions_by_id
        if not set(map(_SUB_ID, rows)) <= subs.keys():
            known = list(map(subs.__contains__, map(_SUB_ID, rows)))
            for r in itertools.compress(rows, map(operator.not_, known)):
                self.reject(
                    r,
                    self._missing(
                        r,
                        "subscription_id",
                        "Subscription",
                        r.subscription_id,
                        self.gone_subscriptions,
                    ),
                )
            rows = tuple(itertools.compress(rows, known))
        if len(set(map(key, rows))) == len(rows):
            return rows
        # slow path, still without a Python-level loop over every row: the index of each key's
        # first row (later assignments win, so assign in reverse), then the rows that are not it
        keys = list(map(key, rows))
        n = len(keys)
        first = dict(zip(reversed(keys), range(n - 1, -1, -1), strict=True))
        firsts = list(map(first.__getitem__, keys))
        for i in itertools.compress(range(n), map(operator.ne, firsts, range(n))):
            r, kept = rows[i], rows[firsts[i]]
            self.reject(
                r,
                Finding(
                    code,
                    f"{_label(r)} has the same {what} key {fields} as {_label(kept)}, which is "
                    "kept",
                    (r, kept),
                ),
            )
        return tuple(itertools.compress(rows, map(operator.eq, firsts, range(n))))

    # ---------------------------------------------------------------- rules

    def facts(self) -> Facts:
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

    def apply_rules(self) -> None:
        facts = self.facts()
        for rule in self.rules.rules:
            victims: list[Record] = []
            taken: set[int] = set()
            for finding in rule.check(facts):
                if finding.severity != "error" or not finding.subject:
                    self.findings.append(finding)
                    continue
                victim = finding.subject[0]
                if id(victim) in taken:
                    self.findings.append(finding)
                    continue
                taken.add(id(victim))
                victims.append(victim)
                self.reject(victim, finding)
            if victims:
                self._drop(victims)
                facts = self.facts()

    def _drop(self, victims: list[Record]) -> None:
        """Remove records rejected by a rule, and cascade to the records that refer to them."""
        ids = {id(v) for v in victims}
        if any(isinstance(v, Partner) for v in victims):
            self.partners = tuple(p for p in self.partners if id(p) not in ids)
            self.partners_by_id = {p.id: p for p in self.partners}
            self.gone_partners |= {
                v.id for v in victims if isinstance(v, Partner)
            } - self.partners_by_id.keys()
        if any(isinstance(v, Customer) for v in victims):
            self.customers = tuple(c for c in self.customers if id(c) not in ids)
            self.customers_by_id = {c.id: c for c in self.customers}
            self.gone_customers |= {
                v.id for v in victims if isinstance(v, Customer)
            } - self.customers_by_id.keys()
        subs = tuple(s for s in self.subscriptions if id(s) not in ids)
        subs_changed = False
        if len(subs) != len(self.subscriptions) or self.gone_customers:
            kept = self._known_customers(subs)
            subs_changed = len(kept) != len(self.subscriptions)
            before = {s.id for s in self.subscriptions}
            self.subscriptions = kept
            self.subscriptions_by_id = {s.id: s for s in kept}
            self.gone_subscriptions |= before - self.subscriptions_by_id.keys()
        assocs = self._known_links(tuple(a for a in self.associations if id(a) not in ids))
        if len(assocs) != len(self.associations):
            self._drop_links({id(a) for a in self.associations} - {id(a) for a in assocs})
        if any(isinstance(v, Usage | SeatUsage) for v in victims):
            self.usage = tuple(u for u in self.usage if id(u) not in ids)
            self.seats = tuple(s for s in self.seats if id(s) not in ids)
        if subs_changed:
            self.rows(self.usage, self.seats)

    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error" and f.code != _CASCADE]

    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity != "error")


def _check(
    partners: Iterable[Partner],
    customers: Iterable[Customer],
    subscriptions: Iterable[Subscription],
    associations: Iterable[Association],
    usage: Iterable[Usage],
    seats: Iterable[SeatUsage],
    rules: RuleSet,
    *,
    handover: bool = False,
) -> _Check:
    if not isinstance(rules, RuleSet):
        msg = f"Ledger.rules: {rules!r} is not a RuleSet"
        raise TypeError(msg)
    check = _Check(rules)
    with _no_gc():
        ps = _typed(partners, Partner, "partners")
        cs = _typed(customers, Customer, "customers")
        ss = _typed(subscriptions, Subscription, "subscriptions")
        check.entities(ps, cs, ss)
        check.links(_typed(associations, Association, "associations"), handover=handover)
        check.rows(_typed(usage, Usage, "usage"), _typed(seats, SeatUsage, "seats"))
        check.apply_rules()
    return check


def _typed(records: Iterable[Any], record_type: type[Any], field: str) -> tuple[Any, ...]:
    """Return ``records`` as a tuple; raise a TypeError naming the first of another type."""
    rows = tuple(records)
    if rows and set(map(type, rows)) != {record_type}:
        for i, r in enumerate(rows):
            if not isinstance(r, record_type):
                msg = f"Ledger.{field}[{i}]: {r!r} is not a {record_type.__name__}"
                raise TypeError(msg)
    return rows


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while checking.

    The checks allocate millions of small tuples (keys, index entries) that hold no cycles; the
    collector's repeated passes over them more than doubled the time on large ledgers. The
    previous state is restored on exit, also when a check raises.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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

    _assoc_by_sub: dict[SubscriptionId, tuple[Association, ...]]
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

    def _load(self, check: _Check) -> None:
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
        rejected = tuple(check.rejected)
        if check.originals:
            # a handed-over association that a rule then rejects is reported as it was input
            originals = check.originals
            rejected = tuple(
                Rejection(originals[id(r.record)], r.finding) if id(r.record) in originals else r
                for r in rejected
            )
        return LenientLoad(ledger, tuple(check.findings), rejected)

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
        check.usage = UsageRecords(table)
        check.findings.extend(row_findings)
        if not lenient:
            errors = check.errors()
            if errors:
                raise LedgerError(errors)
        ledger = cls.__new__(cls)
        ledger._load(check)
        ledger._table = table
        if not lenient:
            return ledger
        rejected = tuple(check.rejected)
        if check.originals:
            originals = check.originals
            rejected = tuple(
                Rejection(originals[id(r.record)], r.finding) if id(r.record) in originals else r
                for r in rejected
            )
        rows = tuple(Rejection(cast(Any, f.subject[0]), f) for f in row_findings)
        return LenientLoad(ledger, tuple(check.findings), rejected + rows)

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
        """Return the partner with this id.

        Args:
            partner_id: the partner ID.

        Returns:
            The partner.

        Raises:
            UnknownRecordError: no partner has this id (a ``KeyError``).
        """
        try:
            return self._partners_by_id[partner_id]
        except KeyError:
            raise UnknownRecordError("Partner", partner_id) from None

    def customer(self, customer_id: CustomerId) -> Customer:
        """Return the customer with this id.

        Args:
            customer_id: the customer's tenant ID.

        Returns:
            The customer.

        Raises:
            UnknownRecordError: no customer has this id (a ``KeyError``).
        """
        try:
            return self._customers_by_id[customer_id]
        except KeyError:
            raise UnknownRecordError("Customer", customer_id) from None

    def subscription(self, subscription_id: SubscriptionId) -> Subscription:
        """Return the subscription with this id.

        Args:
            subscription_id: the subscription ID.

        Returns:
            The subscription.

        Raises:
            UnknownRecordError: no subscription has this id (a ``KeyError``).
        """
        try:
            return self._subscriptions_by_id[subscription_id]
        except KeyError:
            raise UnknownRecordError("Subscription", subscription_id) from None

    # ---------------------------------------------------------------- as-of queries

    def associations_of(self, subscription_id: SubscriptionId) -> tuple[Association, ...]:
        """Every association of one subscription, ordered by ``(start, kind.value, partner_id)``.

        Args:
            subscription_id: the subscription ID; an unknown id has no associations.

        Returns:
            The associations, possibly empty.
        """
        return self._assoc_by_sub.get(subscription_id, ())

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
        check = _Check(self._rules)
        check.partners, check.partners_by_id = self._partners, self._partners_by_id
        check.customers, check.customers_by_id = self._customers, self._customers_by_id
        check.subscriptions = self._subscriptions
        check.subscriptions_by_id = self._subscriptions_by_id
        check.usage, check.seats = self._usage, self._seats
        with _no_gc():
            check.relink(self, replaced or {}, added)
            check.apply_rules()
        errors = check.errors()
        if errors:
            raise LedgerError(errors)
        new = type(self).__new__(type(self))
        new._load(check)
        new._usage_by_sub = self._usage_by_sub
        new._seats_by_sub = self._seats_by_sub
        new._table = self._table
        new._subs_by_customer = self._subs_by_customer
        new._months = self._months
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
        extra: dict[type[Any], list[Any]] = {
            t: [] for t in (Partner, Customer, Subscription, Association, Usage, SeatUsage)
        }
        for r in records:
            bucket = extra.get(type(r))
            if bucket is None:
                msg = f"Ledger.add: {r!r} is not a model record"
                raise TypeError(msg)
            bucket.append(r)
        if not any(more for t, more in extra.items() if t is not Association):
            # only associations: update the association indexes instead of rebuilding
            return self._derive(added=tuple(extra[Association]))
        return type(self)(
            (*self._partners, *extra[Partner]),
            (*self._customers, *extra[Customer]),
            (*self._subscriptions, *extra[Subscription]),
            (*self._associations, *extra[Association]),
            (*self._usage, *extra[Usage]),
            (*self._seats, *extra[SeatUsage]),
            rules=self._rules,
        )

    def with_rules(self, rules: RuleSet) -> Ledger:
        """Return the same records checked against another rule set.

        Args:
            rules: the rule set.

        Returns:
            The new ledger.

        Raises:
            LedgerError: the records break a rule of ``rules``.
        """
        return type(self)(
            self._partners,
            self._customers,
            self._subscriptions,
            self._associations,
            self._usage,
            self._seats,
            rules=rules,
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
        on = _as_day(on, "associate", "on")
        end = _as_optional_day(end, "associate", "end")
        self.subscription(subscription_id)
        self.partner(partner_id)
        new = Association(
            partner_id,
            subscription_id,
            kind,
            on,
            end,
            granted_by=granted_by,
            role=role,
            auto_extend_days=auto_extend_days,
        )
        for a in self.associations_of(subscription_id):
            if a.partner_id == partner_id and a.kind is kind and a.overlaps(on, end):
                msg = (
                    f"cannot record {new.describe()}: {a.describe()} is in effect on some of "
                    "the same days"
                )
                raise EventError(msg)
        return self._derive(added=(new,))

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
        on = _as_day(on, "end_association", "on")
        self.subscription(subscription_id)
        found = [
            a
            for a in self.associations_of(subscription_id)
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
        return self._derive({id(current): attrs.evolve(current, end=on)})

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
        on = _as_day(on, "name_dpor", "on")
        self.subscription(subscription_id)
        self.partner(partner_id)
        dpors = [a for a in self.associations_of(subscription_id) if a.kind is AssociationKind.DPOR]
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
        new = Association(
            partner_id, subscription_id, AssociationKind.DPOR, on, granted_by=granted_by
        )
        return self._derive(replaced, (new,))

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
        on = _as_day(on, "remove_dpor", "on")
        current = self.dpor(subscription_id, on)
        if current is None:
            msg = (
                f"cannot remove the DPOR of {subscription_id!r} on {on.isoformat()}: there is none"
            )
            raise EventError(msg)
        return self.end_association(subscription_id, current.partner_id, AssociationKind.DPOR, on)

    def link_pal(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        on: dt.date | str,
        *,
        role: str | None = None,
    ) -> Ledger:
        """A partner identity links the partner ID to a subscription (PAL) from ``on``.

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day of the link.
            role: the identity's RBAC role (``"Owner"``, ``"Contributor"`` ...), when known.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription or the partner is not in the ledger.
            EventError: the partner already has a PAL on the subscription from ``on`` on.
            LedgerError: a rule refuses the link.
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

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day without the link; must be after its start.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
            EventError: no such PAL is in effect on ``on``, or ``on`` is not after its start.
        """
        return self.end_association(subscription_id, partner_id, AssociationKind.PAL, on)

    def grant_dap(
        self, subscription_id: SubscriptionId, partner_id: PartnerId, on: dt.date | str
    ) -> Ledger:
        """The customer grants the partner delegated admin privileges (DAP) from ``on``.

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day of the grant.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription or the partner is not in the ledger.
            EventError: the partner already has DAP on the subscription from ``on`` on.
            LedgerError: a rule refuses it (DAP is not allowed on Azure).
        """
        return self.associate(
            subscription_id, partner_id, AssociationKind.DAP, on, granted_by=Actor.CUSTOMER
        )

    def revoke_dap(
        self, subscription_id: SubscriptionId, partner_id: PartnerId, on: dt.date | str
    ) -> Ledger:
        """The customer revokes the partner's DAP: it ends on ``on``.

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day without DAP; must be after its start.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
            EventError: no DAP is in effect on ``on``, or ``on`` is not after its start.
        """
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

        A relationship's own duration is at most two years; with ``auto_extend_days=180``
        (``autoExtendDuration`` P180D) it extends itself at each expiry, so its ``end`` (the
        day it was finally terminated, or ``None`` while it renews) may be later.

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day of the relationship.
            end: its expiry (the first day it is no longer in effect); ``None`` only for an
                auto-extending relationship still in effect.
            auto_extend_days: 0 (expires at ``end``) or the days of each automatic extension.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription or the partner is not in the ledger.
            EventError: the partner already has GDAP on the subscription on some of those days.
            ValidationError: ``end`` is not after ``on``.
            LedgerError: a rule refuses it (longer than two years, on Azure).
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

        Args:
            subscription_id: the subscription.
            partner_id: the partner.
            on: the first day without GDAP; must be after its start.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription is not in the ledger.
            EventError: no GDAP is in effect on ``on``, or ``on`` is not after its start.
        """
        return self.end_association(subscription_id, partner_id, AssociationKind.GDAP, on)

    def claim_cpor(
        self,
        subscription_id: SubscriptionId,
        partner_id: PartnerId,
        on: dt.date | str,
        end: dt.date | str | None = None,
    ) -> Ledger:
        """Record an approved CPOR claim from ``on`` (to ``end``, or open-ended).

        Args:
            subscription_id: the subscription (its tenant and workload are the claim's scope).
            partner_id: the claiming partner.
            on: the first day the claim is in effect.
            end: the first day it no longer is, or ``None``.

        Returns:
            The new ledger.

        Raises:
            UnknownRecordError: the subscription or the partner is not in the ledger.
            EventError: the partner already claims the subscription on some of those days.
            LedgerError: another partner holds CPOR for the tenant and workload.
        """
        return self.associate(subscription_id, partner_id, AssociationKind.CPOR, on, end)

    # ---------------------------------------------------------------- dunder and display

    def summary(self) -> dict[str, int]:
        """Count the records of each type.

        Returns:
            ``{"partners": n, "customers": n, "subscriptions": n, "associations": n,
            "usage": n, "seats": n}``.
        """
        return {
            "partners": len(self._partners),
            "customers": len(self._customers),
            "subscriptions": len(self._subscriptions),
            "associations": len(self._associations),
            "usage": len(self._usage),
            "seats": len(self._seats),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ledger):
            return NotImplemented
        if self is other:
            return True
        return self._rules == other._rules and all(
            len(mine) == len(theirs) and set(mine) == set(theirs)
            for mine, theirs in (
                (self._partners, other._partners),
                (self._customers, other._customers),
                (self._subscriptions, other._subscriptions),
                (self._associations, other._associations),
                (self._usage, other._usage),
                (self._seats, other._seats),
            )
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
