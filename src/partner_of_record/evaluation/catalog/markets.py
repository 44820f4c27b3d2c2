"""Thresholds that vary by market: a requirement whose threshold depends on the partner's market.

Microsoft set some competency thresholds per membership level *and* market (Cloud Platform's
consumption threshold, for instance, was lower in smaller markets). The sources this library
cites publish only the United States figures, so the catalog ships those as the default and
lets an entry carry a table by market: ``cloud_platform("silver", market_thresholds={"IN":
5_000})`` builds a ``ByMarket`` (``partner_of_record.evaluation.catalog.markets``)
requirement, which reads the partner's market from
[`Partner.market`][partner_of_record.Partner] (an ISO 3166-1 alpha-2 code) and names, in its
result, the market whose threshold it used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from partner_of_record.evaluation.context import MeasurementContext
from partner_of_record.evaluation.measures import Measure, to_decimal
from partner_of_record.evaluation.requirements import AtLeast
from partner_of_record.evaluation.results import RequirementResult
from partner_of_record.ledger import Ledger, UnknownRecordError

__all__ = ["DEFAULT_MARKET", "ByMarket", "partner_market"]

DEFAULT_MARKET = "US"
"""The market whose figures the sources publish, and the default of every table."""


def partner_market(ctx: MeasurementContext) -> str | None:
    """The market of the context's partner, when its facts come from a ledger that knows it.

    Args:
        ctx: the measurement context.

    Returns:
        The partner's ``market`` code, or ``None`` (no ledger, or no market recorded).
    """
    ledger = getattr(ctx.facts, "ledger", None)
    if not isinstance(ledger, Ledger):
        return None
    try:
        return ledger.partner(ctx.partner_id).market
    except UnknownRecordError:
        return None


def _to_table(
    value: Mapping[str, Decimal | int | str] | Iterable[tuple[str, Decimal | int | str]],
) -> tuple[tuple[str, Decimal], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    out = {}
    for market, threshold in items:
        code = str(market).strip().upper()
        if len(code) != 2 or not code.isalpha():
            msg = f"ByMarket.thresholds: {market!r} is not a two-letter market code"
            raise ValueError(msg)
        out[code] = to_decimal(threshold)
    return tuple(sorted(out.items()))


@attrs.frozen
class ByMarket:
    """A measure must reach the threshold of the partner's market.

    The partner's market comes from its ``Partner.market``; a partner without one, or whose
    market has no row, is held to ``default_market``'s threshold. The result's reason names the
    market whose threshold was used, and why.

    Attributes:
        name: the requirement's name (``"azure_consumption"``).
        measure: what is measured.
        thresholds: market code -> threshold, in the measure's unit (a read-only table, sorted
            by market); must hold ``default_market``.
        default_market: the market used when the partner's is unknown or not in the table.
    """

    name: str
    measure: Measure
    thresholds: tuple[tuple[str, Decimal], ...] = attrs.field(converter=_to_table)
    default_market: str = DEFAULT_MARKET

    def __attrs_post_init__(self) -> None:
        if self.default_market not in dict(self.thresholds):
            msg = (
                f"ByMarket.thresholds: no threshold for the default market {self.default_market!r}"
            )
            raise ValueError(msg)

    def threshold_for(self, market: str | None) -> tuple[str, Decimal]:
        """The market whose threshold applies to a partner of ``market``, and the threshold.

        Args:
            market: the partner's market code, or ``None``.

        Returns:
            ``(market used, threshold)``.
        """
        table = dict(self.thresholds)
        used = market if market in table else self.default_market
        return used, table[used]

    def evaluate(self, ctx: MeasurementContext) -> RequirementResult:
        """Compare the measure with the threshold of the partner's market.

        Args:
            ctx: the measurement context (partner, measurement month, facts, skills).

        Returns:
            The requirement's result; its reason names the market used.
        """
        market = partner_market(ctx)
        used, threshold = self.threshold_for(market)
        result = AtLeast(self.name, self.measure, threshold).evaluate(ctx)
        if market is None:
            why = f"no market recorded for partner {ctx.partner_id}: the {used} threshold applies"
        elif market != used:
            why = f"market {market} has no threshold of its own: the {used} threshold applies"
        else:
            why = f"the threshold of market {used}"
        return attrs.evolve(result, reason=f"{result.reason} ({why})")
