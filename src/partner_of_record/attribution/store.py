"""Storage for the result of one attribution run (internal).

The engine stores one plan per usage row. Everything else is derived from the rows and their
plans when first asked for, and cached:

* ``summary()``: each partner's total and the unattributed total per currency, computed per
  plan rather than per credit (a plan crediting every partner the whole amount only needs the
  exact sum of its rows' amounts), which is what ``totals(by="partner_id")`` reads;
* the credit columns ``c_row``, ``c_key``, ``c_minor`` (and ``u_row``, ``u_minor`` for the
  unattributed parts), one entry per credit, in row order: built the first time a caller
  iterates, filters, explains or reconciles. Once built they are the stored truth that
  ``reconcile()`` checks against the ledger's input amounts.
"""

from __future__ import annotations

import datetime as dt
import gc
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    Inexact,
    Rounded,
    localcontext,
)
from operator import attrgetter, mul
from typing import Any

from partner_of_record.attribution.spans import KEY_SHIFT, KIND_MASK, Plan, round_half_even
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.ledger import Ledger
from partner_of_record.model import PartnerId, Usage, month_days

__all__: list[str] = []  # internal module


EXACT_TRAPPED = Context(
    prec=60, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact]
)
"""Amount x 10^exponent is computed exactly (an amount of more than 60 digits is refused)."""

SUMMING = Context(
    prec=60, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[Inexact, Rounded]
)
"""Sums are exact and keep the smallest exponent of their terms (no digit is dropped)."""
_AMOUNT = attrgetter("amount")
_CURRENCY = attrgetter("currency")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector.

    The attribution loops make many small containers and no reference cycles: the collector
    would only rescan the (large) ledger again and again.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def minor_units(amounts: Iterable[Decimal], scale: Decimal) -> list[int]:
    """Return each amount in minor units (``scale`` is ``10 ** exponent``), half to even.

    ``round()`` of a ``Decimal`` rounds half to even; the product is exact (or refused).
    """
    with localcontext(EXACT_TRAPPED):
        return list(map(round, map(scale.__rmul__, amounts)))


def _exact_sum(amounts: list[Decimal], exponent: int, scale: Decimal) -> int:
    """Return the sum of the amounts, each first rounded to minor units, in minor units.

    The decimal sum is exact (or refused), and its exponent is the smallest of the amounts'
    exponents: when it is at least ``-exponent`` no amount has more decimals than the currency,
    so none needs rounding and the sum is converted once (the usual case). Otherwise each
    amount is rounded first.
    """
    try:
        with localcontext(SUMMING):
            total = sum(amounts, Decimal(0))
            found = total.as_tuple().exponent
            if isinstance(found, int) and found >= -exponent:
                return int(total.scaleb(exponent))
    except (Inexact, Rounded):  # more than 60 digits: round each amount (which refuses it too)
        pass
    return sum(minor_units(amounts, scale))


class Summary:
    """Per currency index: credited minor units per partner index, the unattributed total, and
    how many credits and unattributed parts there are."""

    __slots__ = ("credit_counts", "credited", "unattributed", "unattributed_counts")

    def __init__(self, currencies: int) -> None:
        self.credited: list[dict[int, int]] = [{} for _ in range(currencies)]
        self.credit_counts = [0] * currencies
        self.unattributed = [0] * currencies
        self.unattributed_counts = [0] * currencies

    def add_whole(self, plan: Plan, total: int, rows: int, cur: int) -> None:
        """Add ``rows`` rows whose amounts sum to ``total``, under a plan that credits each
        partner the whole amount, or (no partner) leaves the whole amount unattributed."""
        acc = self.credited[cur]
        self.credit_counts[cur] += len(plan.keys) * rows
        for key in plan.keys:
            p = key >> KEY_SHIFT
            acc[p] = acc.get(p, 0) + total
        if not plan.keys:
            self.unattributed[cur] += total
            self.unattributed_counts[cur] += rows

    def add_rows(self, plans: list[Plan], minors: list[int], cur: int, *, split: bool) -> None:
        """Add rows one by one (plans that round each row), given their minor units."""
        acc = self.credited[cur]
        get = acc.get
        left = 0
        credits = 0
        unattributed = 0
        for plan, a in zip(plans, minors, strict=True):
            credits += len(plan.keys)
            if plan.unattributed:
                unattributed += 1
            equal = plan.equal
            if split and equal:  # n equal parts: largest remainder in partner order
                sign = -1 if a < 0 else 1
                q, r = divmod(a * sign, equal)
                for i, p in enumerate(plan.pids):
                    acc[p] = get(p, 0) + sign * (q + 1 if i < r else q)
                continue
            if split:
                parts, rest = plan.allocate(a, split=split)
                for p, part in zip(plan.pids, parts, strict=False):
                    acc[p] = get(p, 0) + part
                if rest is not None:
                    left += rest
                continue
            den = plan.denominator  # recognising: each credit rounded half to even (inlined)
            for p, n in zip(plan.pids, plan.parts, strict=True):
                q, rem = divmod(a * n, den)
                if 2 * rem > den or (2 * rem == den and q & 1):
                    q += 1
                acc[p] = get(p, 0) + q
            if plan.unattributed:
                left += round_half_even(a * plan.unattributed, den)
        self.credit_counts[cur] += credits
        self.unattributed[cur] += left
        self.unattributed_counts[cur] += unattributed


def _takes_whole_amount(plan: Plan) -> bool:
    """Whether every credit (or, with no partner, the unattributed part) is the whole amount."""
    if plan.mode < 2:
        return True
    return not plan.keys and plan.unattributed == plan.denominator


class Store:
    """Everything one ``attribute()`` run produced.

    Rows are the usage rows in scope (ledger order); credits and unattributed parts refer to them
    by index. Money is held as integers of the currency's minor unit.
    """

    __slots__ = (
        "_columns",
        "_minors",
        "_replan",
        "_row_plan",
        "_summary",
        "cache",
        "currencies",
        "end",
        "exponents",
        "ledger",
        "partners",
        "policy",
        "policy_name",
        "rows",
        "split",
        "start",
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
        self._row_plan: list[Plan] | None = []
        self._replan: Callable[[], list[Plan]] | None = None
        self.currencies: list[str] = []
        self.exponents: list[int] = []
        self.partners: list[PartnerId] = []
        self.values: dict[str, list[Any]] = {}
        self.cache: dict[Any, Any] = {}
        self._columns: tuple[array[int], array[int], list[int], array[int], list[int]] | None
        self._columns = None
        self._minors: list[int] | None = None
        self._summary: Summary | None = None

    def set_rows(
        self, rows: Sequence[Usage], plans: list[Plan], currencies: list[str] | None = None
    ) -> None:
        """Store the rows in scope, their plans, and their currencies (in order of appearance;
        pass ``currencies`` when already known)."""
        self.rows = rows
        self._row_plan = plans
        if currencies is None:
            currencies = list(dict.fromkeys(map(_CURRENCY, rows)))
        self.currencies = currencies
        self.exponents = [minor_unit_exponent(c) for c in self.currencies]

    def set_tallies(
        self,
        rows: Sequence[Usage],
        currencies: list[str],
        summary: Summary,
        replan: Callable[[], list[Plan]],
    ) -> None:
        """Store the rows in scope, their currencies (in order of appearance), and the totals
        the engine computed from its tallies.

        Each row's plan, needed only for the credit columns and explanations, is made by
        ``replan`` on first use.
        """
        self.set_rows(rows, [], currencies)
        self._row_plan = None
        self._replan = replan
        self._summary = summary

    @property
    def tallied(self) -> bool:
        """Whether the totals came from the engine's tallies (no plan per row needed)."""
        return self._replan is not None

    @property
    def row_plan(self) -> list[Plan]:
        """Each row's plan (made on first use when the engine tallied the amounts)."""
        if self._row_plan is None:
            assert self._replan is not None
            self._row_plan = self._replan()
        return self._row_plan

    # ------------------------------------------------------------------ per-row amounts

    def _scales(self) -> list[Decimal]:
        return [Decimal(10) ** e for e in self.exponents]

    def minors(self) -> list[int]:
        """Each row's amount in integer minor units, rounded half to even (cached)."""
        if self._minors is None:
            scales = self._scales()
            amounts = map(_AMOUNT, self.rows)
            if len(scales) == 1:
                self._minors = minor_units(amounts, scales[0])
            else:
                with localcontext(EXACT_TRAPPED):
                    self._minors = list(
                        map(round, map(mul, amounts, map(scales.__getitem__, self.row_cur)))
                    )
        return self._minors

    # ------------------------------------------------------------------ totals per plan

    def summary(self) -> Summary:
        """Totals per partner and currency over every row, computed per plan (cached)."""
        if self._summary is None:
            with paused_gc():
                self._summary = self._summarise()
        return self._summary

    def _summarise(self) -> Summary:
        n_cur = len(self.currencies)
        summary = Summary(n_cur)
        buckets: list[defaultdict[Plan, list[Decimal]]] = [defaultdict(list) for _ in range(n_cur)]
        amounts = map(_AMOUNT, self.rows)
        if n_cur == 1:
            by_plan = map(buckets[0].__getitem__, self.row_plan)
        else:
            by_plan = map(dict.__getitem__, map(buckets.__getitem__, self.row_cur), self.row_plan)
        deque(map(list.append, by_plan, amounts), maxlen=0)  # group the amounts by plan
        for cur, (exp, scale) in enumerate(zip(self.exponents, self._scales(), strict=True)):
            plans: list[Plan] = []
            amounts_of: list[Decimal] = []
            for plan, group in buckets[cur].items():
                if _takes_whole_amount(plan):
                    summary.add_whole(plan, _exact_sum(group, exp, scale), len(group), cur)
                elif len(group) == 1:
                    plans.append(plan)
                    amounts_of += group
                else:
                    plans += [plan] * len(group)
                    amounts_of += group
            summary.add_rows(plans, minor_units(amounts_of, scale), cur, split=self.split)
        return summary

    def credit_count(self) -> int:
        """The number of credits (from the columns once they exist)."""
        if self._columns is not None:
            return len(self._columns[0])
        return sum(self.summary().credit_counts)

    def unattributed_count(self) -> int:
        """The number of unattributed parts (from the columns once they exist)."""
        if self._columns is not None:
            return len(self._columns[3])
        return sum(self.summary().unattributed_counts)

    # ------------------------------------------------------------------ credit columns

    @property
    def materialised(self) -> bool:
        """Whether the credit columns have been built."""
        return self._columns is not None

    def columns(self) -> tuple[array[int], array[int], list[int], array[int], list[int]]:
        """``(c_row, c_key, c_minor, u_row, u_minor)``, built from the plans on first use."""
        if self._columns is None:
            with paused_gc():
                self._columns = self._build_columns()
        return self._columns

    def _build_columns(self) -> tuple[array[int], array[int], list[int], array[int], list[int]]:
        c_rows: array[int] = array("q")
        c_keys: array[int] = array("q")
        c_minors: list[int] = []
        u_rows: array[int] = array("q")
        u_minors: list[int] = []
        c_row, c_key, c_minor = c_rows.append, c_keys.append, c_minors.append
        u_row, u_minor = u_rows.append, u_minors.append
        split = self.split
        for r, (plan, a) in enumerate(zip(self.row_plan, self.minors(), strict=True)):
            mode = plan.mode
            if mode == 0:
                c_row(r)
                c_key(plan.fast_key)
                c_minor(a)
                continue
            if mode == 1:
                for key in plan.keys:
                    c_row(r)
                    c_key(key)
                    c_minor(a)
                continue
            parts, rest = plan.allocate(a, split=split)
            for key, part in zip(plan.keys, parts, strict=False):
                c_row(r)
                c_key(key)
                c_minor(part)
            if rest is not None:
                u_row(r)
                u_minor(rest)
        return c_rows, c_keys, c_minors, u_rows, u_minors

    @property
    def c_row(self) -> array[int]:
        """Each credit's row index."""
        return self.columns()[0]

    @property
    def c_key(self) -> array[int]:
        """Each credit's packed key: ``partner index << KEY_SHIFT | kinds mask``."""
        return self.columns()[1]

    @property
    def c_minor(self) -> list[int]:
        """Each credit's amount in minor units."""
        return self.columns()[2]

    @property
    def u_row(self) -> array[int]:
        """Each unattributed part's row index."""
        return self.columns()[3]

    @property
    def u_minor(self) -> list[int]:
        """Each unattributed part's amount in minor units."""
        return self.columns()[4]

    def _derived(self, name: str, make: Callable[[], array[int]]) -> array[int]:
        key = (name, len(self.c_key))
        found: array[int] | None = self.cache.get(key)
        if found is None:
            found = self.cache[key] = make()
        return found

    @property
    def c_partner(self) -> array[int]:
        """Each credit's partner index (derived from ``c_key``, cached)."""
        return self._derived("c_partner", lambda: array("q", (k >> KEY_SHIFT for k in self.c_key)))

    @property
    def c_kinds(self) -> array[int]:
        """Each credit's kinds mask (derived from ``c_key``, cached)."""
        return self._derived("c_kinds", lambda: array("q", (k & KIND_MASK for k in self.c_key)))

    def partner_ids(self) -> dict[PartnerId, int]:
        """Each credited partner's index (cached)."""
        key = ("partner_ids", len(self.partners))
        found: dict[PartnerId, int] | None = self.cache.get(key)
        if found is None:
            found = self.cache[key] = {p: i for i, p in enumerate(self.partners)}
        return found

    def by_partner(self) -> dict[int, array[int]]:
        """The credit indices of each partner index, in credit order (cached)."""
        key = ("by_partner", len(self.c_key))
        found: dict[int, array[int]] | None = self.cache.get(key)
        if found is None:
            lists: defaultdict[int, list[int]] = defaultdict(list)
            positions = range(len(self.c_key))
            with paused_gc():
                owners = map(lists.__getitem__, self.c_partner)
                deque(map(list.append, owners, positions), maxlen=0)
                found = self.cache[key] = {p: array("q", idx) for p, idx in lists.items()}
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
                found = array("q", map(index.__getitem__, map(_CURRENCY, self.rows)))
            self.cache[key] = found
        return found

    def row_values(self, field: str) -> list[Any]:
        """Return one value per row for a row-level credit field (cached)."""
        found = self.values.get(field)
        if found is not None:
            return found
        if field in ("subscription_id", "month", "service", "currency"):
            found = list(map(attrgetter(field), self.rows))
        elif field in ("customer_id", "workload"):
            subs: dict[str, Any] = {}
            ledger = self.ledger
            found = []
            for u in self.rows:
                sub = subs.get(u.subscription_id)
                if sub is None:
                    sub = subs[u.subscription_id] = ledger.subscription(u.subscription_id)
                found.append(getattr(sub, field))
        else:  # pragma: no cover - guarded by the callers
            msg = f"not a row field: {field}"
            raise KeyError(msg)
        self.values[field] = found
        return found

    def unattributed_days(self, row: int) -> int:
        """Return the number of days of the row's month with no partner credited."""
        plan = self.row_plan[row]
        if plan.uncovered_days < 0:  # a whole month inside one segment
            return month_days(self.rows[row].month) if plan.unattributed else 0
        return plan.uncovered_days
