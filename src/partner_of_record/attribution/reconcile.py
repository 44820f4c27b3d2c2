"""Reconciliation: every input amount is accounted for, checked from the stored credits."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record._usage_table import LazySequence
from partner_of_record.attribution._money import EXACT, exact_sum, group_sums
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


def _reconcile(
    store: Result,
    cidx: npt.NDArray[np.int64],
    uidx: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int64],
    *,
    partial: bool,
) -> Reconciliation:
    """Reconcile the selected credits against the usage rows in scope (see ``Credits``).

    Everything is checked with integers of minor units, as linear array passes over the rows in
    scope and the selected credits: per-row sums, counts and extremes are scatter operations
    (``ufunc.at``, ``bincount``), never a sort of the credits. The report's lines are made from
    these columns when read (``RowLines``). Each row's sums are recomputed from the stored
    credit columns and compared with the amounts of the ledger's usage table, not with anything
    the credits hold about themselves. ``rows`` (ledger row numbers) is ascending, as
    ``Credits`` selects it.
    """
    a = store.alloc
    n = len(rows)
    amount = store.minors()
    position = None  # every row is in scope: a row's position is its number
    if n != store.n_rows:
        amount = amount[rows]
        position = np.full(store.n_rows, -1, dtype=np.int64)
        position[rows] = np.arange(n, dtype=np.int64)
    c_pos, c_sel, c_stray = _in_scope(position, n, a.c_row, cidx)
    minor = _take(a.c_minor, c_sel)
    count = np.bincount(c_pos, minlength=n).astype(np.int64, copy=False)
    credited = _sums(n, c_pos, minor, count)
    high, low = _extremes(n, c_pos, minor)
    largest = _largest(c_pos, minor, high, low)
    u_pos, u_sel, u_stray = _in_scope(position, n, a.u_row, uidx)
    left = _sums(n, u_pos, _take(a.u_minor, u_sel), None)
    stray = c_stray + u_stray
    flagged = np.zeros(n, dtype=bool)
    flagged[_credited_twice(n, c_pos, _take(a.c_partner, c_sel))] = True
    if store.split:
        if not partial:
            flagged |= (credited + left) != amount
    else:  # every credit, and the unattributed part, within [0, amount] (either sign)
        for above in (high, left):  # above max(amount, 0)
            flagged |= (above > amount) & (above > 0)
        for below in (low, left):  # below min(amount, 0)
            flagged |= (below < amount) & (below < 0)
    problems = _problems(store, flagged, c_pos, c_sel, amount, credited, left, partial=partial)
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


def _in_scope(
    position: npt.NDArray[np.int64] | None,
    n: int,
    row: npt.NDArray[np.int64],
    which: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64] | None, int]:
    """The scope positions of the selected entries (``which``, ascending, of the column of
    rows ``row``) that refer to a row in scope, which entries those are, and how many refer to
    none (strays). ``None`` for the entries when they are all of them, read in place.

    ``position`` maps a row number to its position in scope (-1 outside); ``None`` when every
    row is in scope, so a row's position is its number (below ``n``)."""
    sel = None if len(which) == len(row) else which
    rows = _take(row, sel)
    bound = n if position is None else len(position)
    if not len(rows) or (int(rows.min()) >= 0 and int(rows.max()) < bound):
        if position is None:
            return rows, sel, 0
        pos = position[rows]
    else:
        inside = (rows >= 0) & (rows < bound)
        pos = np.full(len(rows), -1, dtype=np.int64)
        pos[inside] = rows[inside] if position is None else position[rows[inside]]
    ok = pos >= 0
    stray = len(pos) - int(np.count_nonzero(ok))
    if not stray:
        return pos, sel, 0
    kept = np.flatnonzero(ok)
    return pos[kept], (kept if sel is None else sel[kept]), stray


def _take(column: npt.NDArray[Any], sel: npt.NDArray[np.int64] | None) -> npt.NDArray[Any]:
    """The entries ``sel`` of a column (all of it, in place, for ``None``)."""
    return column if sel is None else column[sel]


def _sums(
    n: int,
    pos: npt.NDArray[np.int64],
    values: npt.NDArray[Any],
    count: npt.NDArray[np.int64] | None,
) -> npt.NDArray[Any]:
    """Exact sums of ``values`` per row position ``pos`` (one scatter-add): Python integers
    when a row's int64 sum could overflow, i.e. its largest magnitude times its number of
    entries (``count``, per row; counted here when needed) reaches 2**63."""
    if not len(values):
        return np.zeros(n, dtype=np.int64)
    if values.dtype != object:
        top = max(int(values.max()), -int(values.min()))
        if top * len(values) >= 1 << 63:
            count = np.bincount(pos) if count is None else count
            if top * int(count.max()) >= 1 << 63:
                values = values.astype(object)
    out = np.zeros(n, dtype=values.dtype)
    np.add.at(out, pos, values)
    return out


def _extremes(
    n: int, pos: npt.NDArray[np.int64], values: npt.NDArray[Any]
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Per row position, the largest of 0 and its ``values``, and the smallest."""
    dtype = values.dtype if len(values) else np.dtype(np.int64)
    high = np.zeros(n, dtype=dtype)
    low = np.zeros(n, dtype=dtype)
    np.maximum.at(high, pos, values)
    np.minimum.at(low, pos, values)
    return high, low


def _largest(
    pos: npt.NDArray[np.int64],
    values: npt.NDArray[Any],
    high: npt.NDArray[Any],
    low: npt.NDArray[Any],
) -> npt.NDArray[Any]:
    """Per row, its first value of the largest magnitude (0 for none), from its ``_extremes``.

    It is ``high`` or ``low``, whichever is further from 0 (``high + low`` cannot overflow:
    ``high >= 0 >= low``); when they are equally far but not 0 (a credit and its opposite,
    damaged columns only) the row's values are read in order."""
    out: npt.NDArray[Any] = high + low  # the balance, then the result in its place
    even = (out == 0) & (high != 0)
    low_wins = out < 0
    np.copyto(out, high)
    np.copyto(out, low, where=low_wins)
    if even.any():
        first: dict[int, Any] = {}
        for i, v in zip(pos[even[pos]].tolist(), values[even[pos]].tolist(), strict=True):
            if i not in first and abs(v) == high[i]:
                first[i] = v
        out[list(first)] = list(first.values())
    return out


def _credited_twice(
    n: int, pos: npt.NDArray[np.int64], partner: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """The row positions where one partner has two credits.

    Credits grouped by row with their partners ascending (the engine's order) have none: one
    comparison per neighbour shows it. Only the rows where that does not hold (all rows when
    the credits are out of row order) are sorted by partner and searched."""
    if len(pos) < 2:
        return np.zeros(0, dtype=np.int64)
    if bool((pos[1:] < pos[:-1]).any()):
        pick = np.arange(len(pos))
    else:
        odd = (pos[1:] == pos[:-1]) & (partner[1:] <= partner[:-1])
        if not odd.any():
            return np.zeros(0, dtype=np.int64)
        suspect = np.zeros(n, dtype=bool)
        suspect[pos[1:][odd]] = True
        pick = np.flatnonzero(suspect[pos])
    order = np.lexsort((partner[pick], pos[pick]))
    p, q = pos[pick][order], partner[pick][order]
    twice = (p[1:] == p[:-1]) & (q[1:] == q[:-1])
    out: npt.NDArray[np.int64] = p[1:][twice]
    return out


def _problems(
    store: Result,
    flagged: npt.NDArray[np.bool_],
    c_pos: npt.NDArray[np.int64],
    c_sel: npt.NDArray[np.int64] | None,
    amount: npt.NDArray[Any],
    credited: npt.NDArray[Any],
    left: npt.NDArray[Any],
    *,
    partial: bool,
) -> dict[int, str]:
    """The problem text of each failing row position (the readable path, over the failing
    rows' credits only, in row order)."""
    failing = np.flatnonzero(flagged)
    if not len(failing):
        return {}
    a = store.alloc
    pick = np.flatnonzero(flagged[c_pos])
    issues: dict[int, list[str]] = {}
    seen: set[tuple[int, int]] = set()
    credit = pick if c_sel is None else c_sel[pick]
    for i, c in zip(c_pos[pick].tolist(), credit.tolist(), strict=True):
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
    cur = store.cur if len(rows) == store.n_rows else store.cur[rows]
    names = store.currencies
    counts = np.bincount(cur, minlength=len(names))
    bad = np.bincount(cur[list(problems)], minlength=len(names)) if problems else counts * 0
    codes = np.flatnonzero(counts).tolist()
    columns = (amount, credited, left)
    by_code: dict[int, list[int]]
    if len(codes) == 1:  # one currency: plain sums
        by_code = {codes[0]: [exact_sum(c) for c in columns]}
    else:
        sums = [group_sums(cur, c)[1].tolist() for c in columns]
        by_code = {code: [s[k] for s in sums] for k, code in enumerate(codes)}
    out = []
    for code in sorted(by_code, key=names.__getitem__):
        total, got, rest = (int(x) for x in by_code[code])
        exp = minor_unit_exponent(names[code])
        failed = int(bad[code])
        ok = failed == 0 and (not store.split or partial or got + rest == total)
        out.append(
            CurrencyReconciliation(
                currency=names[code],
                amount=Decimal(total).scaleb(-exp, EXACT),
                credited=Decimal(got).scaleb(-exp, EXACT),
                unattributed=Decimal(rest).scaleb(-exp, EXACT),
                rows=int(counts[code]),
                failed_rows=failed,
                ok=ok,
            )
        )
    return tuple(out)
