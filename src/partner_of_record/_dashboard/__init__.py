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

from partner_of_record._dashboard._data import DashboardData, dashboard_data
from partner_of_record._dashboard._html import SECTIONS
from partner_of_record._dashboard._page import dashboard

__all__ = ["SECTIONS", "DashboardData", "dashboard", "dashboard_data"]
