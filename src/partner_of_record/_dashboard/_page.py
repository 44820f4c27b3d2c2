"""The dashboard page: ``render`` lays the sections out, ``dashboard`` computes and renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from partner_of_record._dashboard._charts import coverage_chart, monthly_chart, require_matplotlib
from partner_of_record._dashboard._data import DashboardData, dashboard_data, monthly_table
from partner_of_record._dashboard._html import (
    PAGE_CSS,
    PAGE_SCRIPT,
    cell_html,
    change_html,
    esc,
    figures_html,
    long_html,
    money_text,
    num_text,
    section_html,
    table_html,
)
from partner_of_record.evaluation import Competency, RateTable, Skills, add_months
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Policy
    from partner_of_record.incentives import IncentiveProgram
    from partner_of_record.opportunities import CreditProgram

_ZERO = Decimal(0)


def render(data: DashboardData) -> str:
    """Render the figures as the HTML page (see ``dashboard``)."""
    from partner_of_record import __version__

    period = f"{data.start:%Y-%m} to {add_months(data.end, -1):%Y-%m}"
    previous = (
        f"{add_months(data.start, -(_months(data))):%Y-%m} to {add_months(data.start, -1):%Y-%m}"
    )
    title = f"Partner dashboard: {data.partner_name or data.partner_id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{PAGE_CSS}</style></head><body>",
        f"<header><h1>{esc(title)}</h1>",
        f'<p>Partner ID <span class="id">{esc(data.partner_id)}</span>, as of '
        f'<time id="as-of" datetime="{data.as_of.isoformat()}">{data.as_of.isoformat()}</time>'
        f", period {period}.</p></header><main>",
    ]
    parts.append(section_html("headline", _headline(data, period, previous)))
    parts.append(section_html("monthly", _monthly(data)))
    parts.append(section_html("customers", _customers(data, period)))
    parts.append(section_html("unclaimed", _unclaimed(data)))
    parts.append(section_html("catalog", _catalog(data)))
    parts.append(section_html("about", _about(data, period)))
    parts.append(
        "</main><footer>Made by partner_of_record "
        f"{esc(__version__)}. Fictional or customer data as loaded; amounts exact to the "
        "cent.</footer>"
    )
    parts.append(f"<script>{PAGE_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _headline(data: DashboardData, period: str, previous: str) -> str:
    """The headline figures: credited, change on the year before, credited to nobody, unclaimed."""
    return (
        '<dl class="figures">'
        f"<div><dt>Credited consumption, {period}</dt>"
        f"<dd>{figures_html(data.credited, 'fig-credited')}</dd></div>"
        f"<div><dt>Change on the year before ({previous})</dt>"
        f"<dd>{change_html(data.credited, data.credited_last_year)}</dd></div>"
        f"<div><dt>Its customers' consumption credited to nobody, {period}</dt>"
        f"<dd>{figures_html(data.unattributed, 'fig-unattributed')}</dd></div>"
        f"<div><dt>Unclaimed consumption it could claim, {period}</dt>"
        f"<dd>{figures_html(data.unclaimed.totals(), 'fig-unclaimed')}</dd></div>"
        "</dl>"
    )


def _monthly(data: DashboardData) -> str:
    """Per currency: the monthly chart, its table and the threshold of the nearest entry."""
    from partner_of_record.report import kinds_label

    currencies = sorted({r.currency for r in data.monthly}) or ["USD"]
    monthly_parts = []
    for currency in currencies:
        labels, per_month = monthly_table(data, currency, kinds_label)
        points = {h.month: h for h in data.history}
        chart = monthly_chart(data, currency, kinds_label)
        caption = (
            f"Credited consumption per month in {currency}, stacked by the association kinds "
            "that earned it"
        )
        if data.threshold_entry and currency == "USD":
            caption += (
                f"; the line is {data.threshold_entry}'s trailing credited consumption against "
                "its threshold (dashed)"
            )
        monthly_parts.append(
            f'<figure aria-labelledby="cap-monthly-{currency.lower()}">'
            f'<div role="img" aria-label="{esc(caption)}; the figures are in the table below">'
            f"{chart}</div>"
            f'<figcaption id="cap-monthly-{currency.lower()}">{esc(caption)}.</figcaption>'
            "</figure>"
        )
        header = [
            ("month", False),
            *((lab.replace("+", "+\u200b"), True) for lab in labels),
            ("total", True),
        ]
        with_line = bool(data.threshold_entry and points and currency == "USD")
        if with_line:
            header.append((f"{data.threshold_entry} trailing", True))
        rows = []
        for month, cell in per_month.items():
            total = sum(cell.values(), _ZERO)
            cells = [f'<td class="nowrap">{month:%Y-%m}</td>']
            cells.extend(
                cell_html(
                    money_text(cell[lab], currency) if lab in cell else "", cell.get(lab, _ZERO)
                )
                for lab in labels
            )
            cells.append(cell_html(money_text(total, currency), total))
            if with_line:
                point = points.get(month)
                value = point.measured if point is not None else None
                cells.append(
                    cell_html(format_quantity(value, "USD") if value is not None else "", value)
                )
            rows.append(f'<tr data-month="{month:%Y-%m}">{"".join(cells)}</tr>')
        monthly_parts.append(
            table_html(
                f"table-monthly-{currency.lower()}",
                f"Figures of the chart: credited consumption per month ({currency})",
                header,
                rows,
            )
        )
        if with_line:
            threshold = next(
                (h.threshold for h in reversed(data.history) if h.threshold is not None), None
            )
            monthly_parts.append(
                f'<p>Threshold of {esc(data.threshold_entry)}: <data id="fig-threshold" '
                f'value="{esc(threshold)}">{esc(format_quantity(threshold, "USD"))}</data>.</p>'
            )
    return "".join(monthly_parts)


def _customers(data: DashboardData, period: str) -> str:
    """The subscriptions, the association coverage chart and its table."""
    sub_rows = [
        "<tr>"
        + cell_html(name)
        + f'<td class="id">{esc(sid)}</td>'
        + cell_html(workload)
        + cell_html(money_text(amount, currency) if currency else "none", amount)
        + "</tr>"
        for _cid, name, sid, workload, currency, amount in data.subscriptions
    ]
    cov_rows = [
        "<tr>"
        + cell_html(customer)
        + f'<td class="id">{esc(sid)}</td>'
        + cell_html(kind.name)
        + cell_html(lo.isoformat())
        + cell_html(hi.isoformat() if hi else "open")
        + "</tr>"
        for customer, sid, _w, kind, lo, hi in data.coverage
    ]
    coverage_caption = (
        f"Which association kinds the partner holds on each subscription, and from when, {period}"
    )
    customers_body = table_html(
        "table-subscriptions",
        f"Subscriptions the partner is associated with, credited consumption {period}",
        [("customer", False), ("subscription", False), ("workload", False), ("credited", True)],
        sub_rows,
    )
    if data.coverage:
        customers_body += (
            "<h3>Association coverage over time</h3>"
            '<figure aria-labelledby="cap-coverage">'
            f'<div role="img" aria-label="{esc(coverage_caption)}; the dates are in the table '
            f'below">{coverage_chart(data)}</div>'
            f'<figcaption id="cap-coverage">{esc(coverage_caption)}.</figcaption></figure>'
        )
    customers_body += table_html(
        "table-coverage",
        "Figures of the chart: associations and their dates",
        [
            ("customer", False),
            ("subscription", False),
            ("kind", False),
            ("from", False),
            ("to", False),
        ],
        cov_rows,
    )
    return customers_body


def _unclaimed(data: DashboardData) -> str:
    """The unclaimed consumption, the actions that claim it, and the blocked subscriptions."""
    u = data.unclaimed
    un_rows = []
    for rank, o in enumerate(u.opportunities, 1):
        money = sum((a for _, a in o.amounts), _ZERO)
        effect = "; ".join(o.changes()) or "no entry changes"
        un_rows.append(
            f'<tr data-subscription="{esc(o.subscription_id)}">'
            + cell_html(str(rank), rank)
            + long_html(o.action)
            + cell_html(o.workload.value)
            + cell_html("+".join(k.name for k in o.working))
            + cell_html(", ".join(money_text(a, c) for c, a in o.amounts) or "-", money)
            + cell_html(f"{o.seats:,}", o.seats)
            + long_html(effect)
            + "</tr>"
        )
    unclaimed_body = (
        f"<p>Subscriptions where the partner has a working relationship but not the association "
        f"the program credits ({esc(u.program)}, rules {esc(u.rules)}), best effect first. "
        "Effects are what the catalog evaluation would have been with the association in place "
        "over the uncredited days; credit is not retroactive.</p>"
        + table_html(
            "table-unclaimed",
            "Unclaimed consumption and the actions that claim it",
            [
                ("rank", True),
                ("action", False),
                ("workload", False),
                ("relationship", False),
                ("consumption", True),
                ("paid seats", True),
                ("effect", False),
            ],
            un_rows,
        )
    )
    if u.combined and u.opportunities:
        changed = u.combined_changes()
        unclaimed_body += (
            f"<p>All {len(u.opportunities)} actions together: "
            f"{esc('; '.join(changed) or 'no catalog entry changes')}.</p>"
        )
    if u.blocked:
        items = "".join(
            f'<li><span class="id">{esc(b.subscription_id)}</span> ({esc(b.workload.value)}): '
            f"{esc('; '.join(b.reasons))}</li>"
            for b in u.blocked
        )
        unclaimed_body += f"<h3>Blocked by the rules</h3><ul>{items}</ul>"
    return unclaimed_body


def _catalog(data: DashboardData) -> str:
    """Every catalog entry's position, then the incentive earnings."""
    cat_rows = []
    for p in data.positions:
        first = data.earliest.get(p.competency)
        verdict = '<td class="met">met</td>' if p.met else '<td class="unmet">not met</td>'
        cat_rows.append(
            f'<tr data-competency="{esc(p.competency)}">'
            + f'<td>{esc(p.title)}<br><span class="id">{esc(p.competency)}</span></td>'
            + verdict
            + cell_html(num_text(p.score) if p.score is not None else "-", p.score)
            + cell_html(f"{min(p.progress, Decimal('9.99')) * 100:.0f} %", p.progress)
            + long_html(p.shortfall or "-")
            + cell_html(first.isoformat() if first else "not in the data")
            + "</tr>"
        )
    catalog_body = table_html(
        "table-catalog",
        f"Every catalog entry as of {data.as_of.isoformat()}",
        [
            ("entry", False),
            ("met", False),
            ("score", True),
            ("progress", True),
            ("top shortfall", False),
            ("first met", False),
        ],
        cat_rows,
    )
    catalog_body += "<h3>Incentive earnings</h3>" + _earnings_table(data)
    return catalog_body


def _about(data: DashboardData, period: str) -> str:
    """As of, period, usage months, policy, rules and program."""
    data_months = (
        f"{data.months_in_data[0]:%Y-%m} to {data.months_in_data[1]:%Y-%m}"
        if data.months_in_data
        else "no usage"
    )
    return (
        '<dl class="about">'
        f"<dt>As of</dt><dd>{data.as_of.isoformat()} (evaluations measure the month before)"
        f"</dd><dt>Period</dt><dd>{period}</dd>"
        f"<dt>Usage months in the data</dt><dd>{data_months}</dd>"
        f'<dt>Credit policy</dt><dd id="policy">{esc(data.policy)}</dd>'
        f"<dt>Rule set</dt><dd>{esc(data.rules)}</dd>"
        f"<dt>Unclaimed: program</dt><dd>{esc(data.unclaimed.program)} "
        f"({esc(data.unclaimed.rules)})</dd>"
        "</dl>"
    )


def _earnings_table(data: DashboardData) -> str:
    if not data.earnings:
        return (
            "<p>No incentive program given (pass <code>programs=</code>, or "
            "<code>--incentive NAME</code> on the command line).</p>"
        )
    rows = []
    for e in data.earnings:
        ineligible = sum((i.amount for i in e.ineligible), _ZERO)
        rows.append(
            f'<tr data-program="{esc(e.program)}">'
            + f'<td>{esc(e.title)}<br><span class="id">{esc(e.program)}</span></td>'
            + cell_html(money_text(e.credited, e.currency), e.credited)
            + cell_html(money_text(e.eligible, e.currency), e.eligible)
            + cell_html(money_text(ineligible, e.currency), ineligible)
            + cell_html(money_text(e.earned, e.currency), e.earned)
            + cell_html(money_text(e.paid, e.currency), e.paid)
            + cell_html(money_text(e.carried_forward, e.currency), e.carried_forward)
            + "</tr>"
        )
    period = f"{data.start:%Y-%m} to {add_months(data.end, -1):%Y-%m}"
    return table_html(
        "table-earnings",
        f"Incentive earnings, {period}",
        [
            ("program", False),
            ("credited", True),
            ("eligible", True),
            ("ineligible", True),
            ("earned", True),
            ("paid", True),
            ("carried forward", True),
        ],
        rows,
    )


def _months(data: DashboardData) -> int:
    return (data.end.year - data.start.year) * 12 + data.end.month - data.start.month


def dashboard(
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
) -> str:
    """Return a partner's dashboard: one self-contained HTML page.

    Sections: headline figures (credited consumption in the period, change on the year
    before, its customers' consumption credited to nobody, unclaimed consumption); credited
    consumption per month stacked by association kind, against the threshold of the nearest
    consumption-based catalog entry; customers and subscriptions with the association
    coverage over time; the unclaimed consumption and the actions that claim it (see
    [`unclaimed`][partner_of_record.opportunities.unclaimed]); every catalog entry's
    position (met, score, progress, top shortfall, first met) and, when ``programs`` are
    given, the incentive earnings over the period; the as-of date, the policy and the rules
    used. Charts are drawn by matplotlib (the ``plot`` extra) as inline SVG and
    each is followed by a table of its figures. No external resource is referenced.

    Args:
        ledger: the facts.
        partner_id: the partner.
        as_of: the day of the evaluations (default: the month after the last usage month);
            the period is the ``months`` full months before it.
        months: the length of the period, in months.
        policy: the attribution policy (default: every association kind, in full).
        skills: the partner's skills, for the catalog evaluations.
        rates: US dollar rates for credits in other currencies.
        catalog: the catalog entries (default: the whole catalog).
        program: the crediting program of the unclaimed section (default:
            ``SOLUTIONS_PARTNER_2023``).
        programs: incentive programs (``partner_of_record.incentives``, or built-in names such
            as ``"PARTNER_EARNED_CREDIT"``) whose earnings over the period are shown, and whose
            change each unclaimed action's effect includes.

    Returns:
        The HTML text.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        ImportError: matplotlib is not installed (the message names the ``plot`` extra).
        ValueError: ``months`` is below 1.
        UnknownProgramError: a program name is not a built-in incentive program.
    """
    require_matplotlib()
    data = dashboard_data(
        ledger,
        partner_id,
        as_of=as_of,
        months=months,
        policy=policy,
        skills=skills,
        rates=rates,
        catalog=catalog,
        program=program,
        programs=programs,
    )
    return render(data)
