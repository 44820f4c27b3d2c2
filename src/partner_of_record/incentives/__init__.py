"""Incentives: what the credited consumption earns, month by month, explained.

The seed: being Digital Partner of Record "qualifies partners to participate in local
incentive programs". A program is dated, sourced data
([`IncentiveProgram`][partner_of_record.incentives.IncentiveProgram]); evaluating it for a
partner returns [`Earnings`][partner_of_record.incentives.Earnings]: per month and per credit,
the eligible and ineligible consumption with the reason for each ineligible amount, the
earnings and the payout schedule.

Data flows one way: ``Ledger -> attribute() -> Credits -> evaluate_incentive() -> Earnings``;
the partner's eligibility is evaluated with
[`evaluate_all`][partner_of_record.evaluate_all]. Nothing in the model, ledger, attribution
or evaluation imports this package.

Example:
    >>> from partner_of_record.incentives import PARTNER_EARNED_CREDIT, evaluate_incentive
    >>> from partner_of_record.samples import load_sample
    >>> earnings = evaluate_incentive(load_sample(), "4500168", PARTNER_EARNED_CREDIT)
    >>> earnings.earned > 0
    True
"""

from __future__ import annotations

from partner_of_record.incentives.catalog import (
    PARTNER_EARNED_CREDIT,
    PROGRAMS,
    UnknownProgramError,
    azure_dpor_incentive,
    get_program,
    partner_earned_credit,
)
from partner_of_record.incentives.declarative import (
    dump_program,
    load_program,
    load_program_file,
    loads_program,
)
from partner_of_record.incentives.engine import (
    evaluate_incentive,
    evaluate_incentives,
    pec_billed_cost,
    what_if_incentive,
)
from partner_of_record.incentives.program import (
    EarningRule,
    IncentiveProgram,
    Payout,
    SubscriptionEligibility,
    WinRule,
)
from partner_of_record.incentives.results import (
    INELIGIBLE_CODES,
    EarningLine,
    Earnings,
    EarningsDiff,
    IneligibleAmount,
    MonthEarnings,
    Payment,
    WinPayment,
)

__all__ = [
    "INELIGIBLE_CODES",
    "PARTNER_EARNED_CREDIT",
    "PROGRAMS",
    "EarningLine",
    "EarningRule",
    "Earnings",
    "EarningsDiff",
    "IncentiveProgram",
    "IneligibleAmount",
    "MonthEarnings",
    "Payment",
    "Payout",
    "SubscriptionEligibility",
    "UnknownProgramError",
    "WinPayment",
    "WinRule",
    "azure_dpor_incentive",
    "dump_program",
    "evaluate_incentive",
    "evaluate_incentives",
    "get_program",
    "load_program",
    "load_program_file",
    "loads_program",
    "partner_earned_credit",
    "pec_billed_cost",
    "what_if_incentive",
]
