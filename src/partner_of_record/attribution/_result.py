"""``Result``: the columns of one ``attribute()`` run, read by ``Credits`` (internal)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import UsageTable
from partner_of_record.attribution import _kernel as k
from partner_of_record.attribution import _rounding
from partner_of_record.attribution._weights import UnitWeights, Weights
from partner_of_record.attribution.kinds import mask_kinds
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import Association, PartnerId, Usage

__all__: list[str] = []  # internal module


class Result:
    """The columns of one ``attribute()`` run (internal; read by ``Credits``).

    Rows are the ledger's usage rows in scope (``scope``: their ledger row numbers, ascending);
    credits and unattributed parts refer to them by position. Money is held as integers of the
    row's currency's minor unit.

    The run is kept as each unit's weights (``units``) and each row's unit (``unit``): the
    per-row entries (``weights``) and their rounding (``alloc``) are made on first use, so
    totals over the whole run can be read from per-unit sums first (``_compact``).
    """

    __slots__ = (
        "_alloc",
        "_weights",
        "associations",
        "big",
        "cache",
        "cur",
        "kept",
        "ledger",
        "minor",
        "policy",
        "policy_name",
        "scope",
        "split",
        "table",
        "timelines",
        "unit",
        "units",
    )

    def __init__(
        self,
        ledger: Ledger,
        table: UsageTable,
        policy: Any,
        scope: npt.NDArray[np.int64] | None,
        units: UnitWeights,
        unit: npt.NDArray[np.int64],
        minor: npt.NDArray[np.int64],
        big: dict[int, int],
        kept: dict[Any, Any],
        associations: list[Association],
        timelines: k.Timelines,
    ) -> None:
        """``minor``: each row's amount in minor units (0 for the rows in ``big``, which holds
        those that do not fit in an int64, by position); ``kept``: where what does not depend on
        the policy is kept (the ledger's cache for a whole-table run)."""
        self.ledger = ledger
        self.table = table
        self.policy = policy
        self.policy_name = str(getattr(policy, "name", type(policy).__name__))
        self.split = bool(getattr(policy, "split", False))
        self.scope = scope
        self.units = units
        self.unit = unit
        self.minor = minor
        self.big = big
        self.kept = kept
        self.associations = associations
        self.timelines = timelines
        self.cur = table.cur if scope is None else table.cur[scope]
        self.cache: dict[Any, Any] = {}
        self._weights: Weights | None = None
        self._alloc: _rounding.Allocation | None = None

    @property
    def weights(self) -> Weights:
        """Each row's exact weights (made on first use)."""
        if self._weights is None:
            self._weights = self.units.rows(self.unit)
        return self._weights

    @property
    def alloc(self) -> _rounding.Allocation:
        """The credit and unattributed columns of every row (rounded on first use)."""
        if self._alloc is None:
            self._alloc = _rounding.allocate(self.weights, self.minor, self.big, split=self.split)
        return self._alloc

    @alloc.setter
    def alloc(self, value: _rounding.Allocation) -> None:
        self._alloc = value

    @property
    def expanded(self) -> bool:
        """Whether the per-row credit columns have been made."""
        return self._alloc is not None

    @property
    def n_rows(self) -> int:
        return len(self.unit)

    @property
    def partners(self) -> tuple[PartnerId, ...]:
        return self.units.partners

    @property
    def currencies(self) -> tuple[str, ...]:
        return self.table.currencies

    @property
    def exponents(self) -> tuple[int, ...]:
        return tuple(minor_unit_exponent(c) for c in self.table.currencies)

    def ledger_row(self, i: int) -> int:
        return i if self.scope is None else int(self.scope[i])

    def usage(self, i: int) -> Usage:
        """The usage row at position ``i`` of the scope."""
        return self.ledger.usage[self.ledger_row(i)]

    def row_array(self, column: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """A table column restricted to the rows in scope."""
        return column if self.scope is None else column[self.scope]

    def minors(self) -> npt.NDArray[Any]:
        """Each row's amount in minor units, read from the ledger's table (object dtype when a
        row does not fit int64)."""
        minor = self.row_array(self.table.minor)
        big = self.table.big
        if not big:
            return minor
        out = minor.astype(object)
        rows = range(len(out)) if self.scope is None else self.scope.tolist()
        for i, r in enumerate(rows):
            if r in big:
                out[i] = big[r]
        return out

    def share(self, i: int, partner: int) -> Fraction:
        """A partner's exact share of row ``i``'s amount."""
        w, u = self.units, int(self.unit[i])
        lo = int(w.start[u])
        for e in range(lo, lo + int(w.count[u])):
            if int(w.partner[e]) == partner:
                return Fraction(int(w.num[e]), int(w.den[u]))
        return Fraction(0)

    def unattributed_days(self, i: int) -> int:
        """The number of days of row ``i``'s month on which no partner was credited."""
        u = int(self.unit[i])
        days = int(self.units.uncovered[u])
        if days < 0:
            month = self.row_array(self.table.month)[i : i + 1]
            days = int(k.month_ends(month)[0] - month[0])
            return days if self.units.unatt[u] else 0
        return days

    def kinds(self, mask: int) -> frozenset[Any]:
        return mask_kinds(mask)
