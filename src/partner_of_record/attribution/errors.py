"""The attribution engine's exceptions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from partner_of_record.errors import PartnerOfRecordError

__all__ = ["CurrencyMixError", "PolicyError", "UnknownPolicyError"]


class PolicyError(PartnerOfRecordError, ValueError):
    """A credit policy returned shares the engine cannot use.

    Raised for a negative share, a share that is not an exact number (a ``float``), a partner
    that has no association in effect during the span, a share above 1, or, for a policy that
    declares itself a split, shares that do not sum to 1.

    Attributes:
        policy: the policy's ``name``.
        usage: the usage row being attributed, as ``Usage.describe()`` text.
        span_start: the first day of the span.
        span_end: the first day after the span.
        reason: what is wrong with the shares.
    """

    def __init__(
        self, policy: str, usage: str, span_start: dt.date, span_end: dt.date, reason: str
    ) -> None:
        self.policy = policy
        self.usage = usage
        self.span_start = span_start
        self.span_end = span_end
        self.reason = reason
        super().__init__(
            f"policy {policy!r} on usage row {usage!r}, span "
            f"[{span_start.isoformat()}, {span_end.isoformat()}): {reason}"
        )


class CurrencyMixError(PartnerOfRecordError, ValueError):
    """One total was asked over amounts in several currencies.

    Amounts in different currencies are never added together; convert them first (the evaluator
    takes a rate table), or total per currency (``totals(by=("partner_id", "currency"))``).

    Attributes:
        currencies: the currencies found in the selection, sorted.
    """

    def __init__(self, currencies: Iterable[str], what: str = "total") -> None:
        self.currencies: tuple[str, ...] = tuple(sorted(currencies))
        super().__init__(
            f"cannot compute one {what} over several currencies ({', '.join(self.currencies)}); "
            "filter by currency=..., group by 'currency', or convert the amounts first"
        )


class UnknownPolicyError(PartnerOfRecordError, LookupError):
    """No built-in or registered policy has the requested name.

    Attributes:
        name: the name that was asked for.
        available: the names that exist.
        suggestion: the closest available name, or ``None``.
    """

    def __init__(self, name: str, available: Iterable[str], suggestion: str | None) -> None:
        self.name = name
        self.available: tuple[str, ...] = tuple(sorted(available))
        self.suggestion = suggestion
        text = f"no credit policy named {name!r}; available: {', '.join(self.available)}"
        if suggestion:
            text += f" (did you mean {suggestion!r}?)"
        super().__init__(text)
