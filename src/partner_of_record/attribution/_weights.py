"""Exact weights, per unit of rows and per row: what the kernel computes and the rounding reads
(internal).

``UnitWeights`` holds each unit's fractions (``_kernel.weigh``; the per-row path's distinct
plans, ``_decide.units_of_plans``); ``UnitWeights.rows`` gives rows their unit's entries
(``Weights``), the one place entries are made per row. ``UnitWeights.whole`` and
``UnitWeights.equal`` find the units whose rows need no rounding of their own (``_compact``).
"""

from __future__ import annotations

from typing import Any

import attrs
import numpy as np
import numpy.typing as npt

from partner_of_record.model import PartnerId

__all__: list[str] = []  # internal module

I64 = npt.NDArray[np.int64]


@attrs.frozen
class Weights:
    """Each row's exact fractions, as columns: what ``allocate`` rounds.

    Entry ``e`` gives partner ``partners[e_partner[e]]`` the fraction
    ``e_num[e] / den[e_row[e]]`` of row ``e_row[e]``'s amount, for the kinds ``e_mask[e]``;
    entries are in row order, a row's partners by id. Row ``i``'s unattributed part is
    ``unatt[i] / den[i]``; ``uncovered[i]`` is its number of days nobody is credited, or -1 for
    a month inside one segment. ``e_num``, ``den`` and ``unatt`` are int64, or object arrays of
    Python integers when a denominator does not fit comfortably in an int64.
    """

    e_row: I64
    e_partner: I64
    e_mask: I64
    e_num: npt.NDArray[Any]
    den: npt.NDArray[Any]
    unatt: npt.NDArray[Any]
    uncovered: I64
    partners: tuple[PartnerId, ...]


@attrs.frozen
class UnitWeights:
    """Each unit's exact fractions (``Units``; for the per-row path, each distinct plan), as
    columns: what the rows take (``rows``) before rounding.

    Unit ``u``'s awards are entries ``start[u]`` to ``start[u] + count[u]`` (partners by id):
    partner ``partners[partner[e]]`` gets ``num[e] / den[u]`` of a row's amount for the kinds
    ``mask[e]``; ``unatt[u] / den[u]`` is left to nobody, and ``uncovered[u]`` is its number of
    days nobody is credited (-1 for a month inside one segment). ``num``, ``den`` and ``unatt``
    are int64, or object arrays of Python integers when a denominator does not fit comfortably
    in an int64.
    """

    count: I64
    partner: I64
    mask: I64
    num: npt.NDArray[Any]
    den: npt.NDArray[Any]
    unatt: npt.NDArray[Any]
    uncovered: I64
    partners: tuple[PartnerId, ...]
    start: I64 = attrs.field(init=False)
    """Where each unit's awards start."""

    owner: I64 = attrs.field(init=False)
    """Each award's unit."""

    @start.default
    def _start(self) -> I64:
        out: I64 = np.cumsum(self.count) - self.count
        return out

    @owner.default
    def _owner(self) -> I64:
        return np.repeat(np.arange(len(self.count), dtype=np.int64), self.count)

    def rows(self, unit: I64) -> Weights:
        """The weights of rows of units ``unit``: each row takes its unit's entries, in row
        order (one ``repeat`` and a gather per column). The one place entries are made per row.
        """
        count = self.count
        per_row = count[unit]
        e_row = np.repeat(np.arange(len(unit), dtype=np.int64), per_row)
        shift = self.start[unit] - (np.cumsum(per_row) - per_row)
        e_src = np.arange(len(e_row), dtype=np.int64) + np.repeat(shift, per_row)
        return Weights(
            e_row,
            self.partner[e_src],
            self.mask[e_src],
            self.num[e_src],
            self.den[unit],
            self.unatt[unit],
            self.uncovered[unit],
            self.partners,
        )

    def whole(self) -> npt.NDArray[np.bool_]:
        """The units whose every fraction (each award and the unattributed part) is 0 or 1:
        a row's credit is then exactly its amount or zero, whatever the rounding (half to even
        of ``a x d / d``, or largest remainder with no remainder). None when the fractions are
        Python integers."""
        if self.den.dtype == object:
            return np.zeros(len(self.count), dtype=bool)
        owner = self.owner
        num = self.num
        partial = (num != 0) & (num != self.den[owner])
        bad = np.bincount(owner[partial], minlength=len(self.count)) > 0
        out: npt.NDArray[np.bool_] = ~bad & ((self.unatt == 0) | (self.unatt == self.den))
        return out

    def equal(self, most: int) -> npt.NDArray[np.bool_]:
        """The units of 2 to ``most`` awards that share the whole amount equally (each
        ``num x count == den``, nothing unattributed): largest remainder then gives every
        partner ``|a| // count``, and the ``|a| % count`` left-over units one each to the first
        partners by id (their remainders are equal), the sign restored. None when the fractions
        are Python integers."""
        if self.den.dtype == object:
            return np.zeros(len(self.count), dtype=bool)
        k = self.count
        owner = self.owner
        differs = self.num * np.minimum(k[owner], most) != self.den[owner]
        bad = np.bincount(owner[differs], minlength=len(k)) > 0
        out: npt.NDArray[np.bool_] = ~bad & (k >= 2) & (k <= most) & (self.unatt == 0)
        return out
