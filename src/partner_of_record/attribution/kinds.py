"""Association kinds as bits, so a credit's kinds fit in one integer column.

The ``Credits`` columns hold each credit's kinds as such a mask; the evaluation's batch tables
read them with the same functions, so the names are listed (not part of the top-level API).
"""

from __future__ import annotations

from collections.abc import Iterable

from partner_of_record.model import AssociationKind

__all__ = ["KIND_BIT", "kinds_mask", "mask_kinds"]

KIND_BIT: dict[AssociationKind, int] = {k: 1 << i for i, k in enumerate(AssociationKind)}
"""Each association kind's bit in a credit's kinds mask."""
_KINDS_OF_MASK: dict[int, frozenset[AssociationKind]] = {}


def kinds_mask(kinds: Iterable[AssociationKind]) -> int:
    """Return the bitmask of a set of kinds."""
    mask = 0
    for k in kinds:
        mask |= KIND_BIT[k]
    return mask


def mask_kinds(mask: int) -> frozenset[AssociationKind]:
    """Return the kinds of a bitmask (cached)."""
    found = _KINDS_OF_MASK.get(mask)
    if found is None:
        found = frozenset(k for k, bit in KIND_BIT.items() if mask & bit)
        _KINDS_OF_MASK[mask] = found
    return found
