"""Evaluate every partner at once: each measure computed for all partners in one pass (internal).

``evaluate_all`` attributes the ledger once per set of kinds (``LedgerFacts``), then asks this
module for a *batch* of every measure of the requirement tree: one pass over the credit columns
computes a consumption measure for all the partners evaluated (group sums by partner, customer
and month, distinct customers per partner and period, distinct services); one table of the
credited seats per partner, tenant, workload and month serves the seat measures and
``SeatCustomers`` rules; skills counts are read per partner. Each batched measure is a
``Batched``: every partner's value and eligibility as lists (what ``_scoring`` scores), and a
``build`` that makes the partner's whole [`Measurement`][partner_of_record.evaluation.Measurement]
when an evaluation is read. ``rewrite`` puts the ``Batched`` measures in the requirement tree,
and the readable algebra of ``partner_of_record.evaluation.requirements`` builds the evaluation
from it: reasons, points and findings are the one-partner code's by construction (the seat and
skills builds simply measure the partner on the readable path).

What is not batched is measured partner by partner, unchanged and exact:

* measures of a type missing from ``BATCHERS`` (your own measures), and customer rules other
  than ``AcrCustomers``/``SeatCustomers``/``Shifted``/``Intersection``;
* every consumption measure when a credit is not in US dollars (rates are applied per partner
  on the readable path) or an amount needed Python integers, or when the credit columns cannot
  be read (``credit_columns`` returns ``None``).

The credit columns are read through one function, ``credit_columns``: the only code here that
knows the attribution engine's internal layout.

Where the code lives: this module holds ``Batch`` (the shared state of one call, its caches and
the customer rules' keys) and ``rewrite``; the tables and the group kernels are in
``evaluation/_batch_tables.py``, the batched measures and ``BATCHERS`` in
``evaluation/_batch_measures.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

import attrs
import numpy as np

from partner_of_record.evaluation._batch_measures import BATCHERS
from partner_of_record.evaluation._batch_tables import (
    I64,
    NW,
    AcrTable,
    Batched,
    CreditColumns,
    SeatTable,
    credit_columns,
    group,
    partner_selections,
    subscription_codes,
)
from partner_of_record.evaluation.context import Skills
from partner_of_record.evaluation.measures import (
    AcrCustomers,
    Intersection,
    SeatCustomers,
    SeatScope,
    Shifted,
)
from partner_of_record.evaluation.requirements import (
    AllOf,
    AnyOf,
    AtLeast,
    BestOf,
    Gate,
    PointsSum,
    Scorecard,
    Scored,
)
from partner_of_record.evaluation.sources import LedgerFacts
from partner_of_record.evaluation.time import add_months
from partner_of_record.model import AssociationKind, PartnerId

__all__ = [
    "BATCHERS",
    "AcrTable",
    "Batch",
    "CreditColumns",
    "SeatTable",
    "credit_columns",
    "partner_selections",
    "rewrite",
]


class Batch:
    """The shared state of one ``evaluate_all`` call: facts, partners, month, tables."""

    def __init__(
        self,
        facts: LedgerFacts,
        ids: Sequence[PartnerId],
        month: dt.date,
        skills_of: Callable[[PartnerId], Skills | None] | None = None,
    ) -> None:
        self.facts = facts
        self.skills_of = skills_of
        self.ids = tuple(ids)
        self.pindex = {pid: i for i, pid in enumerate(self.ids)}
        self.month = month
        self._ccode: dict[str, int] | None = None
        self._tables: dict[frozenset[AssociationKind], AcrTable | None] = {}
        self._measures: dict[Any, Batched | None] = {}
        self._rules: dict[tuple[Any, dt.date], I64 | None] = {}
        self._seats: dict[tuple[Any, ...], SeatTable] = {}
        self._sub_codes: dict[tuple[str, ...], tuple[I64, I64, I64]] = {}

    def at(self, month: dt.date) -> Batch:
        """The same partners at another measurement month, sharing every month-free array.

        The consumption tables, seat tables, customer codes and customer-rule keys (keyed by
        their reference month) are shared; only the measures, which depend on the month, are
        computed again. ``earliest_qualification`` scans months this way.
        """
        other = Batch(self.facts, self.ids, month, self.skills_of)
        other._ccode = self.ccode
        other._tables = self._tables
        other._rules = self._rules
        other._seats = self._seats
        other._sub_codes = self._sub_codes
        return other

    def seat_table(self, scope: SeatScope) -> SeatTable:
        """The credited seats of ``scope``'s pairs, every partner (shared by scopes alike)."""
        key = (scope.kinds, scope.workloads, scope.crediting)
        found = self._seats.get(key)
        if found is None:
            found = self._seats[key] = SeatTable(self, scope)
        return found

    @property
    def ccode(self) -> dict[str, int]:
        """Customer id -> code, one code space for every table (sorted: code order is id order).

        Built on first use, so entries without a batched measure pay nothing for it.
        """
        if self._ccode is None:
            ledger = self.facts.ledger
            customers = {c.id for c in ledger.customers}
            customers.update(s.customer_id for s in ledger.subscriptions)
            self._ccode = {c: i for i, c in enumerate(sorted(customers))}
        return self._ccode

    def sub_codes(self, sub_ids: tuple[str, ...]) -> tuple[I64, I64, I64]:
        """Each subscription's customer, workload and offer codes (shared by the tables)."""
        found = self._sub_codes.get(sub_ids)
        if found is None:
            found = self._sub_codes[sub_ids] = subscription_codes(
                self.facts.ledger, sub_ids, self.ccode
            )
        return found

    def table(self, kinds: frozenset[AssociationKind]) -> AcrTable | None:
        """The consumption table for ``kinds`` (one attribution, shared by every entry)."""
        kinds = frozenset(kinds)
        if kinds not in self._tables:
            credits = self.facts.credits(kinds)
            with_kinds = kinds if self.facts.policy is not None else None
            self._tables[kinds] = AcrTable.build(
                credits, self.sub_codes, with_kinds, self.pindex, self.ccode
            )
        return self._tables[kinds]

    def values(
        self, measure: Any, idx: Sequence[int]
    ) -> tuple[Sequence[Decimal | None], Sequence[bool]] | None:
        """The batched measure's values and eligibility at positions ``idx`` (``None``: none)."""
        found = self.measure(measure)
        if found is None:
            return None
        if isinstance(idx, range) and len(idx) == len(self.ids):
            return found.value, found.eligible
        return [found.value[i] for i in idx], [found.eligible[i] for i in idx]

    def measure(self, measure: Any) -> Batched | None:
        """The batched form of ``measure``, or ``None`` (then the readable path measures it)."""
        try:
            return self._measures[measure]
        except KeyError:
            pass
        except TypeError:  # pragma: no cover - an unhashable user measure
            return None
        batcher = BATCHERS.get(type(measure))
        found = batcher(self, measure) if batcher is not None else None
        self._measures[measure] = found
        return found

    # ---------------------------------------------------------------- customer rules

    def rule_keys(self, rule: Any, month: dt.date) -> I64 | None:
        """Qualifying (partner, customer) keys of ``rule`` at ``month``, packed, sorted, unique."""
        key = (rule, month)
        if key in self._rules:
            return self._rules[key]
        found: I64 | None = None
        if isinstance(rule, AcrCustomers):
            found = self._acr_customer_keys(rule, month)
        elif isinstance(rule, SeatCustomers):
            found = self.seat_table(rule.scope).customer_keys(rule, month)
        elif isinstance(rule, Shifted):
            found = self.rule_keys(rule.rule, add_months(month, -rule.lag))
        elif isinstance(rule, Intersection) and rule.rules:
            parts = [self.rule_keys(r, month) for r in rule.rules]
            if all(p is not None for p in parts):
                acc = parts[0]
                for p in parts[1:]:
                    acc = np.intersect1d(acc, p)  # type: ignore[arg-type]
                found = acc
        self._rules[key] = found
        return found

    def _acr_customer_keys(self, rule: AcrCustomers, month: dt.date) -> I64 | None:
        table = self.table(rule.scope.kinds)
        if table is None:
            return None
        months = rule.window.at(month).months
        mask = table.scope_mask(rule.scope) & table.in_months(months)
        nc = max(1, len(table.customer_ids))
        # value / count >= min_usd  <=>  minor >= min_usd x count x 10^exponent (exact: the
        # threshold is an exact Decimal and minor an integer; see the module notes)
        count = len(months) if rule.basis == "average" else 1
        bound = rule.min_usd * count * (Decimal(10) ** table.exponent)
        if rule.strict:
            least = int(bound.to_integral_value(rounding=ROUND_FLOOR)) + 1
        else:
            least = int(bound.to_integral_value(rounding=ROUND_CEILING))
        if rule.basis in ("total", "average"):
            p, c, sums = table.customer_sums(mask)
            ok = sums >= least
            return np.unique(p[ok] * nc + c[ok]) * NW
        nm = 1 << 24
        key = (table.partner[mask] * nc + table.customer[mask]) * nm + (
            table.month[mask] - table.month[mask].min(initial=0)
        )
        uniq, inv = group(key)
        sums = np.zeros(len(uniq), dtype=np.int64)
        np.add.at(sums, inv, table.minor[mask])
        return np.unique(uniq[sums >= least] // nm) * NW

    def union_keys(self, rules: Sequence[Any], month: dt.date) -> I64 | None:
        """The union of the rules' keys (``None`` if one rule is not batched)."""
        parts = [self.rule_keys(r, month) for r in rules]
        if any(p is None for p in parts):
            return None
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# rewriting the requirement tree


def rewrite(requirement: Any, batch: Batch) -> Any:
    """``requirement`` with every batched measure replaced (others, and unknown blocks, kept)."""
    kind = type(requirement)
    if kind in (AtLeast, Scored):
        found = batch.measure(requirement.measure)
        return requirement if found is None else attrs.evolve(requirement, measure=found)
    if kind in (AllOf, AnyOf, BestOf, PointsSum):
        parts = tuple(rewrite(p, batch) for p in requirement.parts)
        return attrs.evolve(requirement, parts=parts)
    if kind is Scorecard:
        return attrs.evolve(
            requirement, metrics=tuple(rewrite(p, batch) for p in requirement.metrics)
        )
    if kind is Gate:
        return attrs.evolve(
            requirement,
            condition=rewrite(requirement.condition, batch),
            then=rewrite(requirement.then, batch),
            otherwise=rewrite(requirement.otherwise, batch),
        )
    return requirement
