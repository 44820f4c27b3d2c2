"""Competency and designation evaluation: the requirement algebra, the evaluator, what-if.

Data flows one way: ``Ledger -> attribute() -> Credits -> evaluate_competency() -> Evaluation``.
Nothing here imports ``io``, ``report`` or ``cli``.
"""

from __future__ import annotations

from partner_of_record.evaluation.competency import Competency
from partner_of_record.evaluation.context import (
    AcrRow,
    MeasurementContext,
    RowFacts,
    SeatCrediting,
    SeatRow,
    Skills,
)
from partner_of_record.evaluation.declarative import (
    BLOCK_TYPES,
    DeclarationError,
    dump_competency,
    dump_requirement,
    load_competency,
    load_competency_file,
    load_requirement,
    loads_competency,
)
from partner_of_record.evaluation.evaluator import (
    earliest_qualification,
    evaluate_all,
    evaluate_all_one_by_one,
    evaluate_competency,
    evaluate_context,
    project_qualification,
    resolve_competency,
    trend_projection,
    what_if,
)
from partner_of_record.evaluation.measures import (
    AcrCustomers,
    AcrGrowth,
    AcrScope,
    CreditedAcr,
    DistinctCustomers,
    DistinctServices,
    Intersection,
    Measurement,
    NetCustomerAdds,
    SeatCustomers,
    SeatGrowth,
    SeatScope,
    SeatTotal,
    Shifted,
    SkillCount,
)
from partner_of_record.evaluation.rates import MissingRateError, RateTable, as_rate_table
from partner_of_record.evaluation.requirements import (
    AllOf,
    AnyOf,
    AtLeast,
    BestOf,
    Gate,
    PointsSum,
    Requirement,
    Scorecard,
    Scored,
)
from partner_of_record.evaluation.results import (
    EVALUATION_CODES,
    Evaluation,
    EvaluationDiff,
    Evaluations,
    Projection,
    Qualification,
    RequirementChange,
    RequirementResult,
    UnknownRequirementError,
)
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import (
    Trailing,
    Window,
    add_months,
    measurement_month,
    qualification_window,
)

__all__ = [
    "BLOCK_TYPES",
    "EVALUATION_CODES",
    "AcrCustomers",
    "AcrGrowth",
    "AcrRow",
    "AcrScope",
    "AllOf",
    "AnyOf",
    "AtLeast",
    "BestOf",
    "Competency",
    "CreditedAcr",
    "DeclarationError",
    "DistinctCustomers",
    "DistinctServices",
    "Evaluation",
    "EvaluationDiff",
    "Evaluations",
    "Gate",
    "Intersection",
    "LedgerFacts",
    "Measurement",
    "MeasurementContext",
    "MissingRateError",
    "NetCustomerAdds",
    "PointsSum",
    "Projection",
    "Qualification",
    "RateTable",
    "Requirement",
    "RequirementChange",
    "RequirementResult",
    "RowFacts",
    "Scorecard",
    "Scored",
    "SeatCrediting",
    "SeatCustomers",
    "SeatGrowth",
    "SeatRow",
    "SeatScope",
    "SeatTotal",
    "Shifted",
    "SkillCount",
    "Skills",
    "Trailing",
    "UnknownRequirementError",
    "Window",
    "add_months",
    "as_rate_table",
    "dump_competency",
    "dump_requirement",
    "earliest_qualification",
    "evaluate_all",
    "evaluate_all_one_by_one",
    "evaluate_competency",
    "evaluate_context",
    "load_competency",
    "load_competency_file",
    "load_requirement",
    "loads_competency",
    "measurement_month",
    "project_qualification",
    "qualification_window",
    "resolve_competency",
    "trend_projection",
    "what_if",
]


def __getattr__(name: str) -> object:
    """Resolve the deprecated name of ``EVALUATION_CODES``, with a warning."""
    from partner_of_record.evaluation._deprecated import resolve

    return resolve(__name__, name)
