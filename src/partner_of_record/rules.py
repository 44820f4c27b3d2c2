"""Program rules: versioned, dated values that a [`Ledger`][partner_of_record.Ledger] checks.

A vendor's program rules change from year to year, so they are data, not constants buried in
the code. A [`RuleSet`][partner_of_record.rules.RuleSet] is a frozen value naming the program,
the day its source was published and where; it holds [`Rule`][partner_of_record.rules.Rule]s,
each identified by a stable ``code``. Users derive their own sets with
[`RuleSet.extend`][partner_of_record.rules.RuleSet.extend],
[`RuleSet.replace`][partner_of_record.rules.RuleSet.replace] and
[`RuleSet.remove`][partner_of_record.rules.RuleSet.remove], composing the built-in rule classes
(`KindOnlyOnWorkloads`, `KindNotOnWorkloads`, `ExclusiveKind`, `MaxDuration`, `RequiresEnd`,
`GrantedBy`, `OneDayGap`) or any object that follows the `Rule` protocol.

Three rule sets ship, each dated and sourced, and each consistent with the catalog of its era
(every workload it allows DPOR on is one the era's catalog entries can score through DPOR, and
the reverse; ``partner_of_record.evaluation.catalog.eras`` lists the documented gaps and a test
checks them):

* [`MICROSOFT_2017`][partner_of_record.rules.MICROSOFT_2017], the MPN competency era: the 2017
  MPN 101 announcement (DPOR on Office 365, CRM Online, Dynamics 365, AX7, Intune, EMS and
  Azure, plus Microsoft 365; DAP not on Azure), completed with the later GDAP and CPOR rules.
* [`MICROSOFT_2023`][partner_of_record.rules.MICROSOFT_2023], the Solutions Partner era:
  Partner Center as published in October 2023, whose DPOR FAQ lists Azure, Microsoft 365,
  Dynamics 365, Business Central, Intune and EMS.
* [`MICROSOFT_ALL_ERAS`][partner_of_record.rules.MICROSOFT_ALL_ERAS], both at once: the
  default ([`DEFAULT_RULES`][partner_of_record.rules.DEFAULT_RULES]), because it accepts every
  historically valid association.

Besides the program rules, the ledger always runs *structural* checks (unknown references,
duplicate ids, duplicate usage keys ...). Their codes, and the default codes of the built-in
rules, are listed in [`FINDING_CODES`][partner_of_record.rules.FINDING_CODES].

Time is half-open, as in the model: an association is in effect on ``start <= day < end``.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable, Iterator, Mapping
from typing import Literal, Protocol, runtime_checkable

import attrs
from dateutil.relativedelta import relativedelta

from partner_of_record.errors import Finding
from partner_of_record.model import (
    Actor,
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
    Workload,
)

__all__ = [
    "CPOR_PER_SUBSCRIPTION_WORKLOADS",
    "DEFAULT_RULES",
    "DPOR_WORKLOADS_2017",
    "DPOR_WORKLOADS_2023",
    "FINDING_CODES",
    "MICROSOFT_2017",
    "MICROSOFT_2023",
    "MICROSOFT_ALL_ERAS",
    "STRUCTURAL_CODES",
    "ExclusiveKind",
    "Facts",
    "GrantedBy",
    "KindNotOnWorkloads",
    "KindOnlyOnWorkloads",
    "MaxDuration",
    "OneDayGap",
    "RequiresEnd",
    "Rule",
    "RuleSet",
    "dpor_handovers",
    "handover_kinds",
]

_FOREVER = dt.date.max
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


# --------------------------------------------------------------------------------------------
# the facts a rule sees


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


# --------------------------------------------------------------------------------------------
# built-in rules


def _names(values: Iterable[AssociationKind | Workload]) -> str:
    return ", ".join(sorted(v.name for v in values))


def _to_kinds(values: Iterable[AssociationKind]) -> frozenset[AssociationKind]:
    return frozenset(values)


def _to_workloads(values: Iterable[Workload]) -> frozenset[Workload]:
    return frozenset(values)


def _default_code(attribute: str, template: str) -> str:
    """The default of a rule's ``code``: ``template`` filled with the name of the enum member
    in ``attribute`` (``_default_code("kind", "{}_OVERLAP")`` gives ``"DPOR_OVERLAP"``).

    An ``attrs.Factory`` taking the instance; attrs' stubs type it as the value it makes."""
    return attrs.Factory(
        lambda self: template.format(getattr(self, attribute).name), takes_self=True
    )


@attrs.frozen
class KindOnlyOnWorkloads:
    """Associations of ``kind`` are allowed only on subscriptions of the listed workloads.

    Attributes:
        kind: the association kind restricted (e.g. DPOR).
        workloads: the workloads it is allowed on.
        code: the finding code; defaults to ``"<KIND>_WORKLOAD"`` (``"DPOR_WORKLOAD"``).
    """

    kind: AssociationKind
    workloads: frozenset[Workload] = attrs.field(converter=_to_workloads)
    code: str = attrs.field(default=_default_code("kind", "{}_WORKLOAD"))

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        return f"{self.kind.name} is allowed only on {_names(self.workloads)} subscriptions"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a finding for each association of ``kind`` on another workload.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of findings naming the association and its subscription's workload.
        """
        subs = facts.subscriptions
        allowed = tuple(self.workloads)  # members are singletons: `in` on a tuple tests identity
        for a in facts.by_kind.get(self.kind, ()):
            sub = subs[a.subscription_id]
            if sub.workload not in allowed:
                yield Finding(
                    self.code,
                    f"{a.describe()}: subscription {sub.id!r} is {sub.workload.name}; "
                    f"{self.description}",
                    (a, sub),
                )


@attrs.frozen
class KindNotOnWorkloads:
    """Associations of the listed kinds are not allowed on subscriptions of the listed workloads.

    Attributes:
        kinds: the association kinds refused (e.g. DAP and GDAP).
        workloads: the workloads they are refused on (e.g. Azure).
        code: the finding code; defaults to ``"KIND_NOT_ON_WORKLOAD"``.
    """

    kinds: frozenset[AssociationKind] = attrs.field(converter=_to_kinds)
    workloads: frozenset[Workload] = attrs.field(converter=_to_workloads)
    code: str = "KIND_NOT_ON_WORKLOAD"

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        return f"{_names(self.kinds)} not allowed on {_names(self.workloads)} subscriptions"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a finding for each association of a refused kind on a refused workload.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of findings naming the association and its subscription's workload.
        """
        subs = facts.subscriptions
        refused = tuple(self.workloads)
        for a in facts.of_kinds(sorted(self.kinds, key=lambda k: k.value)):
            sub = subs[a.subscription_id]
            if sub.workload in refused:
                yield Finding(
                    self.code,
                    f"{a.describe()}: {a.kind.name} is not allowed on {sub.workload.name} "
                    f"subscription {sub.id!r}",
                    (a, sub),
                )


Scope = Literal["subscription", "tenant_workload"]
"""Where an [`ExclusiveKind`][partner_of_record.rules.ExclusiveKind] rule allows one partner."""


def _check_scope(inst: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in ("subscription", "tenant_workload"):
        msg = (
            f"ExclusiveKind.scope: {value!r} is not a scope "
            "(one of 'subscription', 'tenant_workload')"
        )
        raise ValueError(msg)


@attrs.frozen
class ExclusiveKind:
    """At most one association of ``kind`` in effect per scope on any day.

    * ``scope="subscription"``: one association of the kind per subscription per day (DPOR).
    * ``scope="tenant_workload"``: one *partner* per (customer tenant, workload) per day (CPOR);
      the same partner may hold the kind on several subscriptions of that tenant and workload.
      On the ``per_subscription`` workloads the scope is the subscription instead (CPOR on
      Dynamics 365 and Power Platform is claimed per subscription).

    Associations are swept in start order; each one that overlaps an association already kept
    in its scope is reported against it, naming both, and is the one a lenient load rejects
    (so the earlier-starting association wins; on the same start day, the lower partner id).

    Attributes:
        kind: the exclusive association kind.
        scope: ``"subscription"`` or ``"tenant_workload"``.
        code: the finding code; defaults to ``"<KIND>_OVERLAP"`` (``"DPOR_OVERLAP"``).
        per_subscription: with ``scope="tenant_workload"``, the workloads whose scope is the
            subscription rather than the tenant and workload.
    """

    kind: AssociationKind
    scope: Scope = attrs.field(default="subscription", validator=_check_scope)
    code: str = attrs.field(default=_default_code("kind", "{}_OVERLAP"))
    per_subscription: frozenset[Workload] = attrs.field(
        default=frozenset(), converter=_to_workloads, kw_only=True
    )

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        if self.scope == "subscription":
            return f"at most one {self.kind.name} per subscription on any day"
        text = f"at most one {self.kind.name} partner per customer tenant and workload on any day"
        if self.per_subscription:
            text += f" (per subscription on {_names(self.per_subscription)})"
        return text

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield one finding per association overlapping a kept one in its scope.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of findings, each naming both associations.
        """
        assocs = facts.by_kind.get(self.kind, ())
        if not assocs:
            return
        name = self.kind.name
        if self.scope == "subscription":
            kept: dict[SubscriptionId, Association] = {}
            ends: dict[SubscriptionId, dt.date] = {}
            for a in assocs:
                sub_id = a.subscription_id
                prev = kept.get(sub_id)
                if prev is not None and a.start < ends[sub_id]:
                    yield Finding(
                        self.code,
                        f"{a.describe()} overlaps {prev.describe()}: at most one {name} per "
                        f"subscription on any day{_fix_hint(prev, a)}",
                        (a, prev),
                    )
                    continue
                kept[sub_id] = a
                ends[sub_id] = a.end or _FOREVER
            return
        subs = facts.subscriptions
        # per (tenant, workload): the current holder's association with the latest end, and
        # that end (two of the holder's on one subscription are caught as DUPLICATE_ASSOCIATION)
        holder: dict[tuple[str, str, str], Association] = {}
        cover: dict[tuple[str, str, str], dt.date] = {}
        own = tuple(self.per_subscription)
        for a in assocs:
            sub = subs[a.subscription_id]
            key = (
                ("subscription", sub.id, "")
                if sub.workload in own
                else ("tenant", sub.customer_id, sub.workload._value_)
            )
            prev = holder.get(key)
            end = a.end or _FOREVER
            if prev is not None and a.start < cover[key]:
                if a.partner_id != prev.partner_id:
                    where = (
                        f"subscription on {sub.workload.name}"
                        if key[0] == "subscription"
                        else f"customer tenant ({sub.customer_id!r}) and workload "
                        f"({sub.workload.name})"
                    )
                    yield Finding(
                        self.code,
                        f"{a.describe()} overlaps {prev.describe()}: at most one {name} partner "
                        f"per {where} on any day{_fix_hint(prev, a)}",
                        (a, prev),
                    )
                    continue
                if end > cover[key]:
                    holder[key] = a
                    cover[key] = end
                continue
            holder[key] = a
            cover[key] = end


def _fix_hint(kept: Association, later: Association) -> str:
    """How to fix an overlap where ``later`` starts after ``kept``: end ``kept`` that day."""
    if later.start <= kept.start:
        return ""
    day = later.start.isoformat()
    hint = (
        f"; if {later.partner_id} replaced {kept.partner_id}, set the end of "
        f"{kept.describe()} to {day}"
    )
    if kept.kind is AssociationKind.DPOR:
        hint += (
            f" (or record the change with ledger.name_dpor({later.subscription_id!r}, "
            f"{later.partner_id!r}, on={day!r}); Ledger.lenient and the file loaders read an "
            "open-ended DPOR followed by a later one as such a change)"
        )
    return hint


def handover_kinds(rules: RuleSet) -> tuple[AssociationKind, ...]:
    """The association kinds a lenient load hands over (``(DPOR,)`` or ``()``).

    A new DPOR replaces the previous one from its start day ("a new one replaces the old",
    MPN 101, 2017; Partner Center DPOR FAQ): exports list such a change as an open-ended old
    DPOR and a later new one. [`Ledger.lenient`][partner_of_record.Ledger.lenient] reads that as
    the change, but only when ``rules`` makes DPOR exclusive per subscription (an
    ``ExclusiveKind(DPOR, "subscription")`` rule): a rule set without it allows several DPORs
    at once, so nothing needs ending.

    Args:
        rules: the rule set of the load.

    Returns:
        The kinds handed over.
    """
    for rule in rules.rules:
        if (
            isinstance(rule, ExclusiveKind)
            and rule.kind is AssociationKind.DPOR
            and rule.scope == "subscription"
        ):
            return (AssociationKind.DPOR,)
    return ()


def dpor_handovers(
    associations: Iterable[Association], kind: AssociationKind = AssociationKind.DPOR
) -> list[tuple[Association, Association, Association]]:
    """The handovers among one subscription's associations of ``kind``.

    An open-ended association ends on the earliest start, later than its own, of an
    association of ``kind`` of another partner (``name_dpor``'s rule). Associations starting
    the same day, and closed windows, are left alone: those are real conflicts for the rules
    to report.

    Args:
        associations: one subscription's associations, in ``(start, kind, partner)`` order.
        kind: the kind handed over.

    Returns:
        ``(old, ended, by)`` per handover: the open-ended association, its copy ending on the
        later one's start, and the later association.
    """
    items = [a for a in associations if a.kind is kind]
    out = []
    for i, a in enumerate(items):
        if a.end is not None:
            continue
        by = next(
            (b for b in items[i + 1 :] if b.start > a.start and b.partner_id != a.partner_id),
            None,
        )
        if by is None:
            continue
        out.append((a, attrs.evolve(a, end=by.start), by))
    return out


@attrs.frozen
class OneDayGap:
    """Warn when consecutive associations of ``kind`` on a subscription leave exactly one day.

    End dates are exclusive in this library (``end`` is the first day no longer in effect).
    An export that writes *inclusive* end dates (the old DPOR "ends 2024-06-14", the new one
    starts 2024-06-15) therefore leaves 14 June without the association, silently. A gap of
    exactly one day between one association's end and the next one's start on the same
    subscription is almost always that mistake, so it is reported as a warning (the records
    are kept; the warning rejects nothing).

    Attributes:
        kind: the exclusive association kind checked (DPOR, CPOR).
        code: the finding code; defaults to ``"<KIND>_ONE_DAY_GAP"`` (``"DPOR_ONE_DAY_GAP"``).
    """

    kind: AssociationKind
    code: str = attrs.field(default=_default_code("kind", "{}_ONE_DAY_GAP"))

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        return (
            f"warning: consecutive {self.kind.name} associations of a subscription leave a gap "
            "of exactly one day (an inclusive end date read as exclusive?)"
        )

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a warning per one-day gap between consecutive associations of ``kind``.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of warnings naming both associations (the later one first).
        """
        assocs = facts.by_kind.get(self.kind, ())
        if len(assocs) < 2:
            return
        one_day = dt.timedelta(days=1)
        name = self.kind.name
        # by_kind is in start order, so each subscription's associations come in start order;
        # keep, per subscription, the one reaching furthest so far
        last: dict[SubscriptionId, Association] = {}
        for a in assocs:
            sub = a.subscription_id
            prev = last.get(sub)
            if prev is None:
                last[sub] = a
                continue
            if prev.end is not None and prev.end + one_day == a.start:
                day = prev.end.isoformat()
                yield Finding(
                    self.code,
                    f"{prev.describe()} and {a.describe()} leave {day} without a {name}: "
                    "end dates are exclusive (the first day no longer in effect); if the "
                    "source's end dates are inclusive, the end should be "
                    f"{a.start.isoformat()}",
                    (a, prev),
                    "warning",
                )
            if (a.end or _FOREVER) >= (prev.end or _FOREVER):
                last[sub] = a


@attrs.frozen
class MaxDuration:
    """An association of ``kind`` may last at most ``limit`` (``end <= start + limit``).

    Open-ended associations are not checked here; pair with
    [`RequiresEnd`][partner_of_record.rules.RequiresEnd] to refuse them. An association that
    extends itself (``auto_extend_days > 0``, a GDAP relationship with ``autoExtendDuration``
    P180D) may last past ``limit``: its own duration is at most ``limit`` and each extension
    adds ``auto_extend_days`` (Microsoft Graph ``delegatedAdminRelationship``, read 2023-10:
    "autoExtendDuration: The duration by which the validity of the relationship is
    automatically extended ... Supported values are: P0D, PT0S, P180D"). Any end on or after
    ``start + 1 day`` is then reachable, so it is accepted; ``GDAP_TOO_LONG`` stays for
    relationships that do not extend and exceed ``limit``.

    Attributes:
        kind: the association kind limited (e.g. GDAP).
        limit: the longest allowed duration, as a ``dateutil.relativedelta.relativedelta``
            (calendar-aware: two years from 2024-02-29 ends on 2026-02-28).
        code: the finding code; defaults to ``"<KIND>_TOO_LONG"`` (``"GDAP_TOO_LONG"``).
    """

    kind: AssociationKind
    limit: relativedelta
    code: str = attrs.field(default=_default_code("kind", "{}_TOO_LONG"))

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        return f"a {self.kind.name} association lasts at most {_describe_delta(self.limit)}"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a finding for each association of ``kind`` ending after ``start + limit``.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of findings naming the association and the latest allowed end.
        """
        limit = self.limit
        for a in facts.by_kind.get(self.kind, ()):
            if a.end is not None and not a.auto_extend_days:
                latest = a.start + limit
                if a.end > latest:
                    yield Finding(
                        self.code,
                        f"{a.describe()} lasts longer than {_describe_delta(limit)}: "
                        f"end must be on or before {latest.isoformat()}",
                        (a,),
                    )


def _describe_delta(delta: relativedelta) -> str:
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}"
        for n, unit in (
            (delta.years, "year"),
            (delta.months, "month"),
            (delta.days, "day"),
        )
        if n
    ]
    return " ".join(parts) or "0 days"


@attrs.frozen
class RequiresEnd:
    """An association of ``kind`` must have an end date (it is time-bound by design).

    An association that extends itself (``auto_extend_days > 0``) may be open-ended: it renews
    until it is terminated.

    Attributes:
        kind: the association kind (e.g. GDAP).
        code: the finding code; defaults to ``"<KIND>_OPEN_ENDED"`` (``"GDAP_OPEN_ENDED"``).
    """

    kind: AssociationKind
    code: str = attrs.field(default=_default_code("kind", "{}_OPEN_ENDED"))

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        return f"a {self.kind.name} association must have an end date"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a finding for each open-ended association of ``kind``.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of findings naming the association.
        """
        for a in facts.by_kind.get(self.kind, ()):
            if a.end is None and not a.auto_extend_days:
                yield Finding(
                    self.code,
                    f"{a.describe()} has no end: {self.description}",
                    (a,),
                )


@attrs.frozen
class GrantedBy:
    """Associations of the listed kinds, when ``granted_by`` is known, must be made by ``actor``.

    Associations whose ``granted_by`` is ``None`` (unknown) pass.

    Attributes:
        kinds: the association kinds checked (e.g. DPOR, DAP, GDAP: the customer acts).
        actor: the only actor allowed to make them.
        code: the finding code; defaults to ``"NOT_GRANTED_BY_<ACTOR>"``.
    """

    kinds: frozenset[AssociationKind] = attrs.field(converter=_to_kinds)
    actor: Actor
    code: str = attrs.field(default=_default_code("actor", "NOT_GRANTED_BY_{}"))

    @property
    def description(self) -> str:
        """A one-line description of the rule."""
        return f"{_names(self.kinds)} associations are made by the {self.actor.value} only"

    def check(self, facts: Facts) -> Iterator[Finding]:
        """Yield a finding for each association of a listed kind made by another actor.

        Args:
            facts: the ledger's indexed records.

        Returns:
            An iterator of findings naming the association and who made it.
        """
        actor = self.actor
        for a in facts.of_kinds(sorted(self.kinds, key=lambda k: k.value)):
            if a.granted_by is not None and a.granted_by is not actor:
                yield Finding(
                    self.code,
                    f"{a.describe()} was granted by the {a.granted_by.value}; "
                    f"a {a.kind.name} is made by the {actor.value} only",
                    (a,),
                )


# --------------------------------------------------------------------------------------------
# rule sets


def _check_rules(
    inst: RuleSet, attribute: attrs.Attribute[tuple[Rule, ...]], value: object
) -> None:
    if not isinstance(value, tuple):
        msg = f"RuleSet.rules: {value!r} is not a tuple of rules"
        raise TypeError(msg)
    seen: set[str] = set()
    for rule in value:
        if not isinstance(rule, Rule):
            msg = f"RuleSet.rules: {rule!r} is not a Rule (needs code, description and check())"
            raise TypeError(msg)
        if rule.code in STRUCTURAL_CODES:
            msg = f"RuleSet.rules: code {rule.code!r} of {rule!r} is reserved for structural checks"
            raise ValueError(msg)
        if rule.code in seen:
            msg = f"RuleSet.rules: code {rule.code!r} is used twice; codes must be unique"
            raise ValueError(msg)
        seen.add(rule.code)


def _to_rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(value)


@attrs.frozen
class RuleSet:
    """A named, dated, immutable set of program rules.

    Derive new sets with `extend`, `replace` and `remove` (each returns a new ``RuleSet``; rename
    with ``attrs.evolve(rules, name=..., published=..., source=...)``).

    Attributes:
        name: a display name such as ``"Microsoft 2017"``.
        rules: the rules, run in this order; codes are unique.
        published: the day the source of these rules was published (or read).
        source: where the rules come from (a URL or a citation).
    """

    name: str
    rules: tuple[Rule, ...] = attrs.field(converter=_to_rules, validator=_check_rules)
    published: dt.date
    source: str = ""

    @property
    def codes(self) -> Mapping[str, str]:
        """The rules' codes, each mapped to its rule's description, in rule order."""
        return types.MappingProxyType({r.code: r.description for r in self.rules})

    def rule(self, code: str) -> Rule:
        """Return the rule with this code.

        Args:
            code: a rule code such as ``"DPOR_OVERLAP"``.

        Returns:
            The rule.

        Raises:
            KeyError: no rule of this set has the code.
        """
        for r in self.rules:
            if r.code == code:
                return r
        msg = f"RuleSet {self.name!r} has no rule {code!r} (codes: {', '.join(self.codes)})"
        raise KeyError(msg)

    def extend(self, *rules: Rule) -> RuleSet:
        """Return a new set with ``rules`` appended.

        Args:
            *rules: rules whose codes are not in this set yet.

        Returns:
            The extended rule set.

        Raises:
            ValueError: a code is already used.
        """
        return attrs.evolve(self, rules=(*self.rules, *rules))

    def replace(self, *rules: Rule) -> RuleSet:
        """Return a new set where each rule of ``rules`` takes the place of the one with its code.

        Args:
            *rules: replacement rules; each code must already be in this set.

        Returns:
            The new rule set, in the same order.

        Raises:
            KeyError: a code is not in this set.
        """
        by_code = {r.code: r for r in rules}
        missing = by_code.keys() - {r.code for r in self.rules}
        if missing:
            msg = f"RuleSet {self.name!r} has no rule {sorted(missing)!r} to replace"
            raise KeyError(msg)
        return attrs.evolve(self, rules=tuple(by_code.get(r.code, r) for r in self.rules))

    def remove(self, *codes: str) -> RuleSet:
        """Return a new set without the rules of ``codes``.

        Args:
            *codes: codes of rules in this set.

        Returns:
            The reduced rule set.

        Raises:
            KeyError: a code is not in this set.
        """
        missing = set(codes) - {r.code for r in self.rules}
        if missing:
            msg = f"RuleSet {self.name!r} has no rule {sorted(missing)!r} to remove"
            raise KeyError(msg)
        drop = set(codes)
        return attrs.evolve(self, rules=tuple(r for r in self.rules if r.code not in drop))

    def check(self, facts: Facts) -> list[Finding]:
        """Run every rule on ``facts``.

        Args:
            facts: the ledger's indexed records.

        Returns:
            Every finding, rule by rule.
        """
        findings: list[Finding] = []
        for rule in self.rules:
            findings.extend(rule.check(facts))
        return findings


_CUSTOMER_KINDS = (AssociationKind.DPOR, AssociationKind.DAP, AssociationKind.GDAP)
_ADMIN_KINDS = (AssociationKind.DAP, AssociationKind.GDAP)

CPOR_PER_SUBSCRIPTION_WORKLOADS: frozenset[Workload] = frozenset(
    {
        Workload.DYNAMICS_365,
        Workload.DYNAMICS_CRM_ONLINE,
        Workload.DYNAMICS_AX7,
        Workload.BUSINESS_CENTRAL,
        Workload.CUSTOMER_INSIGHTS,
        Workload.POWER_PLATFORM,
        Workload.POWER_APPS,
        Workload.POWER_AUTOMATE,
        Workload.POWER_BI,
    }
)
"""Dynamics 365 and Power Platform workloads: a CPOR claim there is per subscription.

Source: Partner Center, "Manage customer associations" (incentives-manage-customer-associations,
October 2023): a CPOR is one partner per workload per tenant for Microsoft 365 workloads, but
per subscription for Dynamics 365 and Power Platform. The Business Applications catalog entry
credits CPOR per subscription for the same reason."""

DPOR_WORKLOADS_2017: frozenset[Workload] = frozenset(
    {
        Workload.OFFICE_365,
        Workload.MICROSOFT_365,
        Workload.DYNAMICS_CRM_ONLINE,
        Workload.DYNAMICS_365,
        Workload.DYNAMICS_AX7,
        Workload.INTUNE,
        Workload.EMS,
        Workload.AZURE,
    }
)
"""DPOR workloads of 2017. The MPN 101 post (2017) lists "Office 365, CRM Online, Dynamics 365,
AX7, Intune, EMS and Azure". Microsoft 365 (launched July 2017) bundles Office 365 and EMS and
names its DPOR in the same admin portal, so it is included (our reading)."""

DPOR_WORKLOADS_2023: frozenset[Workload] = frozenset(
    {
        Workload.AZURE,
        Workload.MICROSOFT_365,
        Workload.OFFICE_365,
        Workload.TEAMS,
        Workload.DYNAMICS_365,
        Workload.BUSINESS_CENTRAL,
        Workload.INTUNE,
        Workload.EMS,
    }
)
"""DPOR workloads of 2023. Partner Center's DPOR FAQ
(learn.microsoft.com/partner-center/link-partner-id-for-azure-performance-pal-dpor, October
2023): "We recommend assigning a partner of record to Azure subscriptions immediately. This
capability is also enabled for Microsoft 365, Dynamics 365, Business Central, Intune, and
Enterprise Mobility Suite subscriptions". Office 365 and Teams subscriptions are Microsoft 365
subscriptions (our reading); Modern Work's Enterprise path (solutions-partner-modern-work,
2023) scores DPOR on them."""

_COMMON_RULES: tuple[Rule, ...] = (
    ExclusiveKind(AssociationKind.DPOR, "subscription"),
    KindNotOnWorkloads(_ADMIN_KINDS, (Workload.AZURE,), code="ADMIN_ON_AZURE"),
    RequiresEnd(AssociationKind.GDAP),
    MaxDuration(AssociationKind.GDAP, relativedelta(years=2)),
    GrantedBy(_CUSTOMER_KINDS, Actor.CUSTOMER),
    ExclusiveKind(
        AssociationKind.CPOR, "tenant_workload", per_subscription=CPOR_PER_SUBSCRIPTION_WORKLOADS
    ),
    OneDayGap(AssociationKind.DPOR),
    OneDayGap(AssociationKind.CPOR),
)

_COMMON_SOURCES = (
    "GDAP limits: Microsoft Graph delegatedAdminRelationship (duration at most P730D, "
    "autoExtendDuration P180D), read 2023-10; CPOR: Partner Center "
    "incentives-manage-customer-associations (October 2023)"
)

MICROSOFT_2017 = RuleSet(
    name="Microsoft 2017",
    rules=(KindOnlyOnWorkloads(AssociationKind.DPOR, DPOR_WORKLOADS_2017), *_COMMON_RULES),
    published=dt.date(2017, 1, 1),
    source=f"MPN 101: Getting credit for the cloud consumption you drive (2017); {_COMMON_SOURCES}",
)
"""Microsoft's rules as announced in 2017 (the MPN competency era), with the later GDAP and CPOR
rules.

DPOR on Office 365, Microsoft 365, Dynamics CRM Online, Dynamics 365, AX7, Intune, EMS and
Azure ([`DPOR_WORKLOADS_2017`][partner_of_record.rules.DPOR_WORKLOADS_2017]); one DPOR per
subscription at a time; DAP and GDAP not on Azure; GDAP has an end at most two years after its
start (unless it auto-extends); DPOR, DAP and GDAP are made by the customer; one CPOR partner per
tenant and workload (per subscription on Dynamics 365 and Power Platform). The 2017 post is not
dated to the day: ``published`` is the first day of 2017.
"""

MICROSOFT_2023 = RuleSet(
    name="Microsoft 2023",
    rules=(KindOnlyOnWorkloads(AssociationKind.DPOR, DPOR_WORKLOADS_2023), *_COMMON_RULES),
    published=dt.date(2023, 10, 1),
    source=(
        "https://learn.microsoft.com/partner-center/link-partner-id-for-azure-performance-pal-dpor"
        f" (October 2023, DPOR FAQ); {_COMMON_SOURCES}"
    ),
)
"""Microsoft's rules as published in Partner Center in October 2023 (the Solutions Partner era):
as 2017, with DPOR on Azure, Microsoft 365 (Office 365, Teams), Dynamics 365, Business Central,
Intune and EMS ([`DPOR_WORKLOADS_2023`][partner_of_record.rules.DPOR_WORKLOADS_2023])."""

MICROSOFT_ALL_ERAS = RuleSet(
    name="Microsoft, all eras",
    rules=(
        KindOnlyOnWorkloads(AssociationKind.DPOR, DPOR_WORKLOADS_2017 | DPOR_WORKLOADS_2023),
        *_COMMON_RULES,
    ),
    published=dt.date(2023, 10, 1),
    source=f"the union of MICROSOFT_2017 and MICROSOFT_2023 ({MICROSOFT_2023.source})",
)
"""Both eras at once: DPOR on every workload either era allows it on. Use it for data that spans
eras (a history from 2016 to today)."""

DEFAULT_RULES = MICROSOFT_ALL_ERAS
"""The rule set a ledger uses unless told otherwise:
[`MICROSOFT_ALL_ERAS`][partner_of_record.rules.MICROSOFT_ALL_ERAS], which accepts every
historically valid DPOR (Dynamics CRM Online and AX7 from 2017, Business Central from the later
FAQ). Pass ``rules=MICROSOFT_2017`` or ``rules=MICROSOFT_2023`` for one era's rules.
"""

FINDING_CODES: Mapping[str, str] = types.MappingProxyType(
    {
        **STRUCTURAL_CODES,
        **MICROSOFT_2017.codes,
        **MICROSOFT_2023.codes,
        **MICROSOFT_ALL_ERAS.codes,
        "DPOR_WORKLOAD": "a DPOR on a workload the rule set does not allow DPOR on",
        "DPOR_HANDOVER": (
            "information (lenient loads): an open-ended DPOR was ended on the day a later DPOR "
            "of another partner starts on the same subscription, as Ledger.name_dpor records a "
            "change of DPOR"
        ),
        "KIND_NOT_ON_WORKLOAD": "an association kind on a workload the rule does not allow it on",
    }
)
"""Every finding code the library itself produces (structural checks and the shipped rule sets),
mapped to a one-line description."""
