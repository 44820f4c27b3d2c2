"""Minor units to ``Decimal``, exactly (internal).

The engine holds money as integers of a currency's minor unit; it becomes a ``Decimal`` only
when read, scaled by a power of ten in a context wide enough never to round. Python's default
context keeps 28 significant digits, fewer than the largest allowed amounts have.
"""

from __future__ import annotations

from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal

__all__: list[str] = []  # internal module

EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
"""A context in which scaling an integer by a power of ten is exact."""


def from_minor(minor: int, exponent: int) -> Decimal:
    """``minor`` minor units of a currency with ``exponent`` decimals, exactly."""
    return Decimal(int(minor)).scaleb(-exponent, EXACT)
