"""Reconciliation: every input amount is accounted for, checked from the stored credits."""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import overload

import attrs

from partner_of_record.attribution.store import Store
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.model import Usage

__all__ = ["CurrencyReconciliation", "Reconciliation", "RowLines", "RowReconciliation"]


@attrs.frozen
class RowReconciliation:
    """How one usage row's amount was accounted for.

    Attributes:
        usage: the usage row.
        amount: its amount, rounded to the currency's minor unit.
        credited: the sum of its credits over partners (recognising policies may credit the
            same amount to several partners, so this may exceed ``amount``).
        largest_credit: the largest single partner credit.
        unattributed: the part nobody was credited with.
        partners: how many credits the row has.
        ok: whether the row passes its check.
        problem: what is wrong, or ``""``.
    """

    usage: Usage
    amount: Decimal
    credited: Decimal
    largest_credit: Decimal
    unattributed: Decimal
    partners: int
    ok: bool
    problem: str = ""


@attrs.frozen
class CurrencyReconciliation:
    """The totals of one currency.

    Attributes:
        currency: the ISO 4217 code.
        amount: the total input amount.
        credited: the total credited (over partners).
        unattributed: the total unattributed.
        rows: the number of usage rows.
        failed_rows: the number of rows that fail their check.
        ok: for split policies, ``credited + unattributed == amount`` and no row fails; for
            recognising policies, no row fails.
    """

    currency: str
    amount: Decimal
    credited: Decimal
    unattributed: Decimal
    rows: int
    failed_rows: int
    ok: bool


@attrs.frozen
class Reconciliation:
    """A report, per usage row and per currency, that every input amount is accounted for.

    Attributes:
        policy: the policy's name.
        split: whether the policy is a split (conservation is then checked to the minor unit).
        ok: whether every row and currency passes, and no credit points outside the rows.
        rows: one line per usage row in scope, in ledger order: a
            [`RowLines`][partner_of_record.attribution.RowLines] sequence, whose lines are
            made as they are read.
        currencies: one line per currency, by code.
        stray: credits or unattributed parts that refer to no usage row in scope.
        note: a caveat, e.g. after a partner filter.
    """

    policy: str
    split: bool
    ok: bool
    rows: Sequence[RowReconciliation]
    currencies: tuple[CurrencyReconciliation, ...]
    stray: int = 0
    note: str = ""

    @property
    def failures(self) -> tuple[RowReconciliation, ...]:
        """The rows that fail their check, in ledger order."""
        if isinstance(self.rows, RowLines):
            return self.rows.failures()
        return tuple(r for r in self.rows if not r.ok)

    def __str__(self) -> str:
        kind = (
            "split: credited + unattributed = input"
            if self.split
            else ("recognise: 0 <= each partner's credit <= input")
        )
        lines = [
            f"Reconciliation of policy {self.policy} ({kind}): "
            f"{'OK' if self.ok else 'FAILED'}, {len(self.rows)} usage row(s)"
        ]
        if self.note:
            lines.append(f"note: {self.note}")
        lines.extend(
            f"  {c.currency}: input {c.amount:,}, credited {c.credited:,}, "
            f"unattributed {c.unattributed:,}, {c.failed_rows} of {c.rows} row(s) failing"
            f"{'' if c.ok else ' FAILED'}"
            for c in self.currencies
        )
        if self.stray:
            lines.append(f"  {self.stray} credit(s) refer to no usage row in scope")
        failures = self.failures
        lines.extend(f"  FAIL {r.usage.describe()}: {r.problem}" for r in failures[:20])
        if len(failures) > 20:
            lines.append(f"  ... and {len(failures) - 20} more failing row(s)")
        return "\n".join(lines)


class RowLines(Sequence[RowReconciliation]):
    """The lines of a reconciliation, one per usage row in scope, each made when it is read.

    A million rows are checked with integers in about a second; making a million
    ``RowReconciliation`` objects would take ten more, so they are made on access (and not
    kept). Equal to any sequence of the same lines, e.g. the tuple ``tuple(lines)``.
    """

    __slots__ = (
        "_amount",
        "_count",
        "_credited",
        "_largest",
        "_problems",
        "_unattributed",
        "_usage",
    )

    def __init__(
        self,
        usage: Sequence[Usage],
        amount: Sequence[int],
        credited: Sequence[int],
        largest: Sequence[int],
        unattributed: Sequence[int],
        count: Sequence[int],
        problems: dict[int, str],
    ) -> None:
        self._usage = usage
        self._amount = amount
        self._credited = credited
        self._largest = largest
        self._unattributed = unattributed
        self._count = count
        self._problems = problems

    def __len__(self) -> int:
        return len(self._usage)

    @overload
    def __getitem__(self, index: int) -> RowReconciliation: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[RowReconciliation, ...]: ...

    def __getitem__(self, index: int | slice) -> RowReconciliation | tuple[RowReconciliation, ...]:
        if isinstance(index, slice):
            return tuple(map(self._line, range(len(self))[index]))
        n = len(self)
        if not -n <= index < n:
            msg = f"reconciliation line {index} out of range ({n} lines)"
            raise IndexError(msg)
        return self._line(index % n if index < 0 else index)

    def __iter__(self) -> Iterator[RowReconciliation]:
        return map(self._line, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(map(operator.eq, self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"<RowLines: {len(self)} line(s), {len(self._problems)} failing>"

    def failures(self) -> tuple[RowReconciliation, ...]:
        """The failing lines, in order (made without making the others)."""
        return tuple(map(self._line, sorted(self._problems)))

    def _line(self, i: int) -> RowReconciliation:
        u = self._usage[i]
        exp = -minor_unit_exponent(u.currency)
        problem = self._problems.get(i, "")
        return RowReconciliation(
            usage=u,
            amount=Decimal(self._amount[i]).scaleb(exp),
            credited=Decimal(self._credited[i]).scaleb(exp),
            largest_credit=Decimal(self._largest[i]).scaleb(exp),
            unattributed=Decimal(self._unattributed[i]).scaleb(exp),
            partners=self._count[i],
            ok=not problem,
            problem=problem,
        )


def _within(value: int, amount: int) -> bool:
    """Whether ``value`` lies between 0 and ``amount`` (either sign)."""
    return 0 <= value <= amount if amount >= 0 else amount <= value <= 0


def reconcile(
    store: Store,
    cidx: Sequence[int],
    uidx: Sequence[int],
    rows: Sequence[int],
    *,
    partial: bool,
) -> Reconciliation:
    """Reconcile the selected credits against the usage rows in scope (see ``Credits``).

    Everything is checked with integers of minor units, per position ``i`` of a row in
    ``rows``; the report's lines are made from these columns when read (``RowLines``).
    """
    n = len(rows)
    everything = n == len(store.rows) and all(map(operator.eq, rows, range(n)))
    position: dict[int, int] | None = None if everything else {r: i for i, r in enumerate(rows)}
    credited = [0] * n
    largest = [0] * n
    count = [0] * n
    left = [0] * n
    issues: dict[int, list[str]] = {}
    seen: set[int] = set()
    stray = 0
    c_row, c_minor, c_partner = store.c_row, store.c_minor, store.c_partner
    minors = store.minors()  # each row's amount in minor units
    amount = minors if everything else [minors[r] for r in rows]
    split = store.split
    width = len(store.partners) + 1
    for c in cidx:
        r = c_row[c]
        i = r if position is None else position.get(r, -1)
        if not 0 <= i < n:
            stray += 1
            continue
        m = c_minor[c]
        credited[i] += m
        count[i] += 1
        if abs(m) > abs(largest[i]):
            largest[i] = m
        p = c_partner[c]
        key = r * width + p
        if key in seen:
            issues.setdefault(i, []).append(
                f"partner {store.partners[p]} is credited more than once"
            )
        seen.add(key)
        if not split and not _within(m, amount[i]):
            issues.setdefault(i, []).append(
                f"partner {store.partners[p]} is credited {m} minor units, outside [0, {amount[i]}]"
            )
    u_row, u_minor = store.u_row, store.u_minor
    for j in uidx:
        r = u_row[j]
        i = r if position is None else position.get(r, -1)
        if not 0 <= i < n:
            stray += 1
            continue
        left[i] += u_minor[j]
    if split:
        if not partial:
            for i in [
                i for i, a, g, x in zip(range(n), amount, credited, left, strict=True) if g + x != a
            ]:
                got, rest = credited[i], left[i]
                issues.setdefault(i, []).append(
                    f"credited {got} + unattributed {rest} = {got + rest} minor units, "
                    f"not the input {amount[i]}"
                )
    else:
        for i in [i for i, a, x in zip(range(n), amount, left, strict=True) if not _within(x, a)]:
            issues.setdefault(i, []).append(
                f"unattributed {left[i]} minor units, outside [0, {amount[i]}]"
            )
    usage = store.rows if everything else [store.rows[r] for r in rows]
    currencies = _by_currency(store, usage, amount, credited, left, issues, partial=partial)
    note = ""
    if partial:
        note = (
            "the credits were filtered by partner or kind, so the split conservation check "
            "(credited + unattributed = input) was not applied"
        )
    all_ok = stray == 0 and all(c.ok for c in currencies)
    problems = {i: "; ".join(found) for i, found in issues.items()}
    return Reconciliation(
        policy=store.policy_name,
        split=store.split,
        ok=all_ok,
        rows=RowLines(usage, amount, credited, largest, left, count, problems),
        currencies=currencies,
        stray=stray,
        note=note,
    )


def _by_currency(
    store: Store,
    usage: Sequence[Usage],
    amount: list[int],
    credited: list[int],
    left: list[int],
    issues: dict[int, list[str]],
    *,
    partial: bool,
) -> tuple[CurrencyReconciliation, ...]:
    """The totals of each currency (one pass over the rows only when there are several)."""
    codes = sorted(set(store.currencies))
    groups: dict[str, Sequence[int]]
    if len(codes) == 1:
        groups = {codes[0]: range(len(usage))}
    else:
        found: dict[str, list[int]] = {}
        for i, u in enumerate(usage):
            found.setdefault(u.currency, []).append(i)
        groups = {c: found[c] for c in sorted(found)}
    out = []
    for cur, idx in groups.items():
        if not idx:
            continue
        exp = minor_unit_exponent(cur)
        if isinstance(idx, range):
            total, got, rest = sum(amount), sum(credited), sum(left)
        else:
            total = sum(map(amount.__getitem__, idx))
            got = sum(map(credited.__getitem__, idx))
            rest = sum(map(left.__getitem__, idx))
        failed = len(issues) if isinstance(idx, range) else sum(1 for i in idx if i in issues)
        ok = failed == 0 and (not store.split or partial or got + rest == total)
        out.append(
            CurrencyReconciliation(
                currency=cur,
                amount=Decimal(total).scaleb(-exp),
                credited=Decimal(got).scaleb(-exp),
                unattributed=Decimal(rest).scaleb(-exp),
                rows=len(idx),
                failed_rows=failed,
                ok=ok,
            )
        )
    return tuple(out)
