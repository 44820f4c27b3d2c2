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
[`MICROSOFT_2017`][partner_of_record.rules.MICROSOFT_2017], which allows DPOR on Office 365,
Dynamics 365, Intune and EMS as well as Azure. Under
[`MICROSOFT_2023`][partner_of_record.rules.MICROSOFT_2023] (DPOR on Azure only) those
non-Azure DPORs would be rejected.

Example:
    >>> from partner_of_record.samples import load_sample
    >>> ledger = load_sample()
    >>> len(ledger.partners)
    5
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from types import MappingProxyType

from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId
from partner_of_record.samples import _scenario
from partner_of_record.samples._generate import build

__all__ = ["SAMPLE_AS_OF", "SAMPLE_SEED", "SAMPLE_SKILLS", "describe", "load_sample"]

SAMPLE_AS_OF: dt.date = _scenario.AS_OF
"""The day the sample is measured on: 2025-01-01 (the measurement month is December 2024)."""

SAMPLE_SEED: int = _scenario.SEED
"""The seed of the sample's month-to-month noise."""

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
