"""Unclaimed consumption: what a partner drives but is not credited for, and how to fix it.

Partner Center shows what a partner is credited with. This module shows the other side: the
subscriptions on which the partner has a *working relationship* (it resells them through CSP,
it is the transacting partner, it holds DAP or GDAP, it manages them through Azure Lighthouse)
but not the association kind the program credits, with the consumption (or seats) it would
have been credited, the action that fixes it, and the effect of that action on every catalog
entry of the program, computed with the evaluator exactly as
[`what_if`][partner_of_record.what_if] computes it.

The program is a [`CreditProgram`][partner_of_record.opportunities.CreditProgram]: which kinds
it credits on which workload, under which dated [`RuleSet`][partner_of_record.rules.RuleSet],
and which catalog entries it scores. Two ship:

* [`SOLUTIONS_PARTNER_2023`][partner_of_record.opportunities.SOLUTIONS_PARTNER_2023] (the
  default): PAL or DPOR for Azure consumption, CPOR for the Modern Work, Security and Business
  Applications workloads, under [`MICROSOFT_2023`][partner_of_record.rules.MICROSOFT_2023];
* [`COMPETENCIES_2016`][partner_of_record.opportunities.COMPETENCIES_2016]: the 2017 seed's
  kinds (DPOR, transacting and CSP partners, DAP, PAL) under
  [`MICROSOFT_2017`][partner_of_record.rules.MICROSOFT_2017].

Rules are never broken: a suggested association is checked against both the ledger's rule set
and the program's, on the facts of the customer's tenant, before it is suggested. When every
kind the program credits is forbidden (another partner's DPOR on the subscription, another
partner's CPOR for the workload in the tenant), the subscription is listed under ``blocked``
with the rule's message, and no action is advised.

Effects are counterfactual over the period: the suggested associations cover the days of
``[start, end)`` on which the working relationship was in effect without a credited kind (open
ended when the gap reaches ``end``), and each entry is evaluated as of ``end`` with and without
them. Credit is not retroactive (a DPOR named today credits from today), so the figures say
what the missing association cost over the period, and what it is worth from now on.

Example:
    >>> import datetime as dt
    >>> from partner_of_record.opportunities import unclaimed
    >>> from partner_of_record.samples import load_sample
    >>> found = unclaimed(load_sample(), "4500168", start=dt.date(2024, 1, 1),
    ...                   end=dt.date(2025, 1, 1))
    >>> print(found.explain())  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.attribution import RecognizeAll, attribute
from partner_of_record.errors import Finding
from partner_of_record.evaluation import (
    Competency,
    Evaluation,
    EvaluationDiff,
    LedgerFacts,
    MeasurementContext,
    RateTable,
    Skills,
    evaluate_context,
    resolve_competency,
)
from partner_of_record.evaluation.results import format_quantity
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
from partner_of_record.rules import (
    MICROSOFT_2017,
    MICROSOFT_2023,
    ExclusiveKind,
    Facts,
    KindNotOnWorkloads,
    KindOnlyOnWorkloads,
    RuleSet,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from partner_of_record.attribution import Policy
    from partner_of_record.incentives import Earnings, EarningsDiff, IncentiveProgram

__all__ = [
    "ACTION_KINDS",
    "COMPETENCIES_2016",
    "PROGRAMS",
    "SOLUTIONS_PARTNER_2023",
    "Blocked",
    "CreditProgram",
    "EarningsEffect",
    "Effect",
    "KindGroup",
    "Opportunity",
    "Unclaimed",
    "unclaimed",
]

ACTION_KINDS: tuple[AssociationKind, ...] = (
    AssociationKind.PAL,
    AssociationKind.DPOR,
    AssociationKind.CPOR,
)
"""The association kinds a partner can ask for: it links PAL itself, asks the customer to name
it DPOR, or submits a CPOR claim. The other kinds are recorded by the vendor's sales systems
or are not credited, so they are never suggested."""

_ZERO = Decimal(0)


def _frozen_map(
    value: Mapping[Workload, Iterable[AssociationKind]],
) -> Mapping[Workload, tuple[AssociationKind, ...]]:
    return MappingProxyType({w: tuple(kinds) for w, kinds in value.items()})


def _names(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class CreditProgram:
    """Which association kinds a program credits on which workload, under which dated rules.

    Attributes:
        name: a display name (``"Solutions Partner 2023"``).
        credited: workload -> the kinds the program credits there, in the order actions are
            preferred (the first allowed kind among ``ACTION_KINDS`` is suggested). A workload
            absent from the mapping credits nothing and is skipped.
        rules: the dated rule set the program's associations follow; a kind that a
            ``KindOnlyOnWorkloads`` or ``KindNotOnWorkloads`` rule of it refuses on a
            workload is not credited there, and no suggested association may break any of
            its rules.
        catalog: the names of the catalog entries whose score the actions are measured on.
        source: where the crediting rules come from.
        published: the day that source was published.
    """

    name: str
    credited: Mapping[Workload, tuple[AssociationKind, ...]] = attrs.field(converter=_frozen_map)
    rules: RuleSet
    catalog: tuple[str, ...] = attrs.field(converter=_names)
    source: str
    published: dt.date

    def credited_kinds(self, workload: Workload) -> tuple[AssociationKind, ...]:
        """Return the kinds credited on ``workload`` that the program's rules allow there.

        Args:
            workload: the subscription's workload.

        Returns:
            The kinds, in the program's order of preference; ``()`` when none.
        """
        return tuple(
            k for k in self.credited.get(workload, ()) if _allowed(self.rules, k, workload)
        )

    def entries(self) -> tuple[Competency, ...]:
        """Return the program's catalog entries.

        Returns:
            The entries, in ``catalog`` order.

        Raises:
            UnknownCompetencyError: a name is not in the catalog.
        """
        return tuple(resolve_competency(name) for name in self.catalog)


def _allowed(rules: RuleSet, kind: AssociationKind, workload: Workload) -> bool:
    """Whether the workload restrictions of ``rules`` allow ``kind`` on ``workload``."""
    for rule in rules.rules:
        if isinstance(rule, KindOnlyOnWorkloads) and rule.kind is kind:
            if workload not in rule.workloads:
                return False
        elif (
            isinstance(rule, KindNotOnWorkloads)
            and kind in rule.kinds
            and workload in rule.workloads
        ):
            return False
    return True


_M365 = (
    Workload.OFFICE_365,
    Workload.MICROSOFT_365,
    Workload.TEAMS,
    Workload.INTUNE,
    Workload.EMS,
    Workload.DEFENDER,
    Workload.ENTRA,
)
_BUSINESS = (
    Workload.DYNAMICS_365,
    Workload.DYNAMICS_CRM_ONLINE,
    Workload.DYNAMICS_AX7,
    Workload.BUSINESS_CENTRAL,
    Workload.CUSTOMER_INSIGHTS,
    Workload.POWER_PLATFORM,
    Workload.POWER_APPS,
    Workload.POWER_AUTOMATE,
    Workload.POWER_BI,
)
_K = AssociationKind

SOLUTIONS_PARTNER_2023 = CreditProgram(
    name="Solutions Partner 2023",
    credited={
        Workload.AZURE: (_K.PAL, _K.DPOR),
        **dict.fromkeys((*_M365, *_BUSINESS), (_K.CPOR,)),
    },
    rules=MICROSOFT_2023,
    catalog=(
        "SOLUTIONS_PARTNER_INFRASTRUCTURE_AZURE",
        "SOLUTIONS_PARTNER_DATA_AI_AZURE",
        "SOLUTIONS_PARTNER_DIGITAL_APP_INNOVATION_AZURE",
        "SOLUTIONS_PARTNER_MODERN_WORK",
        "SOLUTIONS_PARTNER_SECURITY",
        "SOLUTIONS_PARTNER_BUSINESS_APPLICATIONS",
    ),
    source=(
        "https://learn.microsoft.com/partner-center/link-partner-id-for-azure-performance-pal-dpor"
        " and https://learn.microsoft.com/partner-center/incentives-manage-customer-associations"
        " (October 2023)"
    ),
    published=dt.date(2023, 10, 1),
)
"""The Solutions Partner program as published in October 2023: Azure consumption is credited
through PAL or DPOR (PAL preferred: many partners can link, and it displaces nobody), the
Microsoft 365, Security and Business Applications workloads through CPOR. CSP, transacting,
DAP, GDAP and Lighthouse relationships are working relationships to convert. (The Azure
designations also count CSP tier 1/2 and Modern Work counts DPOR and CSP for some metrics: the
effects, computed by the catalog's own rules, show where converting adds nothing.)"""

COMPETENCIES_2016 = CreditProgram(
    name="MPN competencies 2016",
    credited={
        Workload.AZURE: (_K.DPOR, _K.PAL, _K.TRANSACTING, _K.CSP_TIER1, _K.CSP_TIER2),
        **dict.fromkeys(
            (*_M365, *_BUSINESS), (_K.DPOR, _K.DAP, _K.TRANSACTING, _K.CSP_TIER1, _K.CSP_TIER2)
        ),
    },
    rules=MICROSOFT_2017,
    catalog=(
        "CLOUD_PLATFORM_SILVER",
        "CLOUD_PLATFORM_GOLD",
        "SMALL_MIDMARKET_CLOUD_SILVER",
        "SMALL_MIDMARKET_CLOUD_GOLD",
        "CLOUD_PRODUCTIVITY_SILVER",
        "CLOUD_PRODUCTIVITY_GOLD",
    ),
    source="MPN 101: Getting credit for the cloud consumption you drive (2017)",
    published=dt.date(2017, 1, 1),
)
"""The MPN competencies as the 2017 seed describes them: DPOR, transacting and CSP partners
and DAP are credited (PAL on Azure, added later), under the 2017 rules (DPOR on Office 365,
Dynamics, Intune, EMS and Azure). GDAP, CPOR and Lighthouse relationships are the ones to
convert, into a DPOR (or a PAL on Azure)."""

PROGRAMS: Mapping[str, CreditProgram] = MappingProxyType(
    {p.name: p for p in (SOLUTIONS_PARTNER_2023, COMPETENCIES_2016)}
)
"""The shipped programs by name."""


# --------------------------------------------------------------------------------------------
# results


@attrs.frozen
class Effect:
    """What an action changes in one catalog entry (the evaluator's before and after).

    Attributes:
        competency: the entry's name.
        met_before: whether the partner meets it as things are.
        met_after: whether it would with the suggested associations.
        score_before: the score as things are (``None`` for unscored entries).
        score_after: the score with the suggested associations.
        diff: the requirement-by-requirement comparison, identical to what
            [`what_if`][partner_of_record.what_if] returns for the same associations (not
            compared).
    """

    competency: str
    met_before: bool
    met_after: bool
    score_before: Decimal | None
    score_after: Decimal | None
    diff: EvaluationDiff = attrs.field(eq=False, repr=False)

    @property
    def score_delta(self) -> Decimal:
        """The change of the score (``0`` for unscored entries)."""
        if self.score_before is None or self.score_after is None:
            return _ZERO
        return self.score_after - self.score_before

    @property
    def newly_met(self) -> bool:
        """Whether the entry is met with the action and not without."""
        return self.met_after and not self.met_before

    @property
    def changed(self) -> bool:
        """Whether the action changes anything in the entry."""
        return bool(self.diff.changed)

    def describe(self) -> str:
        """Return a line such as ``SOLUTIONS_PARTNER_SECURITY: score 40.00 -> 52.00, now met``."""
        text = self.competency
        if self.score_before is not None:
            text += f": score {self.score_before} -> {self.score_after}"
        if self.newly_met:
            text += ", now met"
        elif self.met_before and not self.met_after:
            text += ", no longer met"
        elif not self.changed:
            text += ": no change"
        elif not self.score_delta:
            text += " (measured values change, the score does not)"
        return text


@attrs.frozen
class EarningsEffect:
    """What an action changes in one incentive program's earnings (``what_if_incentive``).

    Attributes:
        program: the program's name.
        currency: the currency of the amounts.
        earned_before: everything earned over the period as things are.
        earned_after: everything earned with the suggested associations.
        diff: the earnings before and after, identical to what
            [`what_if_incentive`][partner_of_record.incentives.what_if_incentive] returns for
            the same associations and period (not compared).
    """

    program: str
    currency: str
    earned_before: Decimal
    earned_after: Decimal
    diff: EarningsDiff = attrs.field(eq=False, repr=False)

    @property
    def earned_delta(self) -> Decimal:
        """The change of everything earned."""
        return self.earned_after - self.earned_before

    @property
    def changed(self) -> bool:
        """Whether the action changes the earnings."""
        return self.earned_delta != 0

    def describe(self) -> str:
        """Return a line such as ``PARTNER_EARNED_CREDIT: earned US$0.00 -> US$210.00``."""
        return (
            f"{self.program}: earned {_money(self.earned_before, self.currency)} -> "
            f"{_money(self.earned_after, self.currency)}"
        )


@attrs.frozen
class Opportunity:
    """One subscription's unclaimed consumption and the action that claims it.

    Attributes:
        subscription_id: the subscription.
        customer_id: its customer's tenant.
        customer_name: the customer's display name.
        workload: its workload.
        working: the partner's association kinds there that the program does not credit.
        kind: the association kind to add (one of ``ACTION_KINDS``).
        associations: the suggested associations (one per gap of the period).
        amounts: ``(currency, amount)`` pairs: the consumption the partner would have been
            credited over the period, exact (``()`` for seat-only workloads).
        seats: the peak paid seats over the months the association would have covered.
        active_users: the peak monthly active users over those months.
        ongoing: whether the working relationship is still uncredited at the end of the period.
        action: the action, in one sentence.
        effects: the effect on each catalog entry of the program, in catalog order.
        earnings: the effect on each incentive program given to ``unclaimed``, in that order.
    """

    subscription_id: SubscriptionId
    customer_id: CustomerId
    customer_name: str
    workload: Workload
    working: tuple[AssociationKind, ...]
    kind: AssociationKind
    associations: tuple[Association, ...]
    amounts: tuple[tuple[str, Decimal], ...]
    seats: int
    active_users: int
    ongoing: bool
    action: str
    effects: tuple[Effect, ...]
    earnings: tuple[EarningsEffect, ...] = ()

    @property
    def earned_delta(self) -> Decimal:
        """The sum of the earnings changes over the incentive programs given."""
        return sum((e.earned_delta for e in self.earnings), _ZERO)

    @property
    def newly_met(self) -> tuple[str, ...]:
        """The entries the action alone would make met."""
        return tuple(e.competency for e in self.effects if e.newly_met)

    @property
    def score_delta(self) -> Decimal:
        """The sum of the score changes over the program's scored entries."""
        return sum((e.score_delta for e in self.effects), _ZERO)

    def changes(self) -> tuple[str, ...]:
        """The effects that change something, one line each (catalog entries, then earnings)."""
        return tuple(_described(self.effects, self.earnings))

    def amount_text(self) -> str:
        """The consumption as readable text (``US$1,200.00``; seats for seat workloads)."""
        parts = [_money(amount, currency) for currency, amount in self.amounts]
        if self.seats or self.active_users:
            parts.append(f"{self.seats:,} paid seats, {self.active_users:,} active users")
        return ", ".join(parts) or "none"

    def describe(self) -> str:
        """Return the action and what it is worth, in one line."""
        gain = _described(self.effects, self.earnings)
        tail = "; ".join(gain) if gain else "no catalog entry changes"
        return f"{self.action}: {self.amount_text()} in the period; {tail}"


_GROUP_VERBS: Mapping[AssociationKind, str] = MappingProxyType(
    {
        AssociationKind.PAL: "linking PAL on {n} subscription{s} adds",
        AssociationKind.DPOR: "being named DPOR on {n} subscription{s} adds",
        AssociationKind.CPOR: "{n} CPOR claim{s} add{v}",
    }
)


@attrs.frozen
class KindGroup:
    """Every opportunity of one action kind taken together ("linking PAL on these 3 ...").

    Attributes:
        kind: the association kind the actions add.
        subscriptions: the subscriptions, in rank order.
        amounts: ``(currency, amount)`` pairs: their consumption together.
        effects: the effect of all of them on each catalog entry of the program.
        earnings: their effect on each incentive program given.
    """

    kind: AssociationKind
    subscriptions: tuple[SubscriptionId, ...]
    amounts: tuple[tuple[str, Decimal], ...]
    effects: tuple[Effect, ...] = ()
    earnings: tuple[EarningsEffect, ...] = ()

    @property
    def newly_met(self) -> tuple[str, ...]:
        """The entries these actions together would make met."""
        return tuple(e.competency for e in self.effects if e.newly_met)

    def describe(self) -> str:
        """Return a sentence such as ``linking PAL on 3 subscriptions adds US$41,200.00 and
        meets CLOUD_PLATFORM_GOLD``."""
        n = len(self.subscriptions)
        head = _GROUP_VERBS[self.kind].format(n=n, s="" if n == 1 else "s", v="s" if n == 1 else "")
        money = " and ".join(_money(a, c) for c, a in self.amounts) or "no consumption"
        text = f"{head} {money}"
        if self.newly_met:
            text += f" and meets {', '.join(self.newly_met)}"
        return text


@attrs.frozen
class Blocked:
    """A subscription with unclaimed consumption that no allowed action can claim.

    Attributes:
        subscription_id: the subscription.
        customer_id: its customer's tenant.
        workload: its workload.
        working: the partner's uncredited association kinds there.
        reasons: one message per credited kind tried, from the rule that forbids it. (No
            amount is computed: there is no allowed association to compute it with.)
    """

    subscription_id: SubscriptionId
    customer_id: CustomerId
    workload: Workload
    working: tuple[AssociationKind, ...]
    reasons: tuple[str, ...]


def _described(*groups: Iterable[Effect | EarningsEffect]) -> list[str]:
    """The descriptions of the effects that change something."""
    return [e.describe() for group in groups for e in group if e.changed]


def _money(amount: Decimal, currency: str) -> str:
    if currency == "USD":
        return format_quantity(amount, "USD")
    return f"{amount:,} {currency}"


@attrs.frozen
class Unclaimed:
    """A partner's unclaimed consumption over a period, ranked by the effect of fixing it.

    Attributes:
        partner_id: the partner.
        start: the first day of the period.
        end: the first day after it; the entries are evaluated as of this day.
        program: the program's name.
        rules: the name of the program's rule set.
        opportunities: the subscriptions to fix, best effect first.
        blocked: the subscriptions no allowed action can fix, with the rules' reasons.
        combined: the effect of every suggested action together, per catalog entry.
        combined_earnings: the effect of every suggested action together, per incentive
            program.
        groups: the opportunities taken together per action kind, with their effects.
    """

    partner_id: PartnerId
    start: dt.date
    end: dt.date
    program: str
    rules: str
    opportunities: tuple[Opportunity, ...]
    blocked: tuple[Blocked, ...] = ()
    combined: tuple[Effect, ...] = ()
    combined_earnings: tuple[EarningsEffect, ...] = ()
    groups: tuple[KindGroup, ...] = ()

    def totals(self) -> dict[str, Decimal]:
        """Return the unclaimed consumption per currency, over every opportunity.

        Returns:
            Currency -> amount, sorted by currency.
        """
        out: dict[str, Decimal] = {}
        for o in self.opportunities:
            for currency, amount in o.amounts:
                out[currency] = out.get(currency, _ZERO) + amount
        return dict(sorted(out.items()))

    def combined_changes(self) -> tuple[str, ...]:
        """What every action together changes, one line per catalog entry or program."""
        return tuple(_described(self.combined, self.combined_earnings))

    def by_kind(self) -> dict[AssociationKind, tuple[Opportunity, ...]]:
        """Return the opportunities grouped by the kind of association to add."""
        out: dict[AssociationKind, list[Opportunity]] = {}
        for o in self.opportunities:
            out.setdefault(o.kind, []).append(o)
        return {k: tuple(v) for k, v in out.items()}

    def explain(self) -> str:
        """Return a readable account: the actions, best first, and what they are worth."""
        period = f"{self.start.isoformat()} to {self.end.isoformat()} (exclusive)"
        lines = [
            f"Unclaimed consumption of partner {self.partner_id}, {period}, "
            f"{self.program} ({self.rules})"
        ]
        if not self.opportunities and not self.blocked:
            lines.append("  nothing unclaimed: every working relationship is credited")
            return "\n".join(lines)
        for i, o in enumerate(self.opportunities, 1):
            working = "+".join(k.name for k in o.working)
            lines.append(f"  {i}. {o.action}")
            lines.append(
                f"     {o.workload.name} subscription {o.subscription_id} ({working} only): "
                f"{o.amount_text()}{'' if o.ongoing else ' (relationship ended)'}"
            )
            lines.extend(f"     -> {line}" for line in _described(o.effects, o.earnings))
        if len(self.groups) > 1 or any(len(g.subscriptions) > 1 for g in self.groups):
            lines.extend(f"  Together: {g.describe()}" for g in self.groups)
        if (self.combined or self.combined_earnings) and self.opportunities:
            totals = ", ".join(_money(a, c) for c, a in self.totals().items()) or "seats only"
            lines.append(f"  All {len(self.opportunities)} actions together add {totals}:")
            lines.extend(
                f"     -> {line}" for line in _described(self.combined, self.combined_earnings)
            )
        lines.extend(
            f"  blocked: {b.workload.name} subscription {b.subscription_id}: "
            + "; ".join(b.reasons)
            for b in self.blocked
        )
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready document (amounts and scores as strings, days in ISO form)."""

        def effect(e: Effect) -> dict[str, Any]:
            return {
                "competency": e.competency,
                "met_before": e.met_before,
                "met_after": e.met_after,
                "score_before": _text(e.score_before),
                "score_after": _text(e.score_after),
                "score_delta": str(e.score_delta),
            }

        def earning(e: EarningsEffect) -> dict[str, Any]:
            return {
                "program": e.program,
                "currency": e.currency,
                "earned_before": str(e.earned_before),
                "earned_after": str(e.earned_after),
                "earned_delta": str(e.earned_delta),
            }

        return {
            "partner_id": self.partner_id,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "program": self.program,
            "rules": self.rules,
            "totals": {c: str(a) for c, a in self.totals().items()},
            "opportunities": [
                {
                    "subscription_id": o.subscription_id,
                    "customer_id": o.customer_id,
                    "customer_name": o.customer_name,
                    "workload": o.workload.value,
                    "working": [k.value for k in o.working],
                    "kind": o.kind.value,
                    "action": o.action,
                    "amounts": {c: str(a) for c, a in o.amounts},
                    "seats": o.seats,
                    "active_users": o.active_users,
                    "ongoing": o.ongoing,
                    "associations": [
                        {
                            "kind": a.kind.value,
                            "start": a.start.isoformat(),
                            "end": a.end.isoformat() if a.end else None,
                        }
                        for a in o.associations
                    ],
                    "newly_met": list(o.newly_met),
                    "effects": [effect(e) for e in o.effects],
                    "earnings": [earning(e) for e in o.earnings],
                }
                for o in self.opportunities
            ],
            "blocked": [
                {
                    "subscription_id": b.subscription_id,
                    "customer_id": b.customer_id,
                    "workload": b.workload.value,
                    "working": [k.value for k in b.working],
                    "reasons": list(b.reasons),
                }
                for b in self.blocked
            ],
            "combined": [effect(e) for e in self.combined],
            "combined_earnings": [earning(e) for e in self.combined_earnings],
            "groups": [
                {
                    "kind": g.kind.value,
                    "subscriptions": list(g.subscriptions),
                    "amounts": {c: str(a) for c, a in g.amounts},
                    "newly_met": list(g.newly_met),
                    "summary": g.describe(),
                    "effects": [effect(e) for e in g.effects],
                    "earnings": [earning(e) for e in g.earnings],
                }
                for g in self.groups
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """Return ``to_dict()`` as JSON text.

        Args:
            indent: the indentation (``None`` for one line).

        Returns:
            The JSON text.
        """
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_pandas(self) -> pd.DataFrame:
        """Return one row per opportunity and catalog entry (needs the ``pandas`` extra).

        Returns:
            A DataFrame with the opportunity's rank, subscription, action, amounts (one
            column per currency is not attempted: ``currency`` and ``amount`` columns, one row
            per currency) and the entry's score and verdict before and after.

        Raises:
            ImportError: pandas is not installed (``pip install pandas (the [pandas] extra)``).
        """
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Unclaimed.to_pandas needs pandas: pip install pandas (the [pandas] extra)"
            ) from exc
        rows: list[dict[str, Any]] = []
        for rank, o in enumerate(self.opportunities, 1):
            money = o.amounts or (("", _ZERO),)
            for currency, amount in money:
                rows.extend(
                    {
                        "rank": rank,
                        "subscription_id": o.subscription_id,
                        "customer_id": o.customer_id,
                        "workload": o.workload.value,
                        "kind": o.kind.value,
                        "action": o.action,
                        "currency": currency,
                        "amount": amount,
                        "seats": o.seats,
                        "active_users": o.active_users,
                        "competency": e.competency,
                        "score_before": e.score_before,
                        "score_after": e.score_after,
                        "met_before": e.met_before,
                        "met_after": e.met_after,
                    }
                    for e in o.effects
                )
        columns = [
            "rank",
            "subscription_id",
            "customer_id",
            "workload",
            "kind",
            "action",
            "currency",
            "amount",
            "seats",
            "active_users",
            "competency",
            "score_before",
            "score_after",
            "met_before",
            "met_after",
        ]
        return pd.DataFrame(rows, columns=columns)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# --------------------------------------------------------------------------------------------
# the search


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


def _action(kind: AssociationKind, sub_id: str, workload: Workload, customer: str) -> str:
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
class _Found:
    sub_id: SubscriptionId
    customer_id: CustomerId
    workload: Workload
    working: tuple[AssociationKind, ...]
    kind: AssociationKind | None
    associations: tuple[Association, ...]
    gaps: tuple[_Interval, ...]
    ongoing: bool
    reasons: tuple[str, ...]


def _search(
    ledger: Ledger,
    partner_id: PartnerId,
    start: dt.date,
    end: dt.date,
    program: CreditProgram,
) -> list[_Found]:
    """Every subscription with a working relationship and no credited kind on some days."""
    rule_sets = (ledger.rules, program.rules)
    found: list[_Found] = []
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
            _Found(
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


def _credited_amounts(
    ledger: Ledger,
    hypothetical: Ledger,
    partner_id: PartnerId,
    start: dt.date,
    end: dt.date,
    found: Sequence[_Found],
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


def _seats(ledger: Ledger, sub_id: SubscriptionId, gaps: Sequence[_Interval]) -> tuple[int, int]:
    """Peak paid seats and active users over the months whose last day a gap covers."""
    seats = users = 0
    for row in ledger.seats_of(sub_id):
        last = month_end(row.month) - dt.timedelta(days=1)
        if any(lo <= last < hi for lo, hi in gaps):
            seats = max(seats, row.paid_seats)
            users = max(users, row.active_users)
    return seats, users


class _Evaluator:
    """Evaluates the program's entries on a ledger, sharing one ``LedgerFacts`` per ledger."""

    def __init__(
        self,
        partner_id: PartnerId,
        entries: Sequence[Competency],
        as_of: dt.date,
        skills: Skills | None,
        rates: RateTable | None,
        policy: Policy | None,
    ) -> None:
        self.partner_id = partner_id
        self.entries = entries
        self.as_of = as_of
        self.skills = skills
        self.rates = rates
        self.policy = policy

    def evaluate(self, ledger: Ledger) -> list[Evaluation]:
        facts = LedgerFacts(ledger, self.rates, self.policy)
        return [
            evaluate_context(MeasurementContext(self.partner_id, self.as_of, facts, self.skills), c)
            for c in self.entries
        ]

    @staticmethod
    def effects(before: Sequence[Evaluation], after: Sequence[Evaluation]) -> tuple[Effect, ...]:
        return tuple(
            Effect(
                competency=b.competency,
                met_before=b.met,
                met_after=a.met,
                score_before=b.score,
                score_after=a.score,
                diff=EvaluationDiff.between(b, a),
            )
            for b, a in zip(before, after, strict=True)
        )


def _rank_key(o: Opportunity) -> tuple[Any, ...]:
    money = sum((a for _, a in o.amounts), _ZERO)
    return (
        -len(o.newly_met),
        -o.score_delta,
        -o.earned_delta,
        -money,
        -o.seats,
        o.subscription_id,
        o.kind.value,
    )


class _Incentives:
    """Evaluates incentive programs over the period, as ``what_if_incentive`` does."""

    def __init__(
        self,
        partner_id: PartnerId,
        programs: Sequence[IncentiveProgram],
        start: dt.date,
        end: dt.date,
        skills: Skills | None,
        rates: RateTable | None,
        policy: Policy | None,
    ) -> None:
        self.partner_id = partner_id
        self.programs = programs
        self.options: dict[str, Any] = {
            "start": start,
            "end": end,
            "policy": policy,
            "rates": rates,
            "skills": skills,
        }

    def evaluate(self, ledger: Ledger) -> list[Earnings]:
        if not self.programs:
            return []
        from partner_of_record.incentives import evaluate_incentive

        return [
            evaluate_incentive(ledger, self.partner_id, program, **self.options)
            for program in self.programs
        ]

    @staticmethod
    def effects(
        before: Sequence[Earnings], after: Sequence[Earnings]
    ) -> tuple[EarningsEffect, ...]:
        if not before:
            return ()
        from partner_of_record.incentives import EarningsDiff

        return tuple(
            EarningsEffect(
                program=b.program,
                currency=b.currency,
                earned_before=b.earned,
                earned_after=a.earned,
                diff=EarningsDiff(b, a),
            )
            for b, a in zip(before, after, strict=True)
        )


def unclaimed(
    ledger: Ledger,
    partner_id: PartnerId,
    *,
    start: dt.date,
    end: dt.date,
    program: CreditProgram | str = SOLUTIONS_PARTNER_2023,
    skills: Skills | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
    catalog: Iterable[Competency | str] | None = None,
    incentives: Iterable[IncentiveProgram] = (),
) -> Unclaimed:
    """Find the consumption a partner drives but is not credited for, and how to claim it.

    A subscription is listed when, on some day of ``[start, end)``, the partner holds an
    association of a kind the program does not credit on its workload (CSP, transacting, DAP,
    GDAP, Lighthouse; or a DPOR where the program credits CPOR) and none that it credits (a
    CPOR claim on another subscription of the same tenant and workload counts). The action is
    the first kind of ``ACTION_KINDS`` the program credits there that the ledger's rules and
    the program's rules both allow; subscriptions with consumption or seats in the gap only.

    Args:
        ledger: the facts.
        partner_id: the partner.
        start: the first day of the period.
        end: the first day after it; entries are evaluated as of this day.
        program: a [`CreditProgram`][partner_of_record.opportunities.CreditProgram] or the
            name of a shipped one (``PROGRAMS``).
        skills: the partner's skills, for the catalog evaluations.
        rates: US dollar rates for credits in other currencies (catalog evaluations).
        policy: an attribution policy for the catalog evaluations (see
            ``evaluate_competency``).
        catalog: the entries the effects are measured on (default: the program's).
        incentives: incentive programs (``partner_of_record.incentives``) whose earnings over
            the period each action changes, computed as
            [`what_if_incentive`][partner_of_record.incentives.what_if_incentive] does.

    Returns:
        The opportunities, best effect first (entries newly met, then score gained, then
        consumption, then seats), the blocked subscriptions and the combined effect.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        ValueError: ``end`` is not after ``start``, or ``program`` is an unknown name.
    """
    ledger.partner(partner_id)
    if end <= start:
        msg = f"unclaimed: end {end.isoformat()} is not after start {start.isoformat()}"
        raise ValueError(msg)
    if isinstance(program, str):
        if program not in PROGRAMS:
            msg = f"unclaimed: no program {program!r} (one of {', '.join(PROGRAMS)})"
            raise ValueError(msg)
        program = PROGRAMS[program]
    entries = (
        program.entries() if catalog is None else tuple(resolve_competency(c) for c in catalog)
    )
    found = _search(ledger, partner_id, start, end, program)
    actionable = [f for f in found if f.kind is not None]
    every = tuple(a for f in actionable for a in f.associations)
    hypothetical = ledger.add(*every) if every else ledger
    amounts = _credited_amounts(ledger, hypothetical, partner_id, start, end, found, program)
    seats = {f.sub_id: _seats(ledger, f.sub_id, f.gaps) for f in found}

    def worth(f: _Found) -> bool:
        return any(a for _, a in amounts.get(f.sub_id, ())) or any(seats[f.sub_id])

    actionable = [f for f in actionable if worth(f)]
    blocked = tuple(
        Blocked(f.sub_id, f.customer_id, f.workload, f.working, f.reasons)
        for f in found
        if f.kind is None
    )
    evaluator = _Evaluator(partner_id, entries, end, skills, rates, policy)
    before = evaluator.evaluate(ledger)
    earner = _Incentives(partner_id, tuple(incentives), start, end, skills, rates, policy)
    earned_before = earner.evaluate(ledger)
    names = {c.id: c.name for c in ledger.customers}
    opportunities = []
    for f in actionable:
        assert f.kind is not None
        with_it = ledger.add(*f.associations)
        after = evaluator.evaluate(with_it)
        customer = names.get(f.customer_id) or f.customer_id
        opportunities.append(
            Opportunity(
                subscription_id=f.sub_id,
                customer_id=f.customer_id,
                customer_name=customer,
                workload=f.workload,
                working=f.working,
                kind=f.kind,
                associations=f.associations,
                amounts=amounts.get(f.sub_id, ()),
                seats=seats[f.sub_id][0],
                active_users=seats[f.sub_id][1],
                ongoing=f.ongoing,
                action=_action(f.kind, f.sub_id, f.workload, customer),
                effects=_Evaluator.effects(before, after),
                earnings=_Incentives.effects(earned_before, earner.evaluate(with_it)),
            )
        )
    opportunities.sort(key=_rank_key)
    combined: tuple[Effect, ...] = ()
    combined_earnings: tuple[EarningsEffect, ...] = ()
    if opportunities:
        chosen = tuple(a for o in opportunities for a in o.associations)
        all_of_them = ledger.add(*chosen)
        combined = _Evaluator.effects(before, evaluator.evaluate(all_of_them))
        combined_earnings = _Incentives.effects(earned_before, earner.evaluate(all_of_them))
    groups = []
    for kind in ACTION_KINDS:
        mine = [o for o in opportunities if o.kind is kind]
        if not mine:
            continue
        if len(mine) == len(opportunities):  # one kind only: the combined effect is theirs
            effects, earnings = combined, combined_earnings
        else:
            book = ledger.add(*(a for o in mine for a in o.associations))
            effects = _Evaluator.effects(before, evaluator.evaluate(book))
            earnings = _Incentives.effects(earned_before, earner.evaluate(book))
        money: dict[str, Decimal] = {}
        for o in mine:
            for currency, amount in o.amounts:
                money[currency] = money.get(currency, _ZERO) + amount
        groups.append(
            KindGroup(
                kind=kind,
                subscriptions=tuple(o.subscription_id for o in mine),
                amounts=tuple(sorted(money.items())),
                effects=effects,
                earnings=earnings,
            )
        )
    return Unclaimed(
        partner_id=partner_id,
        start=start,
        end=end,
        program=program.name,
        rules=program.rules.name,
        opportunities=tuple(opportunities),
        blocked=blocked,
        combined=combined,
        combined_earnings=combined_earnings,
        groups=tuple(groups),
    )
