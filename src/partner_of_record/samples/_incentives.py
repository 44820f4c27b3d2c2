"""The sample's incentive stories: who earns, who is blocked, who carries forward.

The stories use the sample ledger as it is (no record is added for them) and two built-in
programs: the 2015 Azure DPOR incentive at an *illustrative* rate (Microsoft published its rate
separately; 3 % here is not Microsoft's figure) and Partner Earned Credit. They start in July
2023, when the sample has six months of history for the trailing-12-month competency test.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from partner_of_record.samples import _scenario

__all__: list[str] = []

RATE = Decimal("0.03")
"""The illustrative rate of the 2015 Azure DPOR incentive in the stories (not Microsoft's)."""

START = dt.date(2023, 7, 1)
"""The first month of the stories."""

STORIES: tuple[tuple[str, str, str], ...] = (
    # partner, program, story
    (
        _scenario.FABRIKAM,
        "AZURE_DPOR_2015",
        "earns. DPOR on Fourth Coffee, Lucerne and (until it leaves) Wide World Importers, "
        "Cloud Platform silver every month: paid every month from the first.",
    ),
    (
        _scenario.RELECLOUD,
        "AZURE_DPOR_2015",
        "blocked by its competency. Its DPOR on Southridge Video counts only in the months it "
        "holds Cloud Platform silver; in the others nothing earns.",
    ),
    (
        _scenario.CONTOSO,
        "AZURE_DPOR_2015",
        "carries forward. Its first month earns less than the US$200 minimum, so it waits for "
        "the next; Wide World Importers stays Fabrikam's (the first approved partner keeps a "
        "subscription).",
    ),
    (
        _scenario.LITWARE,
        "PARTNER_EARNED_CREDIT",
        "earns Partner Earned Credit as the direct-bill partner of City Power & Light and the "
        "indirect provider behind Fabrikam's CSP customers.",
    ),
)
"""One entry per story: partner id, program name, the story's words."""
