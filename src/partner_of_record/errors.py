"""The project's errors and findings.

Two channels, on purpose:

* **Exceptions** for misuse and for bad input at the boundary. They all derive from
  [`PartnerOfRecordError`][partner_of_record.PartnerOfRecordError]; the ones caused by a bad value
  are also `ValueError`s, so ``except ValueError`` keeps working for callers that do not know us.
* **Findings** for domain problems found while loading or evaluating: values with a stable
  ``code`` (listed in the docs), a readable ``message`` and the ``subject`` they are about.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import attrs

__all__ = [
    "Finding",
    "LedgerError",
    "PartnerOfRecordError",
    "Severity",
    "ValidationError",
]


class PartnerOfRecordError(Exception):
    """Root of every exception this library raises on purpose."""


class ValidationError(PartnerOfRecordError, ValueError):
    """A value did not pass validation when a record was built.

    Attributes:
        record: the record type, e.g. ``"Usage"``.
        field: the field that holds the bad value, e.g. ``"month"``.
        value: the bad value itself.
        reason: what is wrong with it.
        suggestion: a hint that would fix it, or ``None``.
    """

    def __init__(
        self,
        record: str,
        field: str,
        value: object,
        reason: str,
        suggestion: str | None = None,
    ) -> None:
        self.record = record
        self.field = field
        self.value = value
        self.reason = reason
        self.suggestion = suggestion
        text = f"{record}.{field}: {value!r} {reason}"
        if suggestion:
            text += f" ({suggestion})"
        super().__init__(text)


Severity = Literal["error", "warning", "info"]
"""``"error"`` (the record breaks a rule, is not kept), ``"warning"`` (kept, suspicious) or
``"info"`` (kept, worth knowing, e.g. a DPOR handover)."""


@attrs.frozen
class Finding:
    """A domain problem, reported as a value rather than raised.

    Attributes:
        code: a stable identifier such as ``"DPOR_OVERLAP"``; the docs list every code.
        message: a readable sentence that names the record(s) involved.
        subject: the record(s) the finding is about (model values), in a tuple.
        severity: ``"error"`` when the record was (or would be) rejected, ``"warning"`` when it
            is kept but suspicious, ``"info"`` when it is kept and only worth knowing.
    """

    code: str
    message: str
    subject: tuple[Any, ...] = ()
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"


class LedgerError(PartnerOfRecordError, ValueError):
    """A set of facts broke the ledger's checks; ``findings`` lists **every** problem.

    Attributes:
        findings: one [`Finding`][partner_of_record.Finding] per problem, each naming its record(s).
    """

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings: tuple[Finding, ...] = tuple(findings)
        count = len(self.findings)
        head = f"{count} problem{'s' if count != 1 else ''} in the ledger:"
        lines = [head, *(f"  - {f}" for f in self.findings)]
        super().__init__("\n".join(lines))
