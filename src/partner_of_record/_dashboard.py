"""The partner dashboard: one self-contained HTML page per partner.

Exposed as [`report.dashboard`][partner_of_record.report.dashboard]; private so that the
report module stays the one public entry point. The page has no external resource at all
(inline CSS, charts drawn by matplotlib as SVG and inlined, a few lines of inline script to
sort the tables), so it opens from an e-mail attachment or a shared drive, prints, and reads
on a phone. Every chart is followed by a table with the same figures (its text alternative).

Figures carry their exact value in a ``data-value`` attribute (``<data value=...>`` for the
headline figures), so tests and scripts read the numbers the library computed, not the
formatted text.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import attrs

from partner_of_record.evaluation import (
    Competency,
    RateTable,
    Skills,
    add_months,
    earliest_qualification,
)
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, PartnerId, month_start

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Credits, Policy
    from partner_of_record.incentives import Earnings, IncentiveProgram
    from partner_of_record.opportunities import CreditProgram, Unclaimed
    from partner_of_record.report import HistoryPoint, MonthlyCredit, Position

__all__ = ["SECTIONS", "DashboardData", "dashboard", "dashboard_data"]

SECTIONS: tuple[tuple[str, str], ...] = (
    ("headline", "Headline figures"),
    ("monthly", "Credited consumption per month"),
    ("customers", "Customers and subscriptions"),
    ("unclaimed", "Unclaimed consumption and the actions that claim it"),
    ("catalog", "Position against the catalog"),
    ("about", "About this data"),
)
"""The page's sections, in order: ``(id, heading)``; each is a ``<section id=...>`` with an
``<h2>``."""

_ZERO = Decimal(0)
_CENT = Decimal("0.01")

KIND_COLOURS: Mapping[AssociationKind, str] = MappingProxyType(
    {
        AssociationKind.DPOR: "#0072B2",
        AssociationKind.PAL: "#E69F00",
        AssociationKind.CPOR: "#009E73",
        AssociationKind.CSP_TIER1: "#56B4E9",
        AssociationKind.CSP_TIER2: "#CC79A7",
        AssociationKind.TRANSACTING: "#D55E00",
        AssociationKind.DAP: "#B8A200",
        AssociationKind.GDAP: "#7F7F7F",
        AssociationKind.LIGHTHOUSE: "#332288",
    }
)
"""One colour per association kind (Okabe-Ito, readable by colour-blind readers)."""

_MIXED = ("#44AA99", "#882255", "#117733", "#AA4499", "#999933", "#88CCEE", "#661100")


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
    names = {c.id: c.name or c.id for c in ledger.customers}
    spans = []  # customer, subscription, workload, kind, from, to
    for a in in_period:
        sub = ledger.subscription(a.subscription_id)
        spans.append((names[sub.customer_id], sub.id, sub.workload.value, a.kind, a.start, a.end))
    spans.sort(key=lambda row: (row[0], row[1], row[3].value, row[4]))
    coverage = tuple(spans)
    per_sub = _by(mine.filter(start=start, end=end), ("subscription_id", "currency"))
    rows: list[tuple[str, str, str, str, str, Decimal]] = []
    for sid in sub_ids:
        sub = ledger.subscription(sid)
        found_currencies = [(c, a) for (s, c), a in per_sub.items() if s == sid] or [("", _ZERO)]
        rows.extend(
            (sub.customer_id, names[sub.customer_id], sid, sub.workload.value, c, a)
            for c, a in found_currencies
        )
    rows.sort(key=lambda r: (r[1], r[2], r[4]))
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
        subscriptions=tuple(rows),
        policy=_policy_name(policy),
        rules=f"{ledger.rules.name} (published {ledger.rules.published.isoformat()})",
        months_in_data=span,
        earnings=earnings,
    )


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


# --------------------------------------------------------------------------------------------
# charts (matplotlib, SVG)


def _figure_svg(fig: Any, prefix: str) -> str:
    """Render a matplotlib figure as inline SVG with ids made unique by ``prefix``."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = re.sub(
        r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', text
    )
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.DOTALL)
    # the inline SVG scales with the page; the viewBox keeps its proportions
    return re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r"<svg\1", text, count=1)


def _matplotlib() -> Any:
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as exc:
        from partner_of_record.report import PLOT_EXTRA_HINT

        msg = f"the dashboard's charts need matplotlib: {PLOT_EXTRA_HINT}"
        raise ImportError(msg) from exc
    return matplotlib, Figure


def _label_colours(labels: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    extra = iter(_MIXED * 4)
    for label in labels:
        single = [k for k in AssociationKind if k.value == label]
        out[label] = KIND_COLOURS[single[0]] if single else next(extra)
    return out


def _month_list(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], start
    while day < end:
        out.append(day)
        day = add_months(day, 1)
    return out


def _monthly_chart(data: DashboardData, currency: str, label_of: Any) -> str:
    matplotlib, figure = _matplotlib()
    from matplotlib.ticker import StrMethodFormatter

    months = _month_list(data.start, data.end)
    table = _monthly_table(data, currency, label_of)
    labels = table[0]
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "partner-of-record"}):
        fig = figure(figsize=(9, 4.2), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        xs = list(range(len(months)))
        bottom = [0.0] * len(months)
        colours = _label_colours(labels)
        for label in labels:
            heights = [float(table[1][m].get(label, _ZERO)) for m in months]
            ax.bar(xs, heights, bottom=bottom, width=0.7, color=colours[label], label=label)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        ax.set_ylabel(f"credited in the month ({currency})")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        handles, names = ax.get_legend_handles_labels()
        points = {p.month: p for p in data.history}
        if data.threshold_entry and points and currency == "USD":
            twin = ax.twinx()
            measured = [points[m].measured if m in points else None for m in months]
            ys = [float(v) if v is not None else math.nan for v in measured]
            (line,) = twin.plot(xs, ys, color="#222222", linewidth=2, marker="o", markersize=3)
            threshold = next(
                (p.threshold for p in reversed(data.history) if p.threshold is not None), None
            )
            handles.append(line)
            names.append(f"{data.threshold_entry}: trailing credited (right axis)")
            if threshold is not None:
                dash = twin.axhline(float(threshold), color="#C00000", linestyle="--")
                handles.append(dash)
                names.append(f"threshold {format_quantity(threshold, 'USD')}")
                top = max([float(threshold), *(y for y in ys if not math.isnan(y))]) * 1.1
                twin.set_ylim(0, top)
            twin.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
            twin.set_ylabel("trailing credited (US$)")
        ax.set_ylim(bottom=min(0.0, *bottom))
        step = max(1, len(months) // 6)
        ax.set_xticks(xs[::step], [f"{m:%Y-%m}" for m in months[::step]])
        ax.grid(visible=True, axis="y", alpha=0.3)
        fig.legend(handles, names, loc="outside lower center", ncol=3, fontsize="small")
        return _figure_svg(fig, f"monthly-{currency.lower()}")


def _coverage_chart(data: DashboardData) -> str:
    matplotlib, figure = _matplotlib()
    rows: dict[tuple[str, str], list[tuple[AssociationKind, dt.date, dt.date | None]]] = {}
    for customer, sub, _workload, kind, lo, hi in data.coverage:
        rows.setdefault((customer, sub), []).append((kind, lo, hi))
    keys = list(rows)
    left, right = data.start.toordinal(), data.end.toordinal()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "partner-of-record"}):
        height = 1.2 + 0.42 * max(1, len(keys))
        fig = figure(figsize=(9, height), dpi=100, layout="constrained")
        ax = fig.add_subplot()
        seen: set[AssociationKind] = set()
        for y, key in enumerate(keys):
            kinds = sorted({k for k, _, _ in rows[key]}, key=lambda k: k.value)
            band = 0.8 / len(kinds)
            for kind, lo, hi in rows[key]:
                x0 = max(left, lo.toordinal())
                x1 = min(right, (hi or data.end).toordinal())
                lane = y - 0.4 + band * kinds.index(kind)
                ax.broken_barh(
                    [(x0, x1 - x0)],
                    (lane, band * 0.9),
                    color=KIND_COLOURS[kind],
                    label=None if kind in seen else kind.name,
                )
                seen.add(kind)
        ax.set_yticks(range(len(keys)), [f"{c[:22]} · {s[:8]}" for c, s in keys], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(left, right)
        months = _month_list(data.start, data.end)
        step = max(1, len(months) // 6)
        ax.set_xticks(
            [m.toordinal() for m in months[::step]], [f"{m:%Y-%m}" for m in months[::step]]
        )
        ax.grid(visible=True, axis="x", alpha=0.3)
        fig.legend(loc="outside lower center", ncol=5, fontsize="small")
        return _figure_svg(fig, "coverage")


# --------------------------------------------------------------------------------------------
# HTML


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(amount: Decimal, currency: str) -> str:
    if currency == "USD":
        return format_quantity(amount, "USD")
    from partner_of_record._text import money

    return f"{money(amount, currency)} {currency}".strip()


def _num(value: Decimal | int | None) -> str:
    return "" if value is None else str(value)


def _cell(text: str, value: object = None) -> str:
    attr = "" if value is None else f' data-value="{_esc(value)}"'
    return f"<td{attr}>{_esc(text)}</td>"


def _long(text: str) -> str:
    """A cell of running text, kept readable (not squeezed) on a narrow screen."""
    return f'<td><div class="long">{_esc(text)}</div></td>'


_NUMERIC = ' data-type="number"'


def _table(
    table_id: str, caption: str, header: Sequence[tuple[str, bool]], rows: Iterable[str]
) -> str:
    """A sortable table: ``header`` is ``(label, numeric)`` pairs; rows are ``<tr>`` strings."""
    heads = "".join(
        f'<th scope="col"{_NUMERIC if numeric else ""}>'
        f'<button type="button">{_esc(label)}</button></th>'
        for label, numeric in header
    )
    body = "".join(rows) or (f'<tr><td colspan="{len(header)}">None.</td></tr>')
    return (
        f'<div class="scroll"><table id="{table_id}" class="sortable">'
        f"<caption>{_esc(caption)}</caption><thead><tr>{heads}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def _monthly_table(
    data: DashboardData, currency: str, label_of: Any
) -> tuple[list[str], dict[dt.date, dict[str, Decimal]]]:
    per_month: dict[dt.date, dict[str, Decimal]] = {
        m: {} for m in _month_list(data.start, data.end)
    }
    labels: dict[str, None] = {}
    for r in data.monthly:
        if r.currency != currency:
            continue
        label = label_of(r.kinds)
        labels.setdefault(label, None)
        cell = per_month.setdefault(r.month, {})
        cell[label] = cell.get(label, _ZERO) + r.amount
    return sorted(labels), per_month


def _figures(pairs: Mapping[str, Decimal], figure_id: str) -> str:
    if not pairs:
        return f'<data id="{figure_id}" value="0">none</data>'
    return "<br>".join(
        f'<data id="{figure_id}{"" if i == 0 else "-" + c.lower()}" data-currency="{_esc(c)}" '
        f'value="{_esc(a)}">{_esc(_money(a, c))}</data>'
        for i, (c, a) in enumerate(sorted(pairs.items()))
    )


def _change(now: Mapping[str, Decimal], before: Mapping[str, Decimal]) -> str:
    parts: list[str] = []
    for currency in sorted(set(now) | set(before)):
        a, b = now.get(currency, _ZERO), before.get(currency, _ZERO)
        delta = a - b
        sign = "+" if delta >= 0 else "-"
        pct = ""
        if b:
            ratio = (delta * 100 / b).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
            pct = f" ({'+' if ratio >= 0 else ''}{ratio} %)"
        parts.append(
            f'<data id="fig-change{"" if not parts else "-" + currency.lower()}" '
            f'value="{_esc(delta)}">{sign}{_esc(_money(abs(delta), currency))}{pct}</data>'
        )
    return "<br>".join(parts) or '<data id="fig-change" value="0">no credits</data>'


_CSS = """
:root{--ink:#1b1b1b;--muted:#555;--line:#d0d0d0;--bg:#fff;--accent:#0a4f8a;--ok:#1b6e2d;--no:#a0181c}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
color:var(--ink);background:var(--bg)}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 16px}
header{padding-top:16px;border-bottom:3px solid var(--accent)}
h1{font-size:1.6rem;margin:.3em 0}
h2{font-size:1.3rem;margin:1.6em 0 .5em;color:var(--accent)}
h3{font-size:1.05rem;margin:1.2em 0 .4em}
p{margin:.4em 0}
.muted{color:var(--muted)}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin:0}
.figures div{border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.figures dt{font-size:.9rem;color:var(--muted)}
.figures dd{margin:.2em 0 0;font-size:1.35rem;font-weight:600;overflow-wrap:anywhere}
figure{margin:0 0 1em}
figure svg{display:block;width:100%;height:auto;max-width:100%}
figcaption{font-size:.9rem;color:var(--muted)}
.scroll{overflow-x:auto;max-width:100%;margin:.4em 0 1em}
table{border-collapse:collapse;width:100%;font-size:.92rem}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}
td[data-value]{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;
color:inherit;text-align:left}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
.nowrap{white-space:nowrap}
.long{min-width:16em}
.met{color:var(--ok);font-weight:600}.unmet{color:var(--no);font-weight:600}
.id{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
dl.about{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
dl.about dt{font-weight:600}dl.about dd{margin:0;overflow-wrap:anywhere}
footer{margin-top:2em;padding-bottom:2em;font-size:.85rem;color:var(--muted)}
@media (max-width:640px){body{font-size:15px}h1{font-size:1.3rem}
dl.about{grid-template-columns:1fr}td,th{padding:5px 6px}}
@media print{body{font-size:11pt}header{border-bottom:1px solid #000}
section{break-inside:auto}figure,tr,.figures div{break-inside:avoid}
th button{pointer-events:none}.scroll{overflow:visible}a{color:inherit}
table{font-size:8pt}th,td{padding:3px 4px}td[data-value]{white-space:normal}
.long{min-width:0}}
"""

_SCRIPT = """
document.querySelectorAll("table.sortable th button").forEach(function (b) {
  b.addEventListener("click", function () {
    var th = b.parentNode, t = th.closest("table"), body = t.tBodies[0];
    var i = Array.prototype.indexOf.call(th.parentNode.children, th);
    var up = th.getAttribute("aria-sort") !== "ascending", num = th.dataset.type === "number";
    t.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    var key = function (r) {
      var c = r.cells[i];
      return c ? (c.dataset.value || c.textContent) : "";
    };
    Array.from(body.rows).sort(function (x, y) {
      var a = key(x), c = key(y);
      var r = num ? (parseFloat(a) || 0) - (parseFloat(c) || 0) : a.localeCompare(c);
      return up ? r : -r;
    }).forEach(function (r) { body.appendChild(r); });
  });
});
"""


def _section(section_id: str, body: str) -> str:
    heading = dict(SECTIONS)[section_id]
    return (
        f'<section id="{section_id}" aria-labelledby="h-{section_id}">'
        f'<h2 id="h-{section_id}">{_esc(heading)}</h2>{body}</section>'
    )


def render(data: DashboardData) -> str:
    """Render the figures as the HTML page (see ``dashboard``)."""
    from partner_of_record import __version__
    from partner_of_record.report import kinds_label

    period = f"{data.start:%Y-%m} to {add_months(data.end, -1):%Y-%m}"
    previous = (
        f"{add_months(data.start, -(_months(data))):%Y-%m} to {add_months(data.start, -1):%Y-%m}"
    )
    title = f"Partner dashboard: {data.partner_name or data.partner_id}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_esc(title)}</h1>",
        f'<p>Partner ID <span class="id">{_esc(data.partner_id)}</span>, as of '
        f'<time id="as-of" datetime="{data.as_of.isoformat()}">{data.as_of.isoformat()}</time>'
        f", period {period}.</p></header><main>",
    ]
    # headline
    parts.append(
        _section(
            "headline",
            '<dl class="figures">'
            f"<div><dt>Credited consumption, {period}</dt>"
            f"<dd>{_figures(data.credited, 'fig-credited')}</dd></div>"
            f"<div><dt>Change on the year before ({previous})</dt>"
            f"<dd>{_change(data.credited, data.credited_last_year)}</dd></div>"
            f"<div><dt>Its customers' consumption credited to nobody, {period}</dt>"
            f"<dd>{_figures(data.unattributed, 'fig-unattributed')}</dd></div>"
            f"<div><dt>Unclaimed consumption it could claim, {period}</dt>"
            f"<dd>{_figures(data.unclaimed.totals(), 'fig-unclaimed')}</dd></div>"
            "</dl>",
        )
    )
    # monthly
    currencies = sorted({r.currency for r in data.monthly}) or ["USD"]
    monthly_parts = []
    for currency in currencies:
        labels, per_month = _monthly_table(data, currency, kinds_label)
        points = {h.month: h for h in data.history}
        chart = _monthly_chart(data, currency, kinds_label)
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
            f'<div role="img" aria-label="{_esc(caption)}; the figures are in the table below">'
            f"{chart}</div>"
            f'<figcaption id="cap-monthly-{currency.lower()}">{_esc(caption)}.</figcaption>'
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
                _cell(_money(cell[lab], currency) if lab in cell else "", cell.get(lab, _ZERO))
                for lab in labels
            )
            cells.append(_cell(_money(total, currency), total))
            if with_line:
                point = points.get(month)
                value = point.measured if point is not None else None
                cells.append(
                    _cell(format_quantity(value, "USD") if value is not None else "", value)
                )
            rows.append(f'<tr data-month="{month:%Y-%m}">{"".join(cells)}</tr>')
        monthly_parts.append(
            _table(
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
                f'<p>Threshold of {_esc(data.threshold_entry)}: <data id="fig-threshold" '
                f'value="{_esc(threshold)}">{_esc(format_quantity(threshold, "USD"))}</data>.</p>'
            )
    parts.append(_section("monthly", "".join(monthly_parts)))
    # customers
    sub_rows = [
        "<tr>"
        + _cell(name)
        + f'<td class="id">{_esc(sid)}</td>'
        + _cell(workload)
        + _cell(_money(amount, currency) if currency else "none", amount)
        + "</tr>"
        for _cid, name, sid, workload, currency, amount in data.subscriptions
    ]
    cov_rows = [
        "<tr>"
        + _cell(customer)
        + f'<td class="id">{_esc(sid)}</td>'
        + _cell(kind.name)
        + _cell(lo.isoformat())
        + _cell(hi.isoformat() if hi else "open")
        + "</tr>"
        for customer, sid, _w, kind, lo, hi in data.coverage
    ]
    coverage_caption = (
        f"Which association kinds the partner holds on each subscription, and from when, {period}"
    )
    customers_body = _table(
        "table-subscriptions",
        f"Subscriptions the partner is associated with, credited consumption {period}",
        [("customer", False), ("subscription", False), ("workload", False), ("credited", True)],
        sub_rows,
    )
    if data.coverage:
        customers_body += (
            "<h3>Association coverage over time</h3>"
            '<figure aria-labelledby="cap-coverage">'
            f'<div role="img" aria-label="{_esc(coverage_caption)}; the dates are in the table '
            f'below">{_coverage_chart(data)}</div>'
            f'<figcaption id="cap-coverage">{_esc(coverage_caption)}.</figcaption></figure>'
        )
    customers_body += _table(
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
    parts.append(_section("customers", customers_body))
    # unclaimed
    u = data.unclaimed
    un_rows = []
    for rank, o in enumerate(u.opportunities, 1):
        money = sum((a for _, a in o.amounts), _ZERO)
        effect = "; ".join(o.changes()) or "no entry changes"
        un_rows.append(
            f'<tr data-subscription="{_esc(o.subscription_id)}">'
            + _cell(str(rank), rank)
            + _long(o.action)
            + _cell(o.workload.value)
            + _cell("+".join(k.name for k in o.working))
            + _cell(", ".join(_money(a, c) for c, a in o.amounts) or "-", money)
            + _cell(f"{o.seats:,}", o.seats)
            + _long(effect)
            + "</tr>"
        )
    unclaimed_body = (
        f"<p>Subscriptions where the partner has a working relationship but not the association "
        f"the program credits ({_esc(u.program)}, rules {_esc(u.rules)}), best effect first. "
        "Effects are what the catalog evaluation would have been with the association in place "
        "over the uncredited days; credit is not retroactive.</p>"
        + _table(
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
            f"{_esc('; '.join(changed) or 'no catalog entry changes')}.</p>"
        )
    if u.blocked:
        items = "".join(
            f'<li><span class="id">{_esc(b.subscription_id)}</span> ({_esc(b.workload.value)}): '
            f"{_esc('; '.join(b.reasons))}</li>"
            for b in u.blocked
        )
        unclaimed_body += f"<h3>Blocked by the rules</h3><ul>{items}</ul>"
    parts.append(_section("unclaimed", unclaimed_body))
    # catalog
    cat_rows = []
    for p in data.positions:
        first = data.earliest.get(p.competency)
        verdict = '<td class="met">met</td>' if p.met else '<td class="unmet">not met</td>'
        cat_rows.append(
            f'<tr data-competency="{_esc(p.competency)}">'
            + f'<td>{_esc(p.title)}<br><span class="id">{_esc(p.competency)}</span></td>'
            + verdict
            + _cell(_num(p.score) if p.score is not None else "-", p.score)
            + _cell(f"{min(p.progress, Decimal('9.99')) * 100:.0f} %", p.progress)
            + _long(p.shortfall or "-")
            + _cell(first.isoformat() if first else "not in the data")
            + "</tr>"
        )
    catalog_body = _table(
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
    parts.append(_section("catalog", catalog_body))
    # about
    data_months = (
        f"{data.months_in_data[0]:%Y-%m} to {data.months_in_data[1]:%Y-%m}"
        if data.months_in_data
        else "no usage"
    )
    parts.append(
        _section(
            "about",
            '<dl class="about">'
            f"<dt>As of</dt><dd>{data.as_of.isoformat()} (evaluations measure the month before)"
            f"</dd><dt>Period</dt><dd>{period}</dd>"
            f"<dt>Usage months in the data</dt><dd>{data_months}</dd>"
            f'<dt>Credit policy</dt><dd id="policy">{_esc(data.policy)}</dd>'
            f"<dt>Rule set</dt><dd>{_esc(data.rules)}</dd>"
            f"<dt>Unclaimed: program</dt><dd>{_esc(u.program)} ({_esc(u.rules)})</dd>"
            "</dl>",
        )
    )
    parts.append(
        "</main><footer>Made by partner_of_record "
        f"{_esc(__version__)}. Fictional or customer data as loaded; amounts exact to the "
        "cent.</footer>"
    )
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


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
            f'<tr data-program="{_esc(e.program)}">'
            + f'<td>{_esc(e.title)}<br><span class="id">{_esc(e.program)}</span></td>'
            + _cell(_money(e.credited, e.currency), e.credited)
            + _cell(_money(e.eligible, e.currency), e.eligible)
            + _cell(_money(ineligible, e.currency), ineligible)
            + _cell(_money(e.earned, e.currency), e.earned)
            + _cell(_money(e.paid, e.currency), e.paid)
            + _cell(_money(e.carried_forward, e.currency), e.carried_forward)
            + "</tr>"
        )
    period = f"{data.start:%Y-%m} to {add_months(data.end, -1):%Y-%m}"
    return _table(
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
    _matplotlib()
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
