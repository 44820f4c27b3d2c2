"""A small, fictional, realistic data set shipped with the package.

Five partners, 22 customers and 47 subscriptions with 24 months of consumption (January 2023
to December 2024, all in US dollars), measured as of
[`SAMPLE_AS_OF`][partner_of_record.samples.SAMPLE_AS_OF] (1 January 2025, so December 2024 is
the measurement month). The scenario is designed by hand -
who is linked to which subscription, how, from which day, and how large each account is - and
the month-to-month amounts are drawn from a seeded ``random.Random``, so every run yields the
same ledger.

It shows every kind of link: DPOR (with mid-month changes, the old DPOR ending the day the new
one starts), PAL on Azure, CSP tier 1 / tier 2 and transacting partners, DAP and GDAP grants on
Office 365 and Dynamics 365, CPOR claims on Microsoft 365 (one claim replacing another), Azure
Lighthouse; subscriptions with no partner at all; support, internal, benefit-program and trial
offers; a customer who churns and a customer whose consumption grows tenfold. Call
[`describe`][partner_of_record.samples.describe] for the story of each partner.

The sample follows the default rule set,
[`MICROSOFT_ALL_ERAS`][partner_of_record.rules.MICROSOFT_ALL_ERAS], which allows DPOR on every
workload either era allows it on (Office 365, Microsoft 365, Dynamics 365, Business Central,
Intune and EMS as well as Azure); see the dated rule sets in `partner_of_record.rules`.

Example:
    >>> from partner_of_record.samples import load_sample
    >>> ledger = load_sample()
    >>> len(ledger.partners)
    5
"""

from __future__ import annotations

import datetime as dt
import functools
import textwrap
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId
from partner_of_record.samples import _incentives, _scenario
from partner_of_record.samples._generate import build

__all__ = [
    "SAMPLE_AS_OF",
    "SAMPLE_INCENTIVE_RATE",
    "SAMPLE_INCENTIVE_START",
    "SAMPLE_SEED",
    "SAMPLE_SKILLS",
    "describe",
    "describe_incentives",
    "incentive_stories",
    "load_sample",
]

SAMPLE_AS_OF: dt.date = _scenario.AS_OF
"""The day the sample is measured on: 2025-01-01 (the measurement month is December 2024)."""

SAMPLE_SEED: int = _scenario.SEED
"""The seed of the sample's month-to-month noise."""

SAMPLE_INCENTIVE_RATE: Decimal = _incentives.RATE
"""The illustrative rate of the 2015 Azure DPOR incentive in the incentive stories (3 %; the
real rate was published separately by Microsoft and is not in our sources)."""

SAMPLE_INCENTIVE_START: dt.date = _incentives.START
"""The first month of the incentive stories: 2023-07-01 (six months of history by then)."""

SAMPLE_SKILLS: Mapping[PartnerId, Mapping[str, int]] = MappingProxyType(
    {
        partner_id: MappingProxyType(
            {
                "intermediate_certifications": intermediate,
                "advanced_certifications": advanced,
            }
        )
        for partner_id, intermediate, advanced in _scenario.SKILLS
    }
)
"""Certified people per sample partner, for the skilling metrics of the designations.

A read-only mapping ``partner_id -> {"intermediate_certifications": n,
"advanced_certifications": n}`` with an entry for every sample partner.
"""


@functools.cache
def load_sample() -> Ledger:
    """Return the bundled sample ledger.

    The ledger is built once per process and shared: it is immutable.

    Returns:
        A [`Ledger`][partner_of_record.Ledger] holding the sample's partners, customers,
        subscriptions, associations, monthly usage (one row per subscription, month and
        service) and monthly seat records.

    Raises:
        LedgerError: never for the shipped data; it would mean the sample breaks the rules.
    """
    records = build(SAMPLE_SEED)
    return Ledger(
        partners=records.partners,
        customers=records.customers,
        subscriptions=records.subscriptions,
        associations=records.associations,
        usage=records.usage,
        seats=records.seats,
    )


def describe() -> str:
    """Return the story of the sample: one paragraph per partner, with its partner ID.

    Returns:
        Plain text, one line per partner, such as ``"4100231 Contoso Cloud Services: the
        Azure champion. ..."``, preceded by a line on the period measured.
    """
    names = dict(_scenario.PARTNERS)
    lines = [
        f"Fictional sample: {len(_scenario.PARTNERS)} partners, {len(_scenario.CUSTOMERS)} "
        f"customers, usage {_scenario.FIRST_MONTH:%Y-%m} to {_scenario.LAST_MONTH:%Y-%m} in USD, "
        f"measured as of {SAMPLE_AS_OF.isoformat()}.",
    ]
    lines.extend(f"{pid} {names[pid]}: {story}" for pid, story in _scenario.STORIES)
    return "\n".join(lines)


def incentive_stories() -> tuple[tuple[str, str, Any], ...]:
    """Evaluate the sample's incentive stories.

    Four stories over the sample ledger as it is, from
    [`SAMPLE_INCENTIVE_START`][partner_of_record.samples.SAMPLE_INCENTIVE_START] to the last
    month: Fabrikam earns the 2015 Azure DPOR incentive every month, Relecloud is blocked by
    its Cloud Platform competency, Contoso carries its first month forward (below the US$200
    minimum), and Litware earns Partner Earned Credit.

    Returns:
        ``(partner_id, story, earnings)`` per story, the earnings an
        [`Earnings`][partner_of_record.incentives.Earnings].
    """
    from partner_of_record.incentives import evaluate_incentive, get_program

    ledger = load_sample()
    out = []
    for partner_id, name, story in _incentives.STORIES:
        program = get_program(name, rate=SAMPLE_INCENTIVE_RATE if "DPOR" in name else None)
        earnings = evaluate_incentive(ledger, partner_id, program, start=SAMPLE_INCENTIVE_START)
        out.append((partner_id, story, earnings))
    return tuple(out)


def describe_incentives() -> str:
    """Return the incentive stories with their figures, one paragraph per story.

    Returns:
        Plain text: a heading, then per story the partner, the program, the story and what was
        earned, paid and carried forward, with the months the partner was not eligible.
    """
    names = dict(_scenario.PARTNERS)
    stories = incentive_stories()
    last = stories[0][2].months[-1].month
    rate = (SAMPLE_INCENTIVE_RATE * 100).normalize()
    lines = [
        textwrap.fill(
            f"Incentive stories, {SAMPLE_INCENTIVE_START:%Y-%m}..{last:%Y-%m}: AZURE_DPOR_2015 at "
            f"an illustrative {rate} % (not Microsoft's rate), PARTNER_EARNED_CREDIT at 15 %",
            78,
            subsequent_indent="  ",
        )
    ]
    cent = Decimal("0.01")
    for partner_id, story, e in stories:
        blocked = [m for m in e.months if not m.partner_eligible]
        carried = [p for p in e.payments if p.carried_out > 0 and p.note]
        facts = [f"earned US${e.earned.quantize(cent):,}", f"paid US${e.paid.quantize(cent):,}"]
        if blocked:
            facts.append(f"not eligible in {len(blocked)} of {len(e.months)} months")
        if e.carried_forward:
            facts.append(f"US${e.carried_forward.quantize(cent):,} below the minimum, carried")
        elif carried:
            facts.append(
                f"US${carried[0].carried_out.quantize(cent):,} of {carried[0].end:%Y-%m} "
                "carried forward, then paid"
            )
        lines.append(
            textwrap.fill(
                f"{partner_id} {names[partner_id]}, {e.program}: {story}",
                78,
                initial_indent="  ",
                subsequent_indent="    ",
            )
        )
        lines.append(
            textwrap.fill(
                "; ".join(facts), 78, initial_indent="    -> ", subsequent_indent="       "
            )
        )
    return "\n".join(lines)
