"""Sums over a whole run without one credit per (row, partner) for the rows whose credits need
no rounding of their own (internal).

A unit of rows (``_kernel.Units``: a month inside one segment, or a cut ``(subscription,
month)``; for the per-row path, a plan) whose every fraction is 0 or 1 (``UnitWeights.whole``)
credits each of its awarded partners exactly the row's amount (or zero), and leaves the row's
amount or nothing unattributed, whatever the rounding: half to even of ``a x d / d`` is ``a``,
and a largest-remainder split with no remainder hands out nothing. Most rows are such: a month
inside one segment under ``RecognizeAll``, ``Priority`` or ``DporOnly``, any policy on a month
nobody is in effect, a split with one partner. A split policy's unit that shares its rows
equally among ``k`` partners (``UnitWeights.equal``) gives partner ``j`` (by id) of a row
``s x (|a| // k + (j < |a| % k))``: every remainder is equal, so largest remainder serves the
``|a| % k`` left-over units in partner-id order. So, over a whole run, a sum by fields that are
functions of the row's fields and the award (partner, kinds) is

* per group of whole rows (their unit and the row fields asked for): the group's exact amount
  sum, taken once per award of the unit whose fraction is 1 (0 for the others);
* per group of equal-share rows: the group's sum of ``s x (|a| // k)`` plus, for partner
  ``j``, its sum of ``s x (|a| % k > j)``;
* plus the rounded entries of the other rows (``rest``), made by the engine's own expansion
  and rounding (``UnitWeights.rows``, ``_rounding.allocate``) restricted to them.

The amount sums per ``(unit, currency)`` do not depend on the policy: for a whole-table run they
are kept with the ledger's other policy-independent arrays (``Result.kept``). Sums are exact
(``_money.group_sums``: int64 when they cannot overflow, Python integers otherwise); rows whose
amount does not fit in an int64 (``Result.big``, held as 0 in ``minor``) are always in ``rest``.
Runs whose fractions are Python integers have no such unit: everything is in ``rest``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.attribution import _rounding
from partner_of_record.attribution._kernel import I64, expand
from partner_of_record.attribution._money import group_sums

if TYPE_CHECKING:  # pragma: no cover - typing only
    from partner_of_record.attribution._result import Result

__all__: list[str] = []  # internal module

ROW_FREE = ("partner_id", "kinds")
"""The fields of an award rather than of a row."""


EQUAL_MOST = 8
"""Units of a split policy sharing a row equally among up to this many partners are summed per
unit (``UnitWeights.equal``)."""


@attrs.frozen
class Compact:
    """A run split into whole units, equal-share units and the rest.

    Attributes:
        whole: whether each unit's fractions are all 0 or 1.
        equal: whether each unit shares its rows equally among 2 to ``EQUAL_MOST`` partners
            (split policies only).
        rest: the rows (positions, ascending) that need their own entries: in neither kind of
            unit, or with an amount beyond int64.
        alloc: the rounded entries of those rows (``c_row`` and ``u_row`` index ``rest``).
    """

    whole: npt.NDArray[np.bool_]
    equal: npt.NDArray[np.bool_]
    rest: I64
    alloc: _rounding.Allocation


def compact(r: Result) -> Compact:
    """The run's whole units and the rounded entries of its other rows (made once per run)."""
    found: Compact | None = r.cache.get("compact")
    if found is None:
        whole = r.units.whole()
        equal = r.units.equal(EQUAL_MOST) & ~whole if r.split else np.zeros_like(whole)
        out = ~(whole | equal)[r.unit]
        if r.big:
            out[list(r.big)] = True
        rest = np.flatnonzero(out).astype(np.int64)
        big = {int(np.searchsorted(rest, row)): v for row, v in r.big.items()}
        weights = r.units.rows(r.unit[rest])
        alloc = _rounding.allocate(weights, r.minor[rest], big, split=r.split, sift=False)
        found = r.cache["compact"] = Compact(whole, equal, rest, alloc)
    return found


def unit_sums(r: Result) -> tuple[I64, I64, npt.NDArray[Any]]:
    """The ``(unit, currency)`` pairs of the run's rows and their exact amount sums (rows in
    ``big`` count 0); policy-independent, kept in ``r.kept``."""
    found: tuple[I64, I64, npt.NDArray[Any]] | None = r.kept.get("unit_sums")
    if found is None:
        n_cur = max(len(r.currencies), 1)
        keys, sums = group_sums(r.unit * n_cur + r.cur, r.minor)
        found = r.kept["unit_sums"] = (keys // n_cur, keys % n_cur, sums)
    return found


def n_credits(r: Result) -> int:
    """The number of credits of the run (one per row and award)."""
    if r.expanded:
        return len(r.alloc.c_row)
    rows: I64 | None = r.kept.get("unit_rows")
    if rows is None:
        rows = r.kept["unit_rows"] = np.bincount(r.unit, minlength=len(r.units.count))
    return int(rows @ r.units.count)


def credited_currencies(r: Result) -> I64:
    """The currency codes of the rows with at least one credit, ascending."""
    unit, cur, _ = unit_sums(r)
    return np.flatnonzero(
        np.bincount(cur[r.units.count[unit] > 0], minlength=len(r.currencies))
    ).astype(np.int64)


def _grouped(
    r: Result,
    rows: I64,
    row_fields: Sequence[str],
    codes_of: Callable[[str], I64],
    values: Sequence[npt.NDArray[Any]],
) -> tuple[I64, dict[str, I64], list[npt.NDArray[Any]]] | None:
    """Group ``rows`` by their unit and ``row_fields``: each group's unit, its code on each row
    field and the exact sum of each of ``values`` (one per row) (``None``: the codes are too
    wide to pack)."""
    n_units = len(r.units.count)
    codes = [codes_of(f)[rows] for f in row_fields]
    sizes = [int(x.max(initial=0)) + 1 for x in codes]
    width = n_units
    for s in sizes:
        width *= s
    if width >= 1 << 62:  # more than 2^62 combinations
        return None
    key = np.zeros(len(rows), dtype=np.int64)
    for x, s in zip(codes, sizes, strict=True):
        key = key * s + x
    key = key * n_units + r.unit[rows]
    sums = []
    for v in values:
        keys, found = group_sums(key, v)
        sums.append(found)
    if not values or not len(rows):
        keys = np.zeros(0, dtype=np.int64)
    unit, rest = keys % n_units, keys // n_units
    out: dict[str, I64] = {}
    for f, s in zip(reversed(row_fields), reversed(sizes), strict=True):
        out[f] = rest % s
        rest = rest // s
    return unit, out, sums


def _whole_awards(
    r: Result, c: Compact, row_fields: Sequence[str], codes_of: Callable[[str], I64]
) -> tuple[I64, dict[str, I64], npt.NDArray[Any]] | None:
    """The awards of the groups of whole rows: each award's index, its group's codes on the
    row fields, and its credited minor units (the group's amount sum, or 0)."""
    if set(row_fields) <= {"currency"}:
        unit, cur, sums = unit_sums(r)
        keep = c.whole[unit]
        g_unit, g_codes, g_sums = unit[keep], {"currency": cur[keep]}, sums[keep]
    else:
        rows = np.flatnonzero(c.whole[r.unit])
        found = _grouped(r, rows, row_fields, codes_of, [r.minor[rows]])
        if found is None:  # more than 2^62 combinations
            return None
        g_unit, g_codes, (g_sums,) = found
    w = r.units
    owner, within = expand(w.count[g_unit])
    award = w.start[g_unit][owner] + within
    zero = np.zeros(1, dtype=g_sums.dtype)
    values = np.where(w.num[award] != 0, g_sums[owner], zero)
    return award, {f: x[owner] for f, x in g_codes.items()}, values


def _equal_awards(
    r: Result, c: Compact, row_fields: Sequence[str], codes_of: Callable[[str], I64]
) -> tuple[I64, dict[str, I64], npt.NDArray[Any]] | None:
    """The awards of the groups of rows of equal-share units: partner ``j`` (by id) of a unit
    of ``k`` gets, per row, ``s x (|a| // k + (j < |a| % k))`` (``s`` the amount's sign), so
    per group the sum of ``s x (|a| // k)`` plus that of ``s x (|a| % k > j)``."""
    rows = np.flatnonzero(c.equal[r.unit])
    w = r.units
    amount = r.minor[rows]
    k = w.count[r.unit[rows]]
    sign = np.where(amount < 0, -1, 1)
    q, rem = np.divmod(amount * sign, k)
    most = int(k.max(initial=0))
    parts = [sign * q] + [sign * (rem > j) for j in range(most)]
    found = _grouped(r, rows, row_fields, codes_of, parts)
    if found is None:  # more than 2^62 combinations
        return None
    g_unit, g_codes, sums = found
    if any(x.dtype == object for x in sums):
        sums = [x.astype(object) for x in sums]
    owner, within = expand(w.count[g_unit])
    award = w.start[g_unit][owner] + within
    extra = np.stack(sums[1:]) if most else np.zeros((0, 0), dtype=np.int64)
    values = sums[0][owner] + extra[within, owner] if len(owner) else sums[0][:0]
    return award, {f: x[owner] for f, x in g_codes.items()}, values


def _row_credits(
    r: Result, c: Compact, row_fields: Sequence[str], codes_of: Callable[[str], I64]
) -> tuple[I64, dict[str, I64], npt.NDArray[Any]]:
    """By row fields only, each whole or equal-share row with a credit counts once: its codes
    on the row fields and its credits' sum, the amount times the number of awards of fraction
    1 (whole units) or the amount (equal shares sum to it). The first value is unused (no
    award field is asked)."""
    w = r.units
    ones = np.bincount(w.owner[w.num != 0], minlength=len(w.count)).astype(np.int64)
    times = np.where(c.equal, 1, np.where(c.whole, ones, 0))
    rows = np.flatnonzero(((c.whole | c.equal) & (w.count > 0))[r.unit])
    amount, factor = r.minor[rows], times[r.unit[rows]]
    if len(rows) and int(np.abs(amount).max()) * int(factor.max()) >= 1 << 63:
        amount = amount.astype(object)
    return rows[:0], {f: codes_of(f)[rows] for f in row_fields}, amount * factor


def credit_columns(
    r: Result, fields: Sequence[str], codes_of: Callable[[str], I64]
) -> tuple[list[I64], npt.NDArray[Any]] | None:
    """The columns ``totals`` groups over a whole run: each field's codes (``partner_id``: the
    partner codes, ``kinds``: the kinds masks, a row field: ``codes_of(field)``, each row's
    code) and the credited minor units: one per award of a group of whole rows, then of a
    group of equal-share rows, then one per rounded entry of the other rows; ``None`` when the
    groups cannot be packed."""
    c = compact(r)
    row_fields = [f for f in fields if f not in ROW_FREE]
    parts: list[tuple[I64, dict[str, I64], npt.NDArray[Any]] | None]
    if len(row_fields) == len(fields) and set(row_fields) - {"currency"}:
        parts = [_row_credits(r, c, row_fields, codes_of)]
    else:
        parts = [_whole_awards(r, c, row_fields, codes_of)]
        if c.equal.any():
            parts.append(_equal_awards(r, c, row_fields, codes_of))
    if any(part is None for part in parts):  # more than 2^62 combinations
        return None
    found = [part for part in parts if part is not None]
    w = r.units
    a = c.alloc
    rows = c.rest[a.c_row]
    columns: list[I64] = []
    for f in fields:
        if f == "partner_id":
            cols = [w.partner[award] for award, _, _ in found] + [a.c_partner]
        elif f == "kinds":
            cols = [w.mask[award] for award, _, _ in found] + [a.c_kinds]
        else:
            cols = [codes[f] for _, codes, _ in found] + [codes_of(f)[rows]]
        columns.append(np.concatenate(cols))
    values = a.c_minor
    for _, _, part_values in reversed(found):
        values = _concat(part_values, values)
    return columns, values


def unattributed_columns(r: Result) -> tuple[I64, npt.NDArray[Any]]:
    """The unattributed parts of a whole run: each part's currency code and minor units, one
    per ``(unit, currency)`` of a whole unit that leaves its rows' amounts to nobody, then one
    per row of the rest."""
    c = compact(r)
    unit, cur, sums = unit_sums(r)
    keep = c.whole[unit] & (r.units.unatt[unit] != 0)
    a = c.alloc
    return (
        np.concatenate([cur[keep], r.cur[c.rest[a.u_row]]]),
        _concat(sums[keep], a.u_minor),
    )


def _concat(left: npt.NDArray[Any], right: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Two integer columns end to end (Python integers if either is)."""
    if object in (left.dtype, right.dtype):
        return np.concatenate([left.astype(object), right.astype(object)])
    return np.concatenate([left, right])
