"""Reconciliation: every input amount is accounted for, checked from the stored credits."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import LazySequence
from partner_of_record.attribution._money import EXACT, exact_sum
from partner_of_record.currency import minor_unit_exponent
from partner_of_record.model import Usage

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution._result import Result

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


class RowLines(LazySequence[RowReconciliation]):
    """The lines of a reconciliation, one per usage row in scope, each made when it is read.

    The rows are checked as arrays; making a million ``RowReconciliation`` objects would take
    seconds, so they are made on access (and not kept). Equal to any sequence of the same
    lines, e.g. the tuple ``tuple(lines)``.
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
    _noun = ("reconciliation line", "lines")

    def __init__(
        self,
        usage: Sequence[Usage],
        amount: Sequence[int] | npt.NDArray[Any],
        credited: Sequence[int] | npt.NDArray[Any],
        largest: Sequence[int] | npt.NDArray[Any],
        unattributed: Sequence[int] | npt.NDArray[Any],
        count: Sequence[int] | npt.NDArray[Any],
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

    def __repr__(self) -> str:
        return f"<RowLines: {len(self)} line(s), {len(self._problems)} failing>"

    def failures(self) -> tuple[RowReconciliation, ...]:
        """The failing lines, in order (made without making the others)."""
        return tuple(map(self._item, sorted(self._problems)))

    def _item(self, i: int) -> RowReconciliation:
        u = self._usage[i]
        exp = -minor_unit_exponent(u.currency)
        problem = self._problems.get(i, "")
        return RowReconciliation(
            usage=u,
            amount=Decimal(int(self._amount[i])).scaleb(exp, EXACT),
            credited=Decimal(int(self._credited[i])).scaleb(exp, EXACT),
            largest_credit=Decimal(int(self._largest[i])).scaleb(exp, EXACT),
            unattributed=Decimal(int(self._unattributed[i])).scaleb(exp, EXACT),
            partners=int(self._count[i]),
            ok=not problem,
            problem=problem,
        )


def _within(value: int, amount: int) -> bool:
    """Whether ``value`` lies between 0 and ``amount`` (either sign)."""
    return 0 <= value <= amount if amount >= 0 else amount <= value <= 0


def _within_all(values: npt.NDArray[Any], amounts: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Vectorised ``_within``."""
    pos = amounts >= 0
    out: npt.NDArray[np.bool_] = np.where(
        pos, (values >= 0) & (values <= amounts), (values <= 0) & (values >= amounts)
    ).astype(bool)
    return out


class _Rows(Sequence[Usage]):
    """The usage rows in scope, as records made on access."""

    __slots__ = ("_r", "_rows")

    def __init__(self, r: Result, rows: npt.NDArray[np.int64]) -> None:
        self._r = r
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Usage: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Usage]: ...

    def __getitem__(self, index: int | slice) -> Usage | Sequence[Usage]:
        if isinstance(index, slice):
            return [self._r.usage(int(i)) for i in self._rows[index].tolist()]
        return self._r.usage(int(self._rows[index]))


def _per_row(n: int, where: npt.NDArray[np.int64], values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Exact sums of ``values`` per row position ``where``."""
    if (
        values.dtype != object
        and len(values)
        and int(np.abs(values).max()) * len(values) >= 1 << 63
    ):
        values = values.astype(object)
    out = np.zeros(n, dtype=values.dtype if len(values) else np.int64)
    np.add.at(out, where, values)
    return out


def _reconcile(
    store: Result,
    cidx: npt.NDArray[np.int64],
    uidx: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    *,
    partial: bool,
) -> Reconciliation:
    """Reconcile the selected credits against the usage rows in scope (see ``Credits``).

    Everything is checked with integers of minor units, as array operations over the rows in
    scope; the report's lines are made from these columns when read (``RowLines``). The input
    amounts come from the ledger's usage table, not from the credits.
    """
    a = store.alloc
    n = len(rows)
    position = np.full(store.n_rows, -1, dtype=np.int64)
    position[rows] = np.arange(n, dtype=np.int64)
    amount = store.minors()[rows]
    c_pos = _positions(position, a.c_row[cidx])
    c_ok = c_pos >= 0
    stray = int((~c_ok).sum())
    c_sel = cidx[c_ok]
    c_pos = c_pos[c_ok]
    minor = a.c_minor[c_sel]
    partner = a.c_partner[c_sel]
    credited = _per_row(n, c_pos, minor)
    count = np.bincount(c_pos, minlength=n).astype(np.int64)
    largest = _largest(n, c_pos, minor)
    u_pos = _positions(position, a.u_row[uidx])
    u_ok = u_pos >= 0
    stray += int((~u_ok).sum())
    left = _per_row(n, u_pos[u_ok], a.u_minor[uidx[u_ok]])
    width = len(a.partners) + 1
    key = c_pos * width + partner
    flagged = np.zeros(n, dtype=bool)
    if len(key) > 1:
        ks = np.sort(key)
        dup = ks[1:][ks[1:] == ks[:-1]]
        flagged[dup // width] = True
    split = store.split
    if not split and len(c_pos):
        flagged[c_pos[~_within_all(minor, amount[c_pos])]] = True
    if split:
        if not partial:
            flagged |= (credited + left) != amount
    else:
        flagged |= ~_within_all(left, amount)
    problems = _problems(
        store, np.flatnonzero(flagged), c_pos, c_sel, amount, credited, left, partial=partial
    )
    usage = _Rows(store, rows)
    currencies = _by_currency(store, rows, amount, credited, left, problems, partial=partial)
    note = ""
    if partial:
        note = (
            "the credits were filtered by partner or kind, so the split conservation check "
            "(credited + unattributed = input) was not applied"
        )
    all_ok = stray == 0 and all(c.ok for c in currencies)
    return Reconciliation(
        policy=store.policy_name,
        split=store.split,
        ok=all_ok,
        rows=RowLines(usage, amount, credited, largest, left, count, problems),
        currencies=currencies,
        stray=stray,
        note=note,
    )


def _positions(
    position: npt.NDArray[np.int64], rows: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Each row's position in scope, -1 for a row out of scope (or out of range)."""
    inside = (rows >= 0) & (rows < len(position))
    out = np.full(len(rows), -1, dtype=np.int64)
    out[inside] = position[rows[inside]]
    return out


def _largest(n: int, where: npt.NDArray[np.int64], values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Per row, the first credit with the largest absolute value (0 for none)."""
    out = np.zeros(n, dtype=values.dtype if len(values) else np.int64)
    if not len(values):
        return out
    if values.dtype == object:
        for i, v in zip(where.tolist(), values.tolist(), strict=True):
            if abs(v) > abs(out[i]):
                out[i] = v
        return out
    mags = np.abs(values)
    if len(where) > 1 and bool((where[1:] < where[:-1]).any()):  # not grouped: sort them
        order = np.lexsort((np.arange(len(values)), -mags, where))
        w = where[order]
        first = np.r_[True, w[1:] != w[:-1]]
        out[w[first]] = values[order][first]
        return out
    # credits grouped by row (the engine's order): the largest magnitude per group, then the
    # first credit of each group that has it
    starts = np.flatnonzero(np.r_[True, where[1:] != where[:-1]])
    sizes = np.diff(np.r_[starts, len(where)])
    top = np.repeat(np.maximum.reduceat(mags, starts), sizes)
    hits = np.flatnonzero(mags == top)
    group = np.searchsorted(starts, hits, side="right") - 1
    firsts = hits[np.r_[True, group[1:] != group[:-1]]]
    out[where[firsts]] = values[firsts]
    return out


def _problems(
    store: Result,
    failing: npt.NDArray[np.int64],
    c_pos: npt.NDArray[np.int64],
    c_sel: npt.NDArray[np.int64],
    amount: npt.NDArray[Any],
    credited: npt.NDArray[Any],
    left: npt.NDArray[Any],
    *,
    partial: bool,
) -> dict[int, str]:
    """The problem text of each failing row position (the readable path, failing rows only)."""
    if not len(failing):
        return {}
    a = store.alloc
    wanted = set(failing.tolist())
    issues: dict[int, list[str]] = {}
    seen: set[tuple[int, int]] = set()
    for i, c in zip(c_pos.tolist(), c_sel.tolist(), strict=True):
        if i not in wanted:
            continue
        m = int(a.c_minor[c])
        p = int(a.c_partner[c])
        name = a.partners[p]
        if (i, p) in seen:
            issues.setdefault(i, []).append(f"partner {name} is credited more than once")
        seen.add((i, p))
        if not store.split and not _within(m, int(amount[i])):
            issues.setdefault(i, []).append(
                f"partner {name} is credited {m} minor units, outside [0, {int(amount[i])}]"
            )
    for i in failing.tolist():
        got, rest, total = int(credited[i]), int(left[i]), int(amount[i])
        if store.split:
            if not partial and got + rest != total:
                issues.setdefault(i, []).append(
                    f"credited {got} + unattributed {rest} = {got + rest} minor units, "
                    f"not the input {total}"
                )
        elif not _within(rest, total):
            issues.setdefault(i, []).append(
                f"unattributed {rest} minor units, outside [0, {total}]"
            )
    return {i: "; ".join(found) for i, found in sorted(issues.items())}


def _by_currency(
    store: Result,
    rows: npt.NDArray[np.int64],
    amount: npt.NDArray[Any],
    credited: npt.NDArray[Any],
    left: npt.NDArray[Any],
    problems: dict[int, str],
    *,
    partial: bool,
) -> tuple[CurrencyReconciliation, ...]:
    """The totals of each currency, as group sums over the rows' currency codes."""
    cur = store.cur[rows]
    failed = np.zeros(len(rows), dtype=bool)
    if problems:
        failed[list(problems)] = True
    out = []
    names = store.currencies
    for code in sorted(range(len(names)), key=names.__getitem__):
        mask = cur == code
        count = int(mask.sum())
        if not count:
            continue
        exp = minor_unit_exponent(names[code])
        total = exact_sum(amount[mask])
        got = exact_sum(credited[mask])
        rest = exact_sum(left[mask])
        bad = int(failed[mask].sum())
        ok = bad == 0 and (not store.split or partial or got + rest == total)
        out.append(
            CurrencyReconciliation(
                currency=names[code],
                amount=Decimal(total).scaleb(-exp, EXACT),
                credited=Decimal(got).scaleb(-exp, EXACT),
                unattributed=Decimal(rest).scaleb(-exp, EXACT),
                rows=count,
                failed_rows=bad,
                ok=ok,
            )
        )
    return tuple(out)
