"""The results of ``unclaimed``: effects, opportunities, blocked subscriptions, the summary."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record._extras import require
from partner_of_record.evaluation import EvaluationDiff
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.model import (
    Association,
    AssociationKind,
    CustomerId,
    PartnerId,
    SubscriptionId,
    Workload,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas as pd

    from partner_of_record.incentives import EarningsDiff

_ZERO = Decimal(0)


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
        pandas = require("pandas", "pandas", "Unclaimed.to_pandas")
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
        frame: pd.DataFrame = pandas.DataFrame(rows, columns=columns)
        return frame


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
