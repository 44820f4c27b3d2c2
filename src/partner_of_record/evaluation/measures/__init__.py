"""Measures: what a requirement counts (credited consumption, customers, services, seats, people).

A measure turns a [`MeasurementContext`][partner_of_record.evaluation.MeasurementContext]
into a [`Measurement`][partner_of_record.evaluation.Measurement]: a value in a unit, how
it was obtained, the customers that counted and any findings. Requirements
(``partner_of_record.evaluation.requirements``) compare measurements with thresholds or turn
them into points.

Customer rules (``AcrCustomers``, ``SeatCustomers`` and their combinators ``Shifted``,
``Intersection``) say which customers (or customer-workload pairs) qualify at a reference
month; ``DistinctCustomers`` and ``NetCustomerAdds`` count them.

A public package over private topic modules: ``_consumption`` (``AcrScope`` and the measures of
credited consumption), ``_seats`` (``SeatScope`` and the seat measures), ``_customers`` (the
customer rules and the measures that count customers), ``_skills``, over ``_base`` (the
measurement value, the protocols, the shared kinds plumbing and the growth arithmetic) and
``_convert`` (the converters of user input, shared with the declarative loader and incentives).
"""

from __future__ import annotations

from partner_of_record.evaluation.measures._base import (
    CustomerKey,
    CustomerRule,
    Measure,
    Measurement,
    growth_value,
)
from partner_of_record.evaluation.measures._base import (
    finding as _finding,  # noqa: F401 - the old private name, kept for importers
)
from partner_of_record.evaluation.measures._consumption import (
    STANDARD_OFFERS,
    AcrGrowth,
    AcrScope,
    CreditedAcr,
    DistinctServices,
)
from partner_of_record.evaluation.measures._convert import (
    service_key,
    to_decimal,
    to_kinds,
    to_offers,
    to_services,
    to_workloads,
)
from partner_of_record.evaluation.measures._customers import (
    AcrCustomers,
    DistinctCustomers,
    Intersection,
    NetCustomerAdds,
    SeatCustomers,
    Shifted,
)
from partner_of_record.evaluation.measures._seats import SeatGrowth, SeatScope, SeatTotal
from partner_of_record.evaluation.measures._skills import SkillCount

__all__ = [
    "STANDARD_OFFERS",
    "AcrCustomers",
    "AcrGrowth",
    "AcrScope",
    "CreditedAcr",
    "CustomerKey",
    "CustomerRule",
    "DistinctCustomers",
    "DistinctServices",
    "Intersection",
    "Measure",
    "Measurement",
    "NetCustomerAdds",
    "SeatCustomers",
    "SeatGrowth",
    "SeatScope",
    "SeatTotal",
    "Shifted",
    "SkillCount",
    "growth_value",
    "service_key",
    "to_decimal",
    "to_kinds",
    "to_offers",
    "to_services",
    "to_workloads",
]
