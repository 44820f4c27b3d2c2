"""The search: subscriptions with a working relationship but no credited kind, the associations
that would close the gaps (checked against the rules), their credit and seats."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType

import attrs

from partner_of_record.attribution import RecognizeAll, attribute
from partner_of_record.errors import Finding
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    CustomerId,
    PartnerId,
    Subscription,
    SubscriptionId,
    Workload,
    month_end,
)
from partner_of_record.opportunities._program import ACTION_KINDS, CreditProgram
from partner_of_record.rules import (
    ExclusiveKind,
    Facts,
    RuleSet,
)

_ZERO = Decimal(0)


_Interval = tuple[dt.date, dt.date]


def _union(intervals: Iterable[_Interval]) -> list[_Interval]:
    out: list[_Interval] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _minus(base: Sequence[_Interval], cut: Sequence[_Interval]) -> list[_Interval]:
    out: list[_Interval] = []
    for lo, hi in base:
        pieces = [(lo, hi)]
        for clo, chi in cut:
            nxt: list[_Interval] = []
            for plo, phi in pieces:
                if chi <= plo or clo >= phi:
                    nxt.append((plo, phi))
                    continue
                if plo < clo:
                    nxt.append((plo, clo))
                if chi < phi:
                    nxt.append((chi, phi))
            pieces = nxt
        out.extend(pieces)
    return out


def _clip(a: Association, start: dt.date, end: dt.date) -> _Interval | None:
    lo = max(a.start, start)
    hi = end if a.end is None else min(a.end, end)
    return (lo, hi) if lo < hi else None


def _tenant_facts(ledger: Ledger, customer_id: CustomerId, extra: Sequence[Association]) -> Facts:
    """The rule-checking facts of one tenant, with ``extra`` associations added."""
    subs = {s.id: s for s in ledger.subscriptions_of(customer_id)}
    assocs = [a for sid in subs for a in ledger.associations_of(sid)]
    assocs.extend(extra)
    assocs.sort(key=lambda a: (a.start, a.kind.value, a.partner_id, a.end or dt.date.max))
    by_sub: dict[SubscriptionId, list[Association]] = {}
    by_kind: dict[AssociationKind, list[Association]] = {}
    for a in assocs:
        by_sub.setdefault(a.subscription_id, []).append(a)
        by_kind.setdefault(a.kind, []).append(a)
    partners = {pid: ledger.partner(pid) for pid in {a.partner_id for a in assocs}}
    return Facts(
        partners=partners,
        customers={customer_id: ledger.customer(customer_id)},
        subscriptions=subs,
        associations=tuple(assocs),
        by_subscription={k: tuple(v) for k, v in by_sub.items()},
        by_kind={k: tuple(v) for k, v in by_kind.items()},
    )


def _refusals(
    ledger: Ledger,
    customer_id: CustomerId,
    candidates: Sequence[Association],
    rule_sets: Sequence[RuleSet],
) -> list[Finding]:
    """The findings of ``rule_sets`` that name one of ``candidates`` (the tenant's facts)."""
    facts = _tenant_facts(ledger, customer_id, candidates)
    ids = {id(c) for c in candidates}
    found: list[Finding] = []
    for rules in rule_sets:
        found.extend(
            f
            for f in rules.check(facts)
            if f.severity == "error" and any(id(s) in ids for s in f.subject)
        )
    return found


def action_text(kind: AssociationKind, sub_id: str, workload: Workload, customer: str) -> str:
    """The sentence that tells the partner how to get ``kind`` on the subscription."""
    if kind is AssociationKind.PAL:
        return (
            f"link your partner ID through PAL on subscription {sub_id} ({customer}): ask the "
            "customer for a user or service principal with access to it, or use yours"
        )
    if kind is AssociationKind.DPOR:
        return (
            f"ask {customer} to name you DPOR (Digital Partner of Record) on subscription {sub_id}"
        )
    return (
        f"submit a CPOR claim for {workload.name} in tenant {customer}, with the customer's "
        "signed proof of execution"
    )


_GRANTED_BY: Mapping[AssociationKind, Actor | None] = MappingProxyType(
    {
        AssociationKind.PAL: Actor.PARTNER,
        AssociationKind.DPOR: Actor.CUSTOMER,
        AssociationKind.CPOR: None,
    }
)


@attrs.frozen
class Found:
    """One subscription the search found: its gaps, the suggested kind and associations (``kind``
    is ``None`` when every credited kind is forbidden, with the rules' ``reasons``)."""

    sub_id: SubscriptionId
    customer_id: CustomerId
    workload: Workload
    working: tuple[AssociationKind, ...]
    kind: AssociationKind | None
    associations: tuple[Association, ...]
    gaps: tuple[_Interval, ...]
    ongoing: bool
    reasons: tuple[str, ...]


def search(
    ledger: Ledger,
    partner_id: PartnerId,
    start: dt.date,
    end: dt.date,
    program: CreditProgram,
) -> list[Found]:
    """Every subscription with a working relationship and no credited kind on some days."""
    rule_sets = (ledger.rules, program.rules)
    found: list[Found] = []
    cpor_by_tenant: dict[tuple[CustomerId, Workload], list[Association]] = {}
    mine: dict[SubscriptionId, list[Association]] = {}
    for a in ledger.associations:
        if a.partner_id != partner_id:
            continue
        mine.setdefault(a.subscription_id, []).append(a)
        if a.kind is AssociationKind.CPOR:
            sub = ledger.subscription(a.subscription_id)
            cpor_by_tenant.setdefault((sub.customer_id, sub.workload), []).append(a)
    for sub_id in sorted(mine):
        sub = ledger.subscription(sub_id)
        credited = program.credited_kinds(sub.workload)
        actions = [k for k in credited if k in ACTION_KINDS]
        if not actions:
            continue
        links = mine[sub_id]
        working = tuple(sorted({a.kind for a in links if a.kind not in credited}, key=_kind_key))
        if not working:
            continue
        held = [a for a in links if a.kind in credited]
        if AssociationKind.CPOR in credited:  # a CPOR claim covers its tenant and workload
            held.extend(cpor_by_tenant.get((sub.customer_id, sub.workload), ()))
        base = _union(i for a in links if a.kind not in credited if (i := _clip(a, start, end)))
        cover = _union(i for a in held if (i := _clip(a, start, end)))
        gaps = _minus(base, cover)
        if not gaps:
            continue
        ongoing = gaps[-1][1] == end
        reasons: list[str] = []
        chosen: AssociationKind | None = None
        suggested: tuple[Association, ...] = ()
        for kind in actions:
            taken = _taken(ledger, sub, kind, partner_id, rule_sets)
            pieces = _minus(gaps, taken)
            if not pieces:
                reasons.append(
                    f"{kind.name}: another partner holds it on every uncredited day "
                    "(the rules allow one at a time)"
                )
                continue
            candidates = tuple(
                Association(
                    partner_id,
                    sub_id,
                    kind,
                    lo,
                    None if hi == end and not _later(ledger, sub_id, kind, end, taken) else hi,
                    granted_by=_GRANTED_BY[kind],
                )
                for lo, hi in pieces
            )
            refused = _refusals(ledger, sub.customer_id, candidates, rule_sets)
            if refused:
                reasons.extend(dict.fromkeys(f"{f.code}: {f.message}" for f in refused))
                continue
            chosen, suggested, gaps = kind, candidates, pieces
            break
        found.append(
            Found(
                sub_id,
                sub.customer_id,
                sub.workload,
                working,
                chosen,
                suggested,
                tuple(gaps),
                ongoing,
                tuple(reasons),
            )
        )
    return found


def _taken(
    ledger: Ledger,
    sub: Subscription,
    kind: AssociationKind,
    partner_id: PartnerId,
    rule_sets: Sequence[RuleSet],
) -> list[_Interval]:
    """The days another partner holds ``kind`` where an ``ExclusiveKind`` rule allows one."""
    scopes = {
        r.scope
        for rules in rule_sets
        for r in rules.rules
        if isinstance(r, ExclusiveKind) and r.kind is kind
    }
    subs: list[Subscription] = []
    if "tenant_workload" in scopes:
        subs = [s for s in ledger.subscriptions_of(sub.customer_id) if s.workload is sub.workload]
    elif "subscription" in scopes:
        subs = [sub]
    return _union(
        (a.start, a.end or dt.date.max)
        for s in subs
        for a in ledger.associations_of(s.id)
        if a.kind is kind and a.partner_id != partner_id
    )


def _later(
    ledger: Ledger,
    sub_id: SubscriptionId,
    kind: AssociationKind,
    end: dt.date,
    taken: Sequence[_Interval],
) -> bool:
    """Whether an association of ``kind`` on the subscription (any partner's), or a day taken
    by another partner, starts on or after ``end``: an open-ended suggestion would run into it."""
    return any(t[0] >= end for t in taken) or any(
        a.kind is kind and a.start >= end for a in ledger.associations_of(sub_id)
    )


def _kind_key(kind: AssociationKind) -> str:
    return kind.value


def credited_amounts(
    ledger: Ledger,
    hypothetical: Ledger,
    partner_id: PartnerId,
    start: dt.date,
    end: dt.date,
    found: Sequence[Found],
    program: CreditProgram,
) -> dict[SubscriptionId, tuple[tuple[str, Decimal], ...]]:
    """Per subscription: the partner's credit gained under the program's kinds, per currency."""
    groups: dict[tuple[AssociationKind, ...], list[SubscriptionId]] = {}
    for f in found:
        groups.setdefault(program.credited_kinds(f.workload), []).append(f.sub_id)
    out: dict[SubscriptionId, tuple[tuple[str, Decimal], ...]] = {}
    for kinds, subs in groups.items():
        policy = RecognizeAll(frozenset(kinds))
        totals = []
        for book in (ledger, hypothetical):
            credits = attribute(book, policy).filter(
                partner_id=partner_id, subscription_id=subs, start=start, end=end
            )
            totals.append(credits.totals(by=("subscription_id", "currency")))
        before, after = totals
        per_sub: dict[SubscriptionId, dict[str, Decimal]] = {}
        for (sub_id, currency), amount in after.items():
            gained = amount - before.get((sub_id, currency), _ZERO)
            per_sub.setdefault(sub_id, {})[currency] = gained
        for sub_id in subs:
            out[sub_id] = tuple(sorted((per_sub.get(sub_id) or {}).items()))
    return out


def peak_seats(
    ledger: Ledger, sub_id: SubscriptionId, gaps: Sequence[_Interval]
) -> tuple[int, int]:
    """Peak paid seats and active users over the months whose last day a gap covers."""
    seats = users = 0
    for row in ledger.seats_of(sub_id):
        last = month_end(row.month) - dt.timedelta(days=1)
        if any(lo <= last < hi for lo, hi in gaps):
            seats = max(seats, row.paid_seats)
            users = max(users, row.active_users)
    return seats, users
