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

from partner_of_record._dashboard import dashboard
from partner_of_record.report._history import PLOT_EXTRA_HINT, HistoryPoint, history, plot_history
from partner_of_record.report._monthly import (
    MonthlyCredit,
    kinds_label,
    monthly_credits,
    render_monthly,
)
from partner_of_record.report._position import (
    Position,
    catalog_position,
    evaluate_catalog,
    headline,
    position_of,
    render_position,
    top_shortfall,
)

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
