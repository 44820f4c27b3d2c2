"""Look forward: the first future month a competency would be met, under a stated assumption.

``project_qualification`` extends the ledger past its last data month with hypothetical records
(``trend_projection``: each usage line's least-squares trend, or a ``ProjectionFn`` of your own)
and scans the months after ``as_of`` with ``earliest_qualification``. The names are re-exported
by ``partner_of_record.evaluation.evaluator`` and ``partner_of_record.evaluation``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from partner_of_record.attribution.policies import Policy
from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import Skills
from partner_of_record.evaluation.rates import RateTable, as_rate_table
from partner_of_record.evaluation.results import Projection
from partner_of_record.evaluation.time import add_months
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId, Record

__all__ = ["TREND_ASSUMPTION", "ProjectionFn", "project_qualification", "trend_projection"]


ProjectionFn = Callable[[Ledger, dt.date, dt.date], Iterable[Record]]
"""A user-supplied projection: ``(ledger, first month, last month) -> hypothetical records``.

It returns the usage rows (and seat records, associations ...) assumed for the months from
``first`` to ``last`` included (first days of months), after the ledger's last data month.
"""

_CENT = Decimal("0.01")

TREND_ASSUMPTION = (
    "each usage line (subscription, service, currency) continues the straight-line trend of "
    "its last {months} months of data (least squares, never below 0), seat records stay at "
    "their last month, and associations and skills stay as they are"
)
"""The assumption of the default projection (``{months}``: the months the trend is fitted on)."""


def trend_projection(
    ledger: Ledger, first: dt.date, last: dt.date, *, months: int = 12
) -> tuple[Record, ...]:
    """Project usage and seats from ``first`` to ``last`` (months) by each line's trend.

    Each usage line (subscription, service, currency, offer) with usage in the last ``months``
    data months gets a least-squares straight line over those months (a month without a row
    counts as 0), extended month by month, never below 0, rounded to the cent (half to
    even). Seat records of the last data month are repeated unchanged.

    Args:
        ledger: the facts.
        first: the first projected month (a first of month after the last data month).
        last: the last projected month, included.
        months: how many data months the trend is fitted on.

    Returns:
        The projected usage rows and seat records.

    Raises:
        ValueError: ``months`` is below 2.
    """
    from partner_of_record.model import SeatUsage, Usage

    if months < 2:  # a straight line needs two points
        msg = f"months: {months} is below 2; a trend needs at least two months"
        raise ValueError(msg)
    span = ledger.months
    if span is None or first > last:
        return ()
    window = [add_months(span[1], -i) for i in range(months - 1, -1, -1)]
    index = {month: i for i, month in enumerate(window)}
    lines: dict[tuple[str, str | None, str, object], list[Decimal]] = {}
    for u in ledger.usage:
        if u.month not in index:
            continue
        key = (u.subscription_id, u.service, u.currency, u.offer)
        series = lines.setdefault(key, [Decimal(0)] * months)
        series[index[u.month]] += u.amount
    out: list[Record] = []
    n = Decimal(months)
    x_mean = (n - 1) / 2
    sxx = sum(((Decimal(i) - x_mean) ** 2 for i in range(months)), Decimal(0))
    future = []
    day = first
    while day <= last:
        future.append(day)
        day = add_months(day, 1)
    for (sub, service, currency, offer), series in lines.items():
        y_mean = sum(series, Decimal(0)) / n
        sxy = sum(((Decimal(i) - x_mean) * (y - y_mean) for i, y in enumerate(series)), Decimal(0))
        slope = sxy / sxx
        for month in future:
            x = Decimal(months - 1 + _months_between(span[1], month))
            value = max(Decimal(0), y_mean + slope * (x - x_mean)).quantize(_CENT)
            if value > 0:
                out.append(
                    Usage(sub, month, value, currency=currency, service=service, offer=offer)  # type: ignore[arg-type]
                )
    last_seats = [s for s in ledger.seats if s.month == span[1]]
    for month in future:
        out.extend(
            SeatUsage(s.subscription_id, month, s.paid_seats, s.active_users) for s in last_seats
        )
    return tuple(out)


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def project_qualification(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    as_of: dt.date,
    horizon: int = 24,
    projection: ProjectionFn | None = None,
    assumption: str | None = None,
    trend_months: int = 12,
    policy: Policy | None = None,
    skills: Skills | None = None,
    rates: RateTable | Mapping[str, Decimal | int | str] | None = None,
) -> Projection:
    """Project the first future month a competency would be met (a forward view).

    ``earliest_qualification`` looks back at the data; this looks forward. The months after
    the ledger's last data month get hypothetical records: by default each usage line's
    straight-line trend (see ``trend_projection``), or the records your ``projection``
    returns. Then ``as_of`` days after ``as_of`` (firsts of months, up to ``horizon`` months)
    are evaluated on the data plus those records. The answer is a projection that holds
    only under its ``assumption``, which it states.

    Args:
        ledger: the facts as they are.
        partner_id: the partner.
        competency: the competency, or its catalog name.
        as_of: the day to project from.
        horizon: how many months after ``as_of`` are scanned.
        projection: your projection, ``(ledger, first month, last month) -> records`` (for
            example a growth rate you expect, or a deal you expect to sign); default: the
            trend of each usage line.
        assumption: your projection's assumption in words (required with ``projection``).
        trend_months: the data months the default trend is fitted on.
        policy: see ``evaluate_competency``.
        skills: the skills (the same for every month).
        rates: see ``evaluate_competency``.

    Returns:
        The first projected ``as_of`` at which the competency would be met (or none by the
        horizon), with the assumption; ``already_met`` when it is met today.

    Raises:
        ValueError: ``horizon`` is below 1, or ``projection`` is given without ``assumption``.
    """
    if horizon < 1:
        msg = f"horizon: {horizon} is below 1 month"
        raise ValueError(msg)
    if projection is not None and not assumption:
        msg = "assumption: say in words what your projection assumes (it is shown with the result)"
        raise ValueError(msg)
    # imported here: the evaluator re-exports this module's names, so it imports this one first
    from partner_of_record.evaluation.evaluator import (
        earliest_qualification,
        evaluate_competency,
        resolve_competency,
    )

    comp = resolve_competency(competency)
    table = as_rate_table(rates)
    today = evaluate_competency(
        ledger, partner_id, comp, as_of=as_of, policy=policy, skills=skills, rates=table,
        evidence=False,
    )  # fmt: skip
    start = add_months(as_of.replace(day=1), 1)
    end = add_months(as_of.replace(day=1), horizon)
    if today.met:
        return Projection(comp.name, partner_id, as_of, None, today, end, "", already_met=True)
    span = ledger.months
    first = add_months(span[1], 1) if span else as_of.replace(day=1)
    last = add_months(end, -1)  # the measurement month of the last as_of scanned
    if projection is None:
        records = trend_projection(ledger, first, last, months=trend_months)
        stated = TREND_ASSUMPTION.format(months=trend_months)
    else:
        records = tuple(projection(ledger, first, last))
        stated = str(assumption)
    projected = ledger.add(*records) if records else ledger
    found = earliest_qualification(
        projected, partner_id, comp, start=start, end=end, policy=policy, skills=skills,
        rates=table,
    )  # fmt: skip
    return Projection(comp.name, partner_id, as_of, found.as_of, found.evaluation, end, stated)
