"""The dashboard's charts: matplotlib figures inlined as SVG, one colour per association kind."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from partner_of_record._dashboard._data import DashboardData, month_list, monthly_table
from partner_of_record.evaluation.results import format_quantity
from partner_of_record.model import AssociationKind

_ZERO = Decimal(0)


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


def require_matplotlib() -> Any:
    """Import matplotlib (the ``plot`` extra), or raise an ``ImportError`` naming the extra."""
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


def monthly_chart(data: DashboardData, currency: str, label_of: Any) -> str:
    """The stacked monthly chart of one currency as inline SVG (with the threshold line in USD)."""
    matplotlib, figure = require_matplotlib()
    from matplotlib.ticker import StrMethodFormatter

    months = month_list(data.start, data.end)
    table = monthly_table(data, currency, label_of)
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


def coverage_chart(data: DashboardData) -> str:
    """The association coverage over time, one bar per subscription and kind, as inline SVG."""
    matplotlib, figure = require_matplotlib()
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
        months = month_list(data.start, data.end)
        step = max(1, len(months) // 6)
        ax.set_xticks(
            [m.toordinal() for m in months[::step]], [f"{m:%Y-%m}" for m in months[::step]]
        )
        ax.grid(visible=True, axis="x", alpha=0.3)
        fig.legend(loc="outside lower center", ncol=5, fontsize="small")
        return _figure_svg(fig, "coverage")
