"""The dashboard's figures: ``DashboardData`` computed with the library's public functions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.evaluation import (
    Competency,
    RateTable,
    Skills,
    add_months,
    earliest_qualification,
)
from partner_of_record.ledger import Ledger
from partner_of_record.model import (
    Association,
    AssociationKind,
    PartnerId,
    SubscriptionId,
    month_start,
)

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Credits, Policy
    from partner_of_record.incentives import Earnings, IncentiveProgram
    from partner_of_record.opportunities import CreditProgram, Unclaimed
    from partner_of_record.report import HistoryPoint, MonthlyCredit, Position

_ZERO = Decimal(0)


@attrs.frozen
class DashboardData:
    """Every figure the dashboard shows, computed with the library's public functions.

    Attributes:
        partner_id: the partner.
        partner_name: its display name.
        as_of: the day of the evaluations; the period ends at the first of its month.
        start: the first month of the period.
        end: the first month after it.
        credited: credited consumption in the period, per currency.
        credited_last_year: credited consumption in the period of the same length just before
            ``start``, per currency.
        unattributed: consumption of the partner's customers credited to nobody in the
            period, per currency.
        monthly: the partner's credits per month, customer, workload and kinds.
        positions: the position against every catalog entry.
        earliest: entry name -> the first ``as_of`` at which it is met in the data, or ``None``.
        threshold_entry: the entry whose trailing consumption the monthly chart draws against
            its threshold, or ``None`` when no entry has a consumption threshold.
        history: that entry's history over the period.
        unclaimed: the unclaimed consumption and actions.
        coverage: ``(customer name, subscription id, workload, kind, from, to)`` of the
            partner's associations that overlap the period (``to`` ``None`` when open).
        subscriptions: ``(customer id, customer name, subscription id, workload, currency,
            credited)`` per subscription the partner holds an association on in the period.
        policy: the attribution policy's name.
        rules: the ledger's rule set name.
        months_in_data: the first and last usage months of the ledger.
        earnings: the earnings of each incentive program given, over the period.
    """

    partner_id: PartnerId
    partner_name: str
    as_of: dt.date
    start: dt.date
    end: dt.date
    credited: Mapping[str, Decimal]
    credited_last_year: Mapping[str, Decimal]
    unattributed: Mapping[str, Decimal]
    monthly: tuple[MonthlyCredit, ...]
    positions: tuple[Position, ...]
    earliest: Mapping[str, dt.date | None]
    threshold_entry: str | None
    history: tuple[HistoryPoint, ...]
    unclaimed: Unclaimed
    coverage: tuple[tuple[str, str, str, AssociationKind, dt.date, dt.date | None], ...]
    subscriptions: tuple[tuple[str, str, str, str, str, Decimal], ...]
    policy: str
    rules: str
    months_in_data: tuple[dt.date, dt.date] | None
    earnings: tuple[Earnings, ...] = ()


def _per_currency(credits: Credits) -> dict[str, Decimal]:
    return {c: a for (c,), a in _by(credits, ("currency",)).items()}


def _by(credits: Credits, fields: tuple[str, ...]) -> dict[tuple[Any, ...], Decimal]:
    totals = credits.totals(by=fields)
    return {k if isinstance(k, tuple) else (k,): v for k, v in totals.items()}


def dashboard_data(
    ledger: Ledger,
    partner_id: PartnerId,
    *,
    as_of: dt.date | None = None,
    months: int = 12,
    policy: Policy | None = None,
    skills: Skills | None = None,
    rates: RateTable | None = None,
    catalog: Iterable[Competency] | None = None,
    program: CreditProgram | str | None = None,
    programs: Sequence[IncentiveProgram | str] | None = None,
) -> DashboardData:
    """Compute every figure of the dashboard (see ``dashboard`` for the arguments).

    Returns:
        The figures.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        ValueError: ``months`` is below 1.
        UnknownProgramError: a program name is not a built-in incentive program.
    """
    from partner_of_record.attribution import attribute
    from partner_of_record.opportunities import SOLUTIONS_PARTNER_2023, unclaimed
    from partner_of_record.report import catalog_position, headline, history, monthly_credits

    partner = ledger.partner(partner_id)
    if months < 1:
        msg = f"dashboard: months={months}: give at least 1"
        raise ValueError(msg)
    incentives = _incentive_programs(programs or ())
    span = ledger.months
    if as_of is None:
        as_of = add_months(span[1], 1) if span else dt.date.today().replace(day=1)
    end = month_start(as_of)
    start = add_months(end, -months)
    credits = attribute(ledger, policy)
    mine = credits.filter(partner_id=partner_id)
    credited = _per_currency(mine.filter(start=start, end=end))
    last_year = _per_currency(mine.filter(start=add_months(start, -months), end=start))

    links = [a for a in ledger.associations if a.partner_id == partner_id]
    in_period = [a for a in links if a.overlaps(start, end)]
    sub_ids = sorted({a.subscription_id for a in in_period})
    customer_ids = sorted({ledger.subscription(s).customer_id for s in sub_ids})
    theirs = credits.filter(customer_id=customer_ids, start=start, end=end)
    used = {
        u.currency
        for s in ledger.subscriptions
        if s.customer_id in customer_ids
        for u in ledger.usage_of(s.id)
    }
    unattributed = {c: theirs.unattributed_total(currency=c) for c in sorted(used)}
    unattributed = {c: a for c, a in unattributed.items() if a}

    monthly = monthly_credits(credits, partner_id, start=start, end=end)
    positions = catalog_position(
        ledger, partner_id, as_of, skills, catalog=catalog, rates=rates, policy=policy
    )
    first_scan = add_months(span[0], 1) if span else end
    earliest = {
        p.competency: earliest_qualification(
            ledger,
            partner_id,
            p.evaluation.competency,
            start=min(first_scan, end),
            end=as_of,
            skills=skills,
            rates=rates,
            policy=policy,
        ).as_of
        for p in positions
    }
    chosen = _threshold_entry(positions, headline)
    points: tuple[HistoryPoint, ...] = ()
    if chosen is not None:
        points = history(
            ledger,
            partner_id,
            chosen,
            start=add_months(start, 1),
            end=end,
            skills=skills,
            rates=rates,
            policy=policy,
        )
    found = unclaimed(
        ledger,
        partner_id,
        start=start,
        end=end,
        program=program or SOLUTIONS_PARTNER_2023,
        skills=skills,
        rates=rates,
        policy=policy,
        incentives=incentives,
    )
    earnings: tuple[Earnings, ...] = ()
    if incentives:
        from partner_of_record.incentives import evaluate_incentive

        earnings = tuple(
            evaluate_incentive(
                ledger,
                partner_id,
                incentive,
                start=start,
                end=end,
                policy=policy,
                rates=rates,
                skills=skills,
            )
            for incentive in incentives
        )
    coverage, rows = _coverage_and_subscriptions(
        ledger, in_period, sub_ids, mine.filter(start=start, end=end)
    )
    return DashboardData(
        partner_id=partner.id,
        partner_name=partner.name,
        as_of=as_of,
        start=start,
        end=end,
        credited=credited,
        credited_last_year=last_year,
        unattributed=dict(sorted(unattributed.items())),
        monthly=monthly,
        positions=positions,
        earliest=earliest,
        threshold_entry=chosen,
        history=points,
        unclaimed=found,
        coverage=coverage,
        subscriptions=rows,
        policy=_policy_name(policy),
        rules=f"{ledger.rules.name} (published {ledger.rules.published.isoformat()})",
        months_in_data=span,
        earnings=earnings,
    )


def _coverage_and_subscriptions(
    ledger: Ledger,
    in_period: Sequence[Association],
    sub_ids: Sequence[SubscriptionId],
    credited_in_period: Credits,
) -> tuple[
    tuple[tuple[str, str, str, AssociationKind, dt.date, dt.date | None], ...],
    tuple[tuple[str, str, str, str, str, Decimal], ...],
]:
    """The ``coverage`` and ``subscriptions`` rows of ``DashboardData``."""
    names = {c.id: c.name or c.id for c in ledger.customers}
    spans = []  # customer, subscription, workload, kind, from, to
    for a in in_period:
        sub = ledger.subscription(a.subscription_id)
        spans.append((names[sub.customer_id], sub.id, sub.workload.value, a.kind, a.start, a.end))
    spans.sort(key=lambda row: (row[0], row[1], row[3].value, row[4]))
    coverage = tuple(spans)
    per_sub = _by(credited_in_period, ("subscription_id", "currency"))
    rows: list[tuple[str, str, str, str, str, Decimal]] = []
    for sid in sub_ids:
        sub = ledger.subscription(sid)
        found_currencies = [(c, a) for (s, c), a in per_sub.items() if s == sid] or [("", _ZERO)]
        rows.extend(
            (sub.customer_id, names[sub.customer_id], sid, sub.workload.value, c, a)
            for c, a in found_currencies
        )
    rows.sort(key=lambda r: (r[1], r[2], r[4]))
    return coverage, tuple(rows)


def _incentive_programs(
    programs: Sequence[IncentiveProgram | str],
) -> tuple[IncentiveProgram, ...]:
    """The programs, names looked up among the built-ins (``"PARTNER_EARNED_CREDIT"``)."""
    if not programs:
        return ()
    from partner_of_record.incentives import get_program

    return tuple(get_program(p) if isinstance(p, str) else p for p in programs)


def _policy_name(policy: Policy | None) -> str:
    if policy is None:
        return "recognize_all: every partner with an association in effect, in full (default)"
    return str(getattr(policy, "name", type(policy).__name__))


def _threshold_entry(positions: Sequence[Position], headline: Any) -> str | None:
    """The consumption-threshold entry nearest to being met, else the highest one met."""
    usd = [(p, headline(p.evaluation)) for p in positions]
    usd = [(p, h) for p, h in usd if h.unit == "USD" and h.threshold]
    if not usd:
        return None
    unmet = [(p, h) for p, h in usd if not p.met]
    if unmet:
        return min(unmet, key=lambda ph: ph[1].threshold)[0].competency
    return max(usd, key=lambda ph: ph[1].threshold)[0].competency


def month_list(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months of ``[start, end)``."""
    out, day = [], start
    while day < end:
        out.append(day)
        day = add_months(day, 1)
    return out


def monthly_table(
    data: DashboardData, currency: str, label_of: Any
) -> tuple[list[str], dict[dt.date, dict[str, Decimal]]]:
    """The credits in ``currency`` per month and label (``label_of(kinds)``), and the labels."""
    per_month: dict[dt.date, dict[str, Decimal]] = {m: {} for m in month_list(data.start, data.end)}
    labels: dict[str, None] = {}
    for r in data.monthly:
        if r.currency != currency:
            continue
        label = label_of(r.kinds)
        labels.setdefault(label, None)
        cell = per_month.setdefault(r.month, {})
        cell[label] = cell.get(label, _ZERO) + r.amount
    return sorted(labels), per_month
