"""The result tables' columns and rows: credits, unattributed parts, reconciliations, findings,
evaluations, rejects (internal; re-exported by ``partner_of_record.io.export``).

Each result table is a tuple of ``(column, description)`` pairs (the documentation of the file)
and a function turning one result value into a row of Python values; the writers of
``io._result_writers`` turn the rows into CSV, JSON or a DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from partner_of_record.errors import Finding
from partner_of_record.model import KEY_FIELDS, Record, Usage

if TYPE_CHECKING:  # result types are only annotations: exporting facts never imports them
    from partner_of_record.attribution.reconcile import RowReconciliation
    from partner_of_record.attribution.records import Credit, Unattributed
    from partner_of_record.evaluation.results import Evaluation

__all__ = [
    "CREDIT_COLUMNS",
    "EVALUATION_COLUMNS",
    "FINDING_COLUMNS",
    "RECONCILIATION_COLUMNS",
    "REJECT_COLUMNS",
    "UNATTRIBUTED_COLUMNS",
    "Columns",
    "credit_row",
    "evaluation_rows",
    "finding_row",
    "reconciliation_row",
    "unattributed_row",
]

Columns = tuple[tuple[str, str], ...]
"""A result table's documentation: ``(column, description)`` pairs, in file order."""

CREDIT_COLUMNS: Columns = (
    ("partner_id", "The credited partner."),
    ("subscription_id", "The subscription that consumed."),
    ("customer_id", "The customer tenant that owns the subscription."),
    ("workload", "The subscription's workload, by value (azure, office_365 ...)."),
    ("month", "The first day of the usage month (YYYY-MM-DD)."),
    ("service", "The usage row's service; empty when not known."),
    ("currency", "ISO 4217 code of the amount."),
    ("amount", "The credited amount, rounded to the currency's minor unit."),
    ("kinds", "The association kinds that earned the credit (CSV: 'dpor|pal'; JSON: a list)."),
    ("share", "The exact fraction of the usage amount credited before rounding ('1/2')."),
    ("policy", "The attribution policy's name."),
    ("rule", "The rule of the policy that decided the credit."),
)
"""The columns of a credits file."""

UNATTRIBUTED_COLUMNS: Columns = (
    ("subscription_id", "The subscription of the usage row."),
    ("month", "The first day of the usage month."),
    ("service", "The usage row's service; empty when not known."),
    ("currency", "ISO 4217 code."),
    ("usage_amount", "The usage row's whole amount."),
    ("amount", "The part nobody was credited with, rounded to the minor unit."),
    ("days", "Days of the month on which no partner was credited."),
    ("reason", "Why, in words."),
)
"""The columns of an unattributed-usage file."""

RECONCILIATION_COLUMNS: Columns = (
    ("subscription_id", "The subscription of the usage row."),
    ("month", "The first day of the usage month."),
    ("service", "The usage row's service; empty when not known."),
    ("currency", "ISO 4217 code."),
    ("amount", "The row's amount, rounded to the minor unit."),
    ("credited", "The sum of the row's credits over partners."),
    ("largest_credit", "The largest single partner credit."),
    ("unattributed", "The part nobody was credited with."),
    ("partners", "How many credits the row has."),
    ("ok", "Whether the row passes its reconciliation check (true/false)."),
    ("problem", "What is wrong; empty when ok."),
)
"""The columns of a reconciliation file (one row per usage row)."""

FINDING_COLUMNS: Columns = (
    ("code", "The finding's stable code (DPOR_OVERLAP ...)."),
    ("severity", "error or warning."),
    ("message", "The readable message, naming the records."),
    ("subject", "Short labels of the records it is about, joined by '; '."),
)
"""The columns of a findings file."""

EVALUATION_COLUMNS: Columns = (
    ("competency", "The competency or designation's name."),
    ("partner_id", "The partner evaluated."),
    ("as_of", "The day of the evaluation."),
    ("month", "The measurement month (first day)."),
    ("evaluation_met", "Whether the whole competency is met (true/false)."),
    ("score", "The total points; empty for unscored competencies."),
    ("max_score", "The most points there are; empty for unscored competencies."),
    ("requirement", "The requirement's path in the tree (enterprise.usage_growth)."),
    ("kind", "The building block (scored, at_least, scorecard ...)."),
    ("measured", "The measured value, in unit; empty when not measured."),
    ("unit", "USD, percent, points or a plural noun (customers)."),
    ("threshold", "The value needed (for scored metrics, the value for full points)."),
    ("met", "Whether this requirement is met (true/false)."),
    ("shortfall", "What is still missing to reach the threshold, in unit."),
    (
        "to_full_points",
        "For a scored metric: what is still missing to earn its full points, in unit; empty"
        " otherwise.",
    ),
    ("points", "Points scored; empty for unscored requirements."),
    ("max_points", "The cap; empty for unscored requirements."),
    ("reason", "Why, in one sentence."),
    ("detail", "How the value was obtained."),
    ("customers", "Customer ids that counted, joined by '|'."),
)
"""The columns of an evaluations file: one row per requirement (the whole tree) per evaluation."""


REJECT_COLUMNS: Columns = (
    ("file", "The file (for JSON: the document, '#' and the list)."),
    ("line", "The line where the row starts (JSON: the item's position in its list)."),
    ("column", "The column as its header is written in the file; empty for the whole row."),
    ("value", "The offending text."),
    ("reason", "What is wrong."),
    ("code", "The stable reject code (EMPTY_FILE, INVALID_VALUE, DPOR_OVERLAP ...)."),
)
"""The columns of a rejects file (a load report's rejects)."""


def _label(subject: object) -> str:
    """A finding subject as text: a record's ``describe()``, anything else as ``str``."""
    return subject.describe() if isinstance(subject, Record) else str(subject)


def credit_row(credit: Credit) -> dict[str, object]:
    """Return one credit as a row of ``CREDIT_COLUMNS`` (Python values).

    Args:
        credit: a credit from [`Credits`][partner_of_record.Credits].

    Returns:
        A dict keyed by column name.
    """
    return {
        "partner_id": credit.partner_id,
        "subscription_id": credit.subscription_id,
        "customer_id": credit.customer_id,
        "workload": credit.workload,
        "month": credit.month,
        "service": credit.service,
        "currency": credit.currency,
        "amount": credit.amount,
        "kinds": frozenset(k.value for k in credit.kinds),
        "share": credit.share,
        "policy": credit.explanation.policy,
        "rule": credit.explanation.rule,
    }


def _usage_key(usage: Usage) -> dict[str, object]:
    """The columns that name a usage row: its ``KEY_FIELDS`` (subscription, month, service,
    currency)."""
    return dict(zip(KEY_FIELDS[Usage], usage.key, strict=True))


def unattributed_row(part: Unattributed) -> dict[str, object]:
    """Return one unattributed part as a row of ``UNATTRIBUTED_COLUMNS``.

    Args:
        part: an item of ``Credits.unattributed``.

    Returns:
        A dict keyed by column name.
    """
    return {
        **_usage_key(part.usage),
        "usage_amount": part.usage.amount,
        "amount": part.amount,
        "days": part.days,
        "reason": part.reason,
    }


def reconciliation_row(row: RowReconciliation) -> dict[str, object]:
    """Return one usage row's reconciliation as a row of ``RECONCILIATION_COLUMNS``.

    Args:
        row: an item of ``Reconciliation.rows``.

    Returns:
        A dict keyed by column name.
    """
    return {
        **_usage_key(row.usage),
        "amount": row.amount,
        "credited": row.credited,
        "largest_credit": row.largest_credit,
        "unattributed": row.unattributed,
        "partners": row.partners,
        "ok": row.ok,
        "problem": row.problem,
    }


def finding_row(finding: Finding) -> dict[str, object]:
    """Return one finding as a row of ``FINDING_COLUMNS``.

    Args:
        finding: any [`Finding`][partner_of_record.Finding].

    Returns:
        A dict keyed by column name.
    """
    return {
        "code": finding.code,
        "severity": finding.severity,
        "message": finding.message,
        "subject": "; ".join(_label(s) for s in finding.subject),
    }


def evaluation_rows(evaluation: Evaluation) -> Iterator[dict[str, object]]:
    """Yield one row of ``EVALUATION_COLUMNS`` per requirement of an evaluation's tree.

    Args:
        evaluation: an evaluation result.

    Yields:
        A dict keyed by column name, the root requirement first, then depth first.
    """
    head: dict[str, object] = {
        "competency": evaluation.competency,
        "partner_id": evaluation.partner_id,
        "as_of": evaluation.as_of,
        "month": evaluation.month,
        "evaluation_met": evaluation.met,
        "score": evaluation.score,
        "max_score": evaluation.max_score,
    }
    for path, result in evaluation.result.walk():
        yield {
            **head,
            "requirement": path,
            "kind": result.kind,
            "measured": result.measured,
            "unit": result.unit,
            "threshold": result.threshold,
            "met": result.met,
            "shortfall": result.shortfall,
            "to_full_points": result.to_full_points,
            "points": result.points,
            "max_points": result.max_points,
            "reason": result.reason,
            "detail": result.detail,
            "customers": tuple(result.customers),
        }
