"""A competency evaluated month by month, and its plot (matplotlib, the ``plot`` extra)."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from partner_of_record.evaluation import (
    AcrScope,
    Competency,
    LedgerFacts,
    MeasurementContext,
    RateTable,
    Skills,
    add_months,
    evaluate_context,
)
from partner_of_record.evaluation.rates import as_rate_table
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId, month_start
from partner_of_record.report._position import headline

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution import Policy

_ZERO = Decimal(0)


PLOT_EXTRA_HINT = (
    "pip install 'matplotlib>=3.7' (the plot extra; in a clone of partner_of_record: "
    "pip install -e '.[plot]')"
)
"""How to install the optional plotting dependency (the package is not on PyPI yet)."""


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
