"""Partner reports: credited consumption per month, the position against the catalog, a plot.

These are the "dashboard" a partner looks at. The data-building functions are pure and return
frozen values (``Decimal`` money, never floats); the ``render_*`` functions turn them into plain
text with aligned columns; [`plot_history`][partner_of_record.report.plot_history] draws a PNG
with matplotlib (the ``plot`` extra, imported lazily, Agg renderer, no global ``pyplot`` state).

* [`monthly_credits`][partner_of_record.report.monthly_credits]: one row per month, customer,
  workload, association kinds and currency, from a ``Credits``.
* [`catalog_position`][partner_of_record.report.catalog_position]: one
  [`Position`][partner_of_record.report.Position] per catalog entry: met, score, how close, and
  the top shortfall ([`top_shortfall`][partner_of_record.report.top_shortfall]).
* [`history`][partner_of_record.report.history]: the competency evaluated at the first of
  every month, with the credited consumption of each month, for
  [`plot_history`][partner_of_record.report.plot_history].

Example:
    >>> from partner_of_record.attribution import attribute
    >>> from partner_of_record.report import monthly_credits, render_monthly
    >>> from partner_of_record.samples import load_sample
    >>> rows = monthly_credits(attribute(load_sample()), "4100231")
    >>> print(render_monthly(rows))  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import math
import os
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from partner_of_record._dashboard import dashboard
from partner_of_record._text import money as _money
from partner_of_record._text import table as _table
from partner_of_record.evaluation import (
    AcrScope,
    Competency,
    Evaluation,
    LedgerFacts,
    MeasurementContext,
    RateTable,
    RequirementResult,
    Skills,
    add_months,
    evaluate_all,
    evaluate_context,
)
from partner_of_record.evaluation.rates import as_rate_table
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.ledger import Ledger
from partner_of_record.model import AssociationKind, CustomerId, PartnerId, Workload, month_start

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Credits, Policy

__all__ = [
    "PLOT_EXTRA_HINT",
    "HistoryPoint",
    "MonthlyCredit",
    "Position",
    "catalog_position",
    "dashboard",
    "evaluate_catalog",
    "headline",
    "history",
    "kinds_label",
    "monthly_credits",
    "plot_history",
    "position_of",
    "render_monthly",
    "render_position",
    "top_shortfall",
]

PLOT_EXTRA_HINT = (
    "pip install 'matplotlib>=3.7' (the plot extra; in a clone of partner_of_record: "
    "pip install -e '.[plot]')"
)
"""How to install the optional plotting dependency (the package is not on PyPI yet)."""

_ZERO = Decimal(0)
_CAP = Decimal("9.99")
_COMPOSITES = frozenset({"best_of", "gate"})


# --------------------------------------------------------------------------------------------
# credited consumption per month


@attrs.frozen
class MonthlyCredit:
    """A partner's credited consumption for one month, customer, workload and set of kinds.

    Attributes:
        month: the first day of the usage month.
        customer_id: the customer's tenant.
        workload: the subscriptions' workload.
        kinds: the association kinds that earned the credits.
        currency: the ISO 4217 code of ``amount``.
        amount: the credited amount (the sum of the credits), exact.
    """

    month: dt.date
    customer_id: CustomerId
    workload: Workload
    kinds: frozenset[AssociationKind]
    currency: str
    amount: Decimal


def kinds_label(kinds: Iterable[AssociationKind]) -> str:
    """Return a short label for a set of association kinds, e.g. ``"dpor+pal"``.

    Args:
        kinds: the kinds.

    Returns:
        Their values, sorted and joined with ``+``; ``"-"`` for none.
    """
    return "+".join(sorted(k.value for k in kinds)) or "-"


def monthly_credits(
    credits: Credits,
    partner_id: PartnerId,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[MonthlyCredit, ...]:
    """Sum a partner's credits per month, customer, workload, association kinds and currency.

    Args:
        credits: the result of [`attribute`][partner_of_record.attribution.attribute].
        partner_id: the partner.
        start: if given, the first month kept.
        end: if given, the first month no longer kept.

    Returns:
        The rows, sorted by month, customer, workload, kinds and currency. A partner without
        credits gives ``()``.
    """
    mine = credits.filter(partner_id=partner_id, start=start, end=end)
    totals = mine.totals(by=("month", "customer_id", "workload", "kinds", "currency"))
    rows = [
        MonthlyCredit(month, customer, workload, frozenset(kinds), currency, amount)
        for (month, customer, workload, kinds, currency), amount in totals.items()
    ]
    rows.sort(
        key=lambda r: (r.month, r.customer_id, r.workload.value, kinds_label(r.kinds), r.currency)
    )
    return tuple(rows)


def render_monthly(
    rows: Sequence[MonthlyCredit], customers: Mapping[CustomerId, str] | None = None
) -> str:
    """Render monthly credits as two text tables: per month by kind, per customer and workload.

    Args:
        rows: the result of [`monthly_credits`][partner_of_record.report.monthly_credits].
        customers: customer id -> display name, shown instead of the id when known.

    Returns:
        The text, ending with a newline; ``"No credited consumption.\\n"`` for no rows.
    """
    if not rows:
        return "No credited consumption.\n"
    names = customers or {}
    labels = sorted({kinds_label(r.kinds) for r in rows})
    per_month: dict[tuple[dt.date, str], dict[str, Decimal]] = {}
    for r in rows:
        cell = per_month.setdefault((r.month, r.currency), {})
        label = kinds_label(r.kinds)
        cell[label] = cell.get(label, _ZERO) + r.amount
    table = [["month", "currency", "total", *labels]]
    for (month, currency), by_kind in sorted(per_month.items()):
        table.append(
            [
                f"{month:%Y-%m}",
                currency,
                _money(sum(by_kind.values(), _ZERO), currency),
                *(_money(by_kind[k], currency) if k in by_kind else "" for k in labels),
            ]
        )
    lines = ["Credited consumption per month, by association kind"]
    lines.extend(_table(table, right=range(2, 3 + len(labels))))

    per_customer: dict[tuple[str, str, str, str], tuple[Decimal, set[dt.date]]] = {}
    for r in rows:
        key = (r.customer_id, r.workload.value, kinds_label(r.kinds), r.currency)
        amount, months = per_customer.get(key, (_ZERO, set()))
        months.add(r.month)
        per_customer[key] = (amount + r.amount, months)
    first, last = rows[0].month, max(r.month for r in rows)
    table = [["customer", "workload", "kinds", "currency", "total", "months"]]
    table.extend(
        [
            names.get(customer) or customer,
            workload,
            label,
            currency,
            _money(amount, currency),
            str(len(months)),
        ]
        for (customer, workload, label, currency), (amount, months) in sorted(
            per_customer.items(), key=lambda kv: (names.get(kv[0][0]) or kv[0][0], kv[0])
        )
    )
    lines.append("")
    lines.append(
        f"Credited consumption by customer, workload and kind, {first:%Y-%m} to {last:%Y-%m}"
    )
    lines.extend(_table(table, right=(4, 5)))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# position against the catalog


@attrs.frozen
class Position:
    """A partner's standing against one catalog entry.

    Attributes:
        competency: the entry's name.
        title: its title.
        partner_id: the partner.
        met: whether the partner meets it.
        score: the points scored, or ``None`` for unscored competencies.
        max_score: the most points there are, or ``None``.
        progress: how close the partner is: the headline value divided by its threshold (1 or
            more when that value is reached; ``0`` when nothing is measured). An entry not met
            never shows 1 or more: when its headline value is reached but another rule fails
            (a scorecard metric at 0 points), progress is capped at ``0.99``.
        shortfall: the top reason it is not met (see
            [`top_shortfall`][partner_of_record.report.top_shortfall]); ``""`` when met.
        evaluation: the evaluation behind it (not compared).
    """

    competency: str
    title: str
    partner_id: PartnerId
    met: bool
    score: Decimal | None
    max_score: Decimal | None
    progress: Decimal
    shortfall: str
    evaluation: Evaluation = attrs.field(eq=False, repr=False)


def headline(evaluation: Evaluation) -> RequirementResult:
    """Return the result that sums an evaluation up in one number against one threshold.

    The root requirement's result, unless it only counts parts met (an "all of" list): then
    its first requirement (e.g. the customers of Small and Midmarket Cloud Solutions).

    Args:
        evaluation: an evaluation.

    Returns:
        The result whose ``measured`` and ``threshold`` a plot or a progress figure uses.
    """
    root = evaluation.result
    if root.unit == "requirements" and evaluation.requirements:
        return evaluation.requirements[0]
    return root


def _ratio(result: RequirementResult) -> Decimal:
    if result.measured is None or not result.threshold:
        return _ZERO
    return max(_ZERO, result.measured / result.threshold).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_EVEN
    )


_NOT_YET = Decimal("0.99")


def _progress(evaluation: Evaluation) -> Decimal:
    """The headline ratio; below 1 for an entry not met (something else is still missing)."""
    ratio = _ratio(headline(evaluation))
    return ratio if evaluation.met else min(ratio, _NOT_YET)


def _gap(result: RequirementResult) -> Decimal:
    """How much a requirement costs: the points it misses, else 1 (unscored, not met)."""
    if result.points is not None and result.max_points is not None:
        return result.max_points - result.points
    return Decimal(1)


def top_shortfall(evaluation: Evaluation) -> str:
    """Return the main reason an evaluation is not met, in one line.

    The requirement not met that misses the most points (for unscored competencies: the first
    one not met), named with its measured value and why; when every requirement is met but the
    total score is short, the score and the points missing. Best-of and gate results are
    followed down to the part that counts.

    Args:
        evaluation: an evaluation.

    Returns:
        The line; ``""`` when the evaluation is met.
    """
    if evaluation.met:
        return ""
    unmet = [r for r in evaluation.requirements if not r.met]
    if not unmet:
        root = evaluation.result
        if root.reason:
            return f"{root.name}: {root.reason}"
        need = format_quantity(root.threshold, root.unit)
        have = format_quantity(root.measured, root.unit)
        short = format_quantity(root.shortfall, root.unit)
        return f"{root.name}: {have} is {short} short of the {need} needed"
    top = max(unmet, key=_gap)  # max keeps the first of equal gaps
    name = top.name
    node = top
    while node.kind in _COMPOSITES and node.children:
        node = node.chosen_child()
    reason = node.reason or node.summary()
    return f"{name}: {reason}"


def position_of(evaluation: Evaluation) -> Position:
    """Summarise one evaluation as a [`Position`][partner_of_record.report.Position].

    Args:
        evaluation: an evaluation.

    Returns:
        The position.
    """
    return Position(
        competency=evaluation.competency,
        title=evaluation.title,
        partner_id=evaluation.partner_id,
        met=evaluation.met,
        score=evaluation.score,
        max_score=evaluation.max_score,
        progress=_progress(evaluation),
        shortfall=top_shortfall(evaluation),
        evaluation=evaluation,
    )


def _catalog(catalog: Iterable[Competency] | None) -> tuple[Competency, ...]:
    if catalog is not None:
        return tuple(catalog)
    from partner_of_record.catalog import ALL

    return tuple(ALL.values())


def evaluate_catalog(
    ledger: Ledger,
    *,
    as_of: dt.date,
    skills: Mapping[PartnerId, Skills] | None = None,
    partners: Iterable[PartnerId] | None = None,
    catalog: Iterable[Competency] | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
) -> dict[str, dict[PartnerId, Evaluation]]:
    """Evaluate every catalog entry for every partner (or the given ones).

    Uses [`evaluate_all`][partner_of_record.evaluation.evaluate_all] once per entry, without
    evidence.

    Args:
        ledger: the facts.
        as_of: the day of the evaluation.
        skills: partner id -> that partner's skills.
        partners: the partners (default: every partner of the ledger).
        catalog: the entries (default: the whole catalog, ``partner_of_record.catalog.ALL``).
        rates: US dollar rates for credits in other currencies.
        policy: an attribution policy (see ``evaluate_competency``).

    Returns:
        Entry name -> partner id -> evaluation, in catalog and partner order.
    """
    ids = None if partners is None else tuple(partners)
    return {
        comp.name: evaluate_all(
            ledger,
            comp,
            as_of=as_of,
            skills=skills,
            partners=ids,
            rates=rates,
            policy=policy,
            evidence=False,
        )
        for comp in _catalog(catalog)
    }


def catalog_position(
    ledger: Ledger,
    partner_id: PartnerId,
    as_of: dt.date,
    skills: Skills | None = None,
    *,
    catalog: Iterable[Competency] | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
) -> tuple[Position, ...]:
    """Return a partner's position against each catalog entry.

    Args:
        ledger: the facts.
        partner_id: the partner.
        as_of: the day of the evaluation.
        skills: the partner's skills (metric name -> number of people).
        catalog: the entries (default: the whole catalog).
        rates: US dollar rates for credits in other currencies.
        policy: an attribution policy (see ``evaluate_competency``).

    Returns:
        One position per entry, in catalog order.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
    """
    ledger.partner(partner_id)
    per_entry = evaluate_catalog(
        ledger,
        as_of=as_of,
        skills={partner_id: skills} if skills is not None else None,
        partners=(partner_id,),
        catalog=catalog,
        rates=rates,
        policy=policy,
    )
    return tuple(position_of(found[partner_id]) for found in per_entry.values())


def _points(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def render_position(positions: Sequence[Position]) -> str:
    """Render positions as a text table: entry, met, score, progress and top shortfall.

    Args:
        positions: the result of [`catalog_position`][partner_of_record.report.catalog_position].

    Returns:
        The text, ending with a newline.
    """
    table = [["entry", "met", "score", "progress"]]
    table.extend(
        [
            p.competency,
            "yes" if p.met else "no",
            _points(p.score),
            f"{min(p.progress, _CAP) * 100:.0f} %",
        ]
        for p in positions
    )
    met = sum(p.met for p in positions)
    head = f"Position against the catalog: meets {met} of {len(positions)}"
    lines = [head, *_table(table, right=(2, 3))]
    unmet = [p for p in positions if not p.met]
    if unmet:
        lines.append("")
        lines.append("Top shortfall of each entry not met")
        for p in unmet:
            lines.extend(
                textwrap.wrap(
                    f"{p.competency}: {p.shortfall}",
                    width=_WIDTH,
                    initial_indent="  ",
                    subsequent_indent="    ",
                    break_on_hyphens=False,
                    break_long_words=False,
                )
            )
    return "\n".join(lines) + "\n"


_WIDTH = 78


# --------------------------------------------------------------------------------------------
# history and plot


@attrs.frozen
class HistoryPoint:
    """A competency evaluated at one ``as_of`` day, with the month's credited consumption.

    Attributes:
        as_of: the day of the evaluation (the first of a month).
        month: its measurement month (the month before).
        measured: the headline value (see [`headline`][partner_of_record.report.headline]):
            the score for scored designations, the trailing-12-month credited consumption for
            Cloud Platform, and so on.
        threshold: the headline value needed.
        unit: the unit of ``measured`` and ``threshold`` (``"points"``, ``"USD"`` ...).
        met: whether the competency is met as of that day.
        credited: the consumption credited in ``month`` in the scope of the headline measure
            (its association kinds, workloads, services and offers: Azure only for Cloud
            Platform), in US dollars; ``0`` when the headline measures no consumption.
    """

    as_of: dt.date
    month: dt.date
    measured: Decimal | None
    threshold: Decimal | None
    unit: str
    met: bool
    credited: Decimal


def history(
    ledger: Ledger,
    partner_id: PartnerId,
    competency: Competency | str,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    skills: Skills | None = None,
    rates: RateTable | None = None,
    policy: Policy | None = None,
) -> tuple[HistoryPoint, ...]:
    """Evaluate a competency at the first of every month, for a plot over time.

    The ledger is attributed once per set of counted kinds (the facts are shared between the
    months).

    Args:
        ledger: the facts.
        partner_id: the partner.
        competency: the competency, or its catalog name.
        start: the first ``as_of`` (default: the month after the ledger's first data month).
        end: the last ``as_of``, inclusive (default: the month after the last data month).
        skills: the partner's skills (the same for every month).
        rates: US dollar rates for credits in other currencies.
        policy: an attribution policy (see ``evaluate_competency``).

    Returns:
        One point per month, oldest first; ``()`` for a ledger without data and no ``start``.

    Raises:
        UnknownRecordError: the partner is not in the ledger.
        UnknownCompetencyError: a name is not in the catalog.
    """
    from partner_of_record.evaluation import resolve_competency

    comp = resolve_competency(competency)
    ledger.partner(partner_id)
    span = ledger.months
    if start is None:
        if span is None:
            return ()
        start = add_months(span[0], 1)
    if end is None:
        end = add_months(span[1], 1) if span is not None else start
    facts = LedgerFacts(ledger, as_rate_table(rates), policy)
    points = []
    day = month_start(start)
    per_month: dict[dt.date, Decimal] | None = None
    while day <= end:
        ctx = MeasurementContext(partner_id, day, facts, skills)
        evaluation = evaluate_context(ctx, comp)
        top = headline(evaluation)
        if per_month is None:
            per_month = _monthly_in_scope(comp.requirement, top.name, ctx)
        points.append(
            HistoryPoint(
                as_of=day,
                month=evaluation.month,
                measured=top.measured,
                threshold=top.threshold,
                unit=top.unit,
                met=evaluation.met,
                credited=(per_month or {}).get(evaluation.month, _ZERO),
            )
        )
        day = add_months(day, 1)
    return tuple(points)


def _find_requirement(node: object, name: str) -> object | None:
    """The first requirement named ``name`` in a requirement tree (depth first)."""
    if getattr(node, "name", None) == name and hasattr(node, "evaluate"):
        return node
    for child in _children(node):
        found = _find_requirement(child, name)
        if found is not None:
            return found
    return None


def _children(node: object) -> Iterable[object]:
    """The requirements directly inside ``node`` (parts, metrics, gate branches)."""
    for field in ("parts", "metrics"):
        yield from getattr(node, field, ())
    for field in ("condition", "then", "otherwise"):
        child = getattr(node, field, None)
        if child is not None:
            yield child


def _monthly_in_scope(
    requirement: object, name: str, ctx: MeasurementContext
) -> dict[dt.date, Decimal]:
    """Month -> the consumption credited in the scope of the requirement called ``name``.

    The scope is the headline requirement's own (Azure only for Cloud Platform), so the
    monthly bars of a plot measure the same thing as its line and threshold. A requirement
    with several consumption scopes sums the rows of each distinct scope once per scope.
    """
    node = _find_requirement(requirement, name) or requirement
    scopes = list(dict.fromkeys(s for s in _acr_scopes(node)))
    out: dict[dt.date, Decimal] = {}
    for scope in scopes:
        for row in scope.rows(ctx):
            out[row.month] = out.get(row.month, _ZERO) + row.usd
    return out


def _acr_scopes(node: object) -> Iterable[AcrScope]:
    from partner_of_record.evaluation.requirements import _scopes

    for scope in _scopes(node):
        if isinstance(scope, AcrScope):
            yield scope


def plot_history(
    points: Sequence[HistoryPoint],
    path: str | os.PathLike[str],
    *,
    title: str = "",
) -> Path:
    """Draw a history as a PNG: the headline value over time against the threshold.

    For scored designations, the score per ``as_of`` day against the points needed; for
    consumption thresholds, the trailing credited consumption (a line) over the monthly
    credited consumption (bars) against the threshold, all three in the scope of the entry's
    headline measure (Azure only for Cloud Platform: Office 365 or Dynamics credits are not in
    the bars); otherwise the measured value. Months at which the competency is met are marked
    with filled dots.

    Args:
        points: the result of [`history`][partner_of_record.report.history].
        path: the PNG file to write (replaced if it exists).
        title: the plot's title.

    Returns:
        The path written.

    Raises:
        ImportError: matplotlib is not installed (the message names the ``plot`` extra).
        ValueError: ``points`` is empty.
    """
    if not points:
        msg = "plot_history: no points to plot (is the ledger empty?)"
        raise ValueError(msg)
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import StrMethodFormatter
    except ImportError as exc:
        msg = f"plotting needs matplotlib: {PLOT_EXTRA_HINT}"
        raise ImportError(msg) from exc

    unit = points[0].unit
    xs = [float(i) for i in range(len(points))]  # one step per month, labelled below
    ys = [float(p.measured) if p.measured is not None else math.nan for p in points]
    threshold = next((p.threshold for p in reversed(points) if p.threshold is not None), None)
    fig = Figure(figsize=(9, 4.5), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    width = 0.7  # of a month
    if unit == "USD":
        ax.bar(
            xs,
            [float(p.credited) for p in points],
            width=width,
            color="#9ecae1",
            label="credited in the month",
        )
        label = "credited, trailing window"
        ax.set_ylabel("US$")
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    elif unit == "points":
        label = "score"
        ax.set_ylabel("points")
        top = max([*(y for y in ys if not math.isnan(y)), float(threshold or 0), 100.0])
        ax.set_ylim(0, top * 1.05)
    else:
        label = f"measured ({unit})"
        ax.set_ylabel(unit)
    ax.plot(xs, ys, color="#08519c", linewidth=2, label=label)
    met_x = [x for p, x in zip(points, xs, strict=True) if p.met]
    met_y = [y for p, y in zip(points, ys, strict=True) if p.met]
    if met_x:
        ax.scatter(met_x, met_y, color="#31a354", zorder=3, label="met")
    if threshold is not None:
        ax.axhline(
            float(threshold),
            color="#de2d26",
            linestyle="--",
            label=f"threshold {format_quantity(threshold, unit)}",
        )
    step = max(1, len(points) // 8)
    ticks = list(range(0, len(points), step))
    ax.set_xticks([xs[i] for i in ticks], [f"{points[i].month:%Y-%m}" for i in ticks])
    if unit != "points" and all(y >= 0 for y in ys if not math.isnan(y)):
        ax.set_ylim(bottom=0)
    ax.set_xlabel("measurement month")
    ax.grid(visible=True, axis="y", alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    target = Path(path)
    fig.savefig(target, format="png")
    return target
