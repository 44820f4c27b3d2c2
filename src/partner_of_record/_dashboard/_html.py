"""The dashboard's HTML pieces: escaping, cells and tables, the inline style and script."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from partner_of_record.evaluation.results import format_quantity

_ZERO = Decimal(0)


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


def esc(value: object) -> str:
    """``value`` as text escaped for HTML (quotes included)."""
    return html.escape(str(value), quote=True)


def money_text(amount: Decimal, currency: str) -> str:
    """An amount as shown: US dollars as ``format_quantity`` writes them, others with their code."""
    if currency == "USD":
        return format_quantity(amount, "USD")
    from partner_of_record._text import money

    return f"{money(amount, currency)} {currency}".strip()


def num_text(value: Decimal | int | None) -> str:
    """A number as text (``""`` for ``None``)."""
    return "" if value is None else str(value)


def cell_html(text: str, value: object = None) -> str:
    """A table cell showing ``text``, with the exact ``value`` in ``data-value`` when given."""
    attr = "" if value is None else f' data-value="{esc(value)}"'
    return f"<td{attr}>{esc(text)}</td>"


def long_html(text: str) -> str:
    """A cell of running text, kept readable (not squeezed) on a narrow screen."""
    return f'<td><div class="long">{esc(text)}</div></td>'


_NUMERIC = ' data-type="number"'


def table_html(
    table_id: str, caption: str, header: Sequence[tuple[str, bool]], rows: Iterable[str]
) -> str:
    """A sortable table: ``header`` is ``(label, numeric)`` pairs; rows are ``<tr>`` strings."""
    heads = "".join(
        f'<th scope="col"{_NUMERIC if numeric else ""}>'
        f'<button type="button">{esc(label)}</button></th>'
        for label, numeric in header
    )
    body = "".join(rows) or (f'<tr><td colspan="{len(header)}">None.</td></tr>')
    return (
        f'<div class="scroll"><table id="{table_id}" class="sortable">'
        f"<caption>{esc(caption)}</caption><thead><tr>{heads}</tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )


def figures_html(pairs: Mapping[str, Decimal], figure_id: str) -> str:
    """Headline amounts, one ``<data>`` per currency (the first keeps ``figure_id``)."""
    if not pairs:
        return f'<data id="{figure_id}" value="0">none</data>'
    return "<br>".join(
        f'<data id="{figure_id}{"" if i == 0 else "-" + c.lower()}" data-currency="{esc(c)}" '
        f'value="{esc(a)}">{esc(money_text(a, c))}</data>'
        for i, (c, a) in enumerate(sorted(pairs.items()))
    )


def change_html(now: Mapping[str, Decimal], before: Mapping[str, Decimal]) -> str:
    """The change from ``before`` to ``now`` per currency, with the percentage when defined."""
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
            f'value="{esc(delta)}">{sign}{esc(money_text(abs(delta), currency))}{pct}</data>'
        )
    return "<br>".join(parts) or '<data id="fig-change" value="0">no credits</data>'


PAGE_CSS = """
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

PAGE_SCRIPT = """
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


def section_html(section_id: str, body: str) -> str:
    """A page section with its ``<h2>`` heading from ``SECTIONS``."""
    heading = dict(SECTIONS)[section_id]
    return (
        f'<section id="{section_id}" aria-labelledby="h-{section_id}">'
        f'<h2 id="h-{section_id}">{esc(heading)}</h2>{body}</section>'
    )
