"""Attribution: which partners are credited with each usage row, and why.

``attribute(ledger, policy)`` returns [`Credits`][partner_of_record.Credits]; the policies live in
[`partner_of_record.policies`][partner_of_record.policies].
"""

from __future__ import annotations

from partner_of_record.attribution.credits import FIELDS, Credits
from partner_of_record.attribution.engine import attribute
from partner_of_record.attribution.errors import CurrencyMixError, PolicyError, UnknownPolicyError
from partner_of_record.attribution.policies import (
    Award,
    Decision,
    DporOnly,
    EqualSplit,
    Policy,
    Priority,
    RecognizeAll,
    WeightedSplit,
)
from partner_of_record.attribution.reconcile import (
    CurrencyReconciliation,
    Reconciliation,
    RowLines,
    RowReconciliation,
)
from partner_of_record.attribution.records import Credit, Explanation, Span, Unattributed

__all__ = [
    "FIELDS",
    "Award",
    "Credit",
    "Credits",
    "CurrencyMixError",
    "CurrencyReconciliation",
    "Decision",
    "DporOnly",
    "EqualSplit",
    "Explanation",
    "Policy",
    "PolicyError",
    "Priority",
    "RecognizeAll",
    "Reconciliation",
    "RowLines",
    "RowReconciliation",
    "Span",
    "Unattributed",
    "UnknownPolicyError",
    "WeightedSplit",
    "attribute",
]
