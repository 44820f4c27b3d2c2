"""partner_of_record: which partner gets credit for this cloud consumption, and does it qualify?"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from partner_of_record.errors import (
    Finding,
    LedgerError,
    PartnerOfRecordError,
    ValidationError,
)
from partner_of_record.ledger import Ledger
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

try:
    __version__ = version("partner-of-record")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "Actor",
    "Association",
    "AssociationKind",
    "Customer",
    "Finding",
    "Ledger",
    "LedgerError",
    "OfferCategory",
    "Partner",
    "PartnerOfRecordError",
    "SeatUsage",
    "Subscription",
    "Usage",
    "ValidationError",
    "Workload",
    "__version__",
]
