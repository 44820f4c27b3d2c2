"""Column storage for the result of one attribution run (internal)."""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Callable, Sequence
from decimal import MAX_EMAX, MIN_EMIN, ROUND_HALF_EVEN, Context, Decimal
from typing import Any

from partner_of_record.attribution.spans import KEY_SHIFT, KIND_MASK, Plan
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId, Usage, month_days

__all__: list[str] = []  # internal module


_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)


def to_minor(amount: Decimal, exponent: int) -> int:
    """Return ``amount`` in integer minor units, rounded half to even."""
    return round(amount.scaleb(exponent, _EXACT))


class Store:
    """Everything one ``attribute()`` run produced, held in parallel columns.

    Rows are the usage rows in scope (ledger order); credits and unattributed parts refer to them
    by index. Money is held as integers of the currency's minor unit.
    """

    __slots__ = (
        "c_key",
        "c_minor",
        "c_row",
        "cache",
        "currencies",
        "end",
        "exponents",
        "ledger",
        "partners",
        "policy",
        "policy_name",
        "row_plan",
        "rows",
        "split",
        "start",
        "u_minor",
        "u_row",
        "values",
    )

    def __init__(
        self, ledger: Ledger, policy: Any, start: dt.date | None, end: dt.date | None
    ) -> None:
        self.ledger = ledger
        self.policy = policy
        self.policy_name = str(getattr(policy, "name", type(policy).__name__))
        self.split = bool(getattr(policy, "split", False))
        self.start = start
        self.end = end
        self.rows: Sequence[Usage] = ()
        self.row_plan: list[Plan] = []
        self.currencies: list[str] = []
        self.exponents: list[int] = []
        self.partners: list[PartnerId] = []
        self.c_row = array("q")
        self.c_key = array("q")
        self.c_minor: list[int] = []
        self.u_row = array("q")
        self.u_minor: list[int] = []
        self.values: dict[str, list[Any]] = {}
        self.cache: dict[Any, Any] = {}

    @property
    def c_partner(self) -> array[int]:
        """Each credit's partner index (derived from ``c_key``, cached)."""
        key = ("c_partner", len(self.c_key))
        found: array[int] | None = self.cache.get(key)
        if found is None:
            found = self.cache[key] = array("q", (k >> KEY_SHIFT for k in self.c_key))
        return found

    @property
    def c_kinds(self) -> array[int]:
        """Each credit's kinds mask (derived from ``c_key``, cached)."""
        key = ("c_kinds", len(self.c_key))
        found: array[int] | None = self.cache.get(key)
        if found is None:
            found = self.cache[key] = array("q", (k & KIND_MASK for k in self.c_key))
        return found

    @property
    def row_cur(self) -> array[int]:
        """Each row's currency index (cached)."""
        key = ("row_cur", len(self.rows))
        found: array[int] | None = self.cache.get(key)
        if found is None:
            if len(self.currencies) <= 1:
                found = array("q", [0]) * len(self.rows)
            else:
                index = {c: i for i, c in enumerate(self.currencies)}
                found = array("q", (index[u.currency] for u in self.rows))
            self.cache[key] = found
        return found

    def row_values(self, field: str) -> list[Any]:
        """Return one value per row for a row-level credit field (cached)."""
        found = self.values.get(field)
        if found is not None:
            return found
        get: Callable[[Usage], Any]
        if field == "subscription_id":
            get = _attr("subscription_id")
        elif field == "month":
            get = _attr("month")
        elif field == "service":
            get = _attr("service")
        elif field == "currency":
            get = _attr("currency")
        elif field in ("customer_id", "workload"):
            subs: dict[str, Any] = {}
            ledger = self.ledger

            def get(u: Usage) -> Any:
                sub = subs.get(u.subscription_id)
                if sub is None:
                    sub = subs[u.subscription_id] = ledger.subscription(u.subscription_id)
                return getattr(sub, field)

        else:  # pragma: no cover - guarded by the callers
            msg = f"not a row field: {field}"
            raise KeyError(msg)
        found = [get(u) for u in self.rows]
        self.values[field] = found
        return found

    def unattributed_days(self, row: int) -> int:
        """Return the number of days of the row's month with no partner credited."""
        plan = self.row_plan[row]
        if plan.uncovered_days < 0:  # a whole month inside one segment
            return month_days(self.rows[row].month) if plan.unattributed else 0
        return plan.uncovered_days


def _attr(name: str) -> Callable[[Usage], Any]:
    def get(u: Usage) -> Any:
        return getattr(u, name)

    return get
