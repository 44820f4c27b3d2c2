"""The built-in rule classes: workload restrictions, exclusivity, gaps, durations, actors.

Each is a frozen value with a ``code`` (a default derived from its kind, or given where the rule
is built), a one-line ``description`` and ``check(facts)``; the `Rule` protocol describes
``check``'s argument and what it yields, each class's docstring says what it finds."""

from __future__ import annotations

import datetime as dt
import operator
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

import attrs
from dateutil.relativedelta import relativedelta

from partner_of_record.errors import Finding
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Subscription,
    SubscriptionId,
    Workload,
)
from partner_of_record.rules._facts import FOREVER, Facts


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
        """Yield a finding, naming the association and its subscription's workload, for each
        association of ``kind`` on another workload."""
        found = _on_workloads(facts, facts.by_kind.get(self.kind, ()), self.workloads, False)
        for a, sub in found:
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
        """Yield a finding, naming the association and its subscription's workload, for each
        association of a refused kind on a refused workload."""
        kinds = facts.of_kinds(sorted(self.kinds, key=lambda k: k.value))
        for a, sub in _on_workloads(facts, kinds, self.workloads, True):
            yield Finding(
                self.code,
                f"{a.describe()}: {a.kind.name} is not allowed on {sub.workload.name} "
                f"subscription {sub.id!r}",
                (a, sub),
            )


def _on_workloads(
    facts: Facts, associations: Iterable[Association], workloads: frozenset[Workload], inside: bool
) -> Iterator[tuple[Association, Subscription]]:
    """Each of ``associations`` whose subscription's workload is among ``workloads`` (with
    ``inside``) or not (without), with its subscription."""
    subs = facts.subscriptions
    listed = tuple(workloads)  # members are singletons: `in` on a tuple tests identity
    assocs = tuple(associations)
    if len(assocs) * 8 < len(subs):
        # few associations: look each one's subscription up
        for a in assocs:
            sub = subs[a.subscription_id]
            if (sub.workload in listed) is inside:
                yield a, sub
        return
    # many: one pass over the subscriptions (in memory order) finds the ones on a matching
    # workload, then each association is a lookup in that (usually small, often empty) set
    hits = {sid for sid, sub in subs.items() if (sub.workload in listed) is inside}
    if not hits:
        return
    for a in assocs:
        if a.subscription_id in hits:
            yield a, subs[a.subscription_id]


_SUB_ID = operator.attrgetter("subscription_id")


def _sharing(associations: Sequence[Association]) -> Sequence[Association]:
    """The associations whose subscription holds another of ``associations``, in order: the
    only ones among which a check of pairs on one subscription can find anything."""
    ids = list(map(_SUB_ID, associations))
    if len(set(ids)) == len(ids):
        return ()
    counts = Counter(ids)
    return [a for a, sub in zip(associations, ids, strict=True) if counts[sub] > 1]


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
        """Yield one finding, naming both, per association overlapping a kept one in its scope."""
        assocs = facts.by_kind.get(self.kind, ())
        if not assocs:
            return
        name = self.kind.name
        if self.scope == "subscription":
            kept: dict[SubscriptionId, Association] = {}
            ends: dict[SubscriptionId, dt.date] = {}
            for a in _sharing(assocs):
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
                ends[sub_id] = a.end or FOREVER
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
            end = a.end or FOREVER
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
        """Yield a warning, naming both associations (the later one first), per one-day gap
        between consecutive associations of ``kind``."""
        assocs = facts.by_kind.get(self.kind, ())
        if len(assocs) < 2:
            return
        one_day = dt.timedelta(days=1)
        name = self.kind.name
        # by_kind is in start order, so each subscription's associations come in start order;
        # keep, per subscription, the one reaching furthest so far
        last: dict[SubscriptionId, Association] = {}
        for a in _sharing(assocs):
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
            if (a.end or FOREVER) >= (prev.end or FOREVER):
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
        """Yield a finding, naming the association and the latest allowed end, for each
        association of ``kind`` ending after ``start + limit``."""
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
        """Yield a finding, naming the association, for each open-ended one of ``kind``."""
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
        """Yield a finding, naming the association and who made it, for each association of a
        listed kind made by another actor."""
        actor = self.actor
        for a in facts.of_kinds(sorted(self.kinds, key=lambda k: k.value)):
            if a.granted_by is not None and a.granted_by is not actor:
                yield Finding(
                    self.code,
                    f"{a.describe()} was granted by the {a.granted_by.value}; "
                    f"a {a.kind.name} is made by the {actor.value} only",
                    (a,),
                )
