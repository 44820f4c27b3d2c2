"""partner_of_record: which partner gets credit for this cloud consumption, and does it qualify?

The public names, by layer (dependencies point one way, left to right):

* the model: [`Partner`][partner_of_record.Partner], [`Customer`][partner_of_record.Customer],
  [`Subscription`][partner_of_record.Subscription], [`Association`][partner_of_record.Association],
  [`Usage`][partner_of_record.Usage], [`SeatUsage`][partner_of_record.SeatUsage] and their enums;
* the facts checked against a program's rules: [`Ledger`][partner_of_record.Ledger],
  [`RuleSet`][partner_of_record.RuleSet] (more in ``partner_of_record.rules``);
* attribution: [`attribute`][partner_of_record.attribute] returning
  [`Credits`][partner_of_record.Credits] under a policy (more in ``partner_of_record.policies``);
* evaluation: [`evaluate_competency`][partner_of_record.evaluate_competency],
  [`evaluate_all`][partner_of_record.evaluate_all], [`what_if`][partner_of_record.what_if],
  [`earliest_qualification`][partner_of_record.earliest_qualification] against the entries of
  ``partner_of_record.catalog`` (building blocks in ``partner_of_record.evaluation``);
* at the edge: ``partner_of_record.io`` (JSON, CSV import and export),
  ``partner_of_record.samples``, the ``partner-of-record`` command line.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from types import ModuleType
from typing import TYPE_CHECKING

from partner_of_record.attribution import (
    Credit,
    Credits,
    CurrencyMixError,
    DporOnly,
    EqualSplit,
    Explanation,
    Policy,
    PolicyError,
    Priority,
    RecognizeAll,
    Reconciliation,
    Span,
    Unattributed,
    WeightedSplit,
    attribute,
)
from partner_of_record.errors import (
    Finding,
    LedgerError,
    PartnerOfRecordError,
    ValidationError,
)
from partner_of_record.evaluation import (
    Competency,
    DeclarationError,
    Evaluation,
    EvaluationDiff,
    MissingRateError,
    Qualification,
    RateTable,
    RequirementResult,
    earliest_qualification,
    evaluate_all,
    evaluate_competency,
    load_competency,
    what_if,
)
from partner_of_record.io import (
    DataFileError,
    LoadReport,
    Reject,
    SerializationError,
    export_folder,
    from_json,
    load_folder,
    load_json,
    to_json,
)
from partner_of_record.ledger import (
    EventError,
    Ledger,
    LenientLoad,
    Rejection,
    UnknownRecordError,
)
from partner_of_record.model import (
    Actor,
    Association,
    AssociationKind,
    Customer,
    OfferCategory,
    Partner,
    SeatUsage,
    Subscription,
    Usage,
    Workload,
)
from partner_of_record.rules import DEFAULT_RULES, MICROSOFT_2017, MICROSOFT_2023, Rule, RuleSet

if TYPE_CHECKING:  # the type checker sees the lazy submodules as plain attributes
    from partner_of_record import catalog as catalog
    from partner_of_record import policies as policies
    from partner_of_record import samples as samples

_LAZY_SUBMODULES = frozenset(
    {
        "attribution",
        "catalog",
        "evaluation",
        "incentives",
        "io",
        "ledger",
        "model",
        "opportunities",
        "policies",
        "report",
        "rules",
        "samples",
        "spark",
    }
)
"""Submodules reachable as attributes of the package (``por.catalog``), imported on first use
so that the command line starts without them."""


def __getattr__(name: str) -> ModuleType:
    """Import a documented submodule on first access (``partner_of_record.catalog`` ...)."""
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    """The public names and the lazily imported submodules."""
    return sorted({*globals(), *_LAZY_SUBMODULES})


try:
    __version__ = version("partner-of-record")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "DEFAULT_RULES",
    "MICROSOFT_2017",
    "MICROSOFT_2023",
    "Actor",
    "Association",
    "AssociationKind",
    "Competency",
    "Credit",
    "Credits",
    "CurrencyMixError",
    "Customer",
    "DataFileError",
    "DeclarationError",
    "DporOnly",
    "EqualSplit",
    "Evaluation",
    "EvaluationDiff",
    "EventError",
    "Explanation",
    "Finding",
    "Ledger",
    "LedgerError",
    "LenientLoad",
    "LoadReport",
    "MissingRateError",
    "OfferCategory",
    "Partner",
    "PartnerOfRecordError",
    "Policy",
    "PolicyError",
    "Priority",
    "Qualification",
    "RateTable",
    "RecognizeAll",
    "Reconciliation",
    "Reject",
    "Rejection",
    "RequirementResult",
    "Rule",
    "RuleSet",
    "SeatUsage",
    "SerializationError",
    "Span",
    "Subscription",
    "Unattributed",
    "UnknownRecordError",
    "Usage",
    "ValidationError",
    "WeightedSplit",
    "Workload",
    "__version__",
    "attribute",
    "earliest_qualification",
    "evaluate_all",
    "evaluate_competency",
    "export_folder",
    "from_json",
    "load_competency",
    "load_folder",
    "load_json",
    "to_json",
    "what_if",
]
