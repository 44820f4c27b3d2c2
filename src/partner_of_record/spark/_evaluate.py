"""``evaluate_all`` over credits computed in Spark: aggregate there, evaluate on the driver."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from partner_of_record.evaluation import (
    AcrRow,
    Competency,
    MeasurementContext,
    RateTable,
    SeatCrediting,
    SeatRow,
    evaluate_context,
    resolve_competency,
)
from partner_of_record.evaluation.sources import LedgerFacts, acr_row
from partner_of_record.evaluation.time import measurement_month
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, OfferCategory, PartnerId
from partner_of_record.spark._frames import DataFrame, pyspark_functions

if TYPE_CHECKING:
    from partner_of_record.evaluation import Evaluation, Skills

__all__ = ["evaluate_all"]


class _CollectedFacts:
    """A ``Facts`` source over credit rows collected from Spark (one run, one policy).

    A row counts for a set of kinds when it was earned through one of them, as
    ``LedgerFacts`` does when given a policy; seats come from the facts ledger.
    """

    def __init__(
        self,
        ledger: Ledger,
        rows: Mapping[PartnerId, list[tuple[Any, ...]]],
        months: frozenset[dt.date],
        rates: RateTable,
    ) -> None:
        self.ledger = ledger
        self.rows = rows
        self.months = months
        self.rates = rates
        self._seats = LedgerFacts(ledger, rates)
        self._acr: dict[tuple[PartnerId, frozenset[AssociationKind]], tuple[AcrRow, ...]] = {}

    def acr(self, partner_id: PartnerId, kinds: frozenset[AssociationKind]) -> tuple[AcrRow, ...]:
        key = (partner_id, frozenset(kinds))
        found = self._acr.get(key)
        if found is None:
            wanted = {k.value for k in kinds}
            out = []
            for sub_id, month, service, currency, amount, row_kinds, offer in self.rows.get(
                partner_id, ()
            ):
                if not wanted.intersection(row_kinds):
                    continue
                out.append(
                    acr_row(
                        self.ledger, self.rates, (sub_id, month, service, currency, amount), offer
                    )
                )
            found = self._acr[key] = tuple(out)
        return found

    def seats(
        self,
        partner_id: PartnerId,
        kinds: frozenset[AssociationKind],
        crediting: SeatCrediting,
    ) -> tuple[SeatRow, ...]:
        return self._seats.seats(partner_id, kinds, crediting)

    def has_usage(self, month: dt.date) -> bool:
        return month in self.months or self._seats.has_usage(month)


def evaluate_all(
    credits: DataFrame,
    facts: Ledger,
    competency: Competency | str,
    *,
    as_of: dt.date,
    skills: Mapping[PartnerId, Skills] | None = None,
    rates: RateTable | None = None,
    partners: Iterable[PartnerId] | None = None,
) -> dict[PartnerId, Evaluation]:
    """Evaluate every partner (or the given ones) from credits computed in Spark.

    Spark keeps the credited rows of the evaluated partners up to the measurement month, sums
    them per partner, kinds, subscription, month, service, currency and offer (the grain of
    the measures' ``AcrRow``: a usage row's own offer category counts, as locally), and the
    driver collects only that; the months with usage are collected too. The evaluation then
    runs on the driver with the ordinary evaluator. The
    result equals the local ``evaluate_all(ledger, competency, as_of=..., policy=P,
    evidence=False)`` where ``P`` is the policy the credits were computed with: as locally
    with a policy, a credit counts for a requirement when it was earned through one of its
    kinds. (Without a policy the local evaluator attributes once per set of kinds with
    ``RecognizeAll(kinds)``; run ``attribute`` with that policy to get the same numbers.)

    Args:
        credits: a DataFrame returned by ``attribute`` over all usage rows.
        facts: the facts ledger given to ``attribute`` (with seat records, if any).
        competency: the competency, or its catalog name.
        as_of: the day of the evaluation.
        skills: partner id -> that partner's skills mapping.
        rates: US dollar rates for credits in other currencies.
        partners: the partners to evaluate (default: every partner of ``facts``).

    Returns:
        Partner id -> evaluation (without attached credits: ``credits`` is ``None``).

    Raises:
        UnknownRecordError: a partner is not in ``facts``.
    """
    F = pyspark_functions()  # noqa: N806
    comp = resolve_competency(competency)
    ids = [p.id for p in facts.partners] if partners is None else list(partners)
    for pid in ids:
        facts.partner(pid)
    last = measurement_month(as_of)
    wanted = credits.where(F.col("partner_id").isin(ids) & (F.col("month") <= F.lit(last)))
    grouped = wanted.groupBy(
        "partner_id", "kinds", "subscription_id", "month", "service", "currency", "offer"
    ).agg(F.sum("amount").alias("amount"))
    rows: dict[PartnerId, list[tuple[Any, ...]]] = {}
    for r in grouped.collect():
        amount = Decimal(r["amount"])
        rows.setdefault(r["partner_id"], []).append(
            (
                r["subscription_id"],
                r["month"],
                r["service"],
                r["currency"],
                amount,
                r["kinds"],
                OfferCategory(r["offer"]),
            )
        )
    for items in rows.values():
        items.sort(key=lambda t: (t[0], t[1], t[2] or "", t[3], t[6].value))
    months = frozenset(r["month"] for r in credits.select("month").distinct().collect())
    source = _CollectedFacts(facts, rows, months, rates if rates is not None else RateTable())
    per_partner = skills or {}
    return {
        pid: evaluate_context(MeasurementContext(pid, as_of, source, per_partner.get(pid)), comp)
        for pid in ids
    }
