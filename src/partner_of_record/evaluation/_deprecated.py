"""Deprecated names of the evaluation package, resolved with a ``DeprecationWarning`` (internal).

One table of renamed names, read by the module ``__getattr__`` of ``partner_of_record.evaluation``
and of ``partner_of_record.evaluation.results``.
"""

from __future__ import annotations

import warnings

__all__ = ["resolve"]

_RENAMED = {"FINDING_CODES": "EVALUATION_CODES"}
"""Old name -> new name in ``evaluation.results``. ``FINDING_CODES`` was also the name of the
ledger's table (``rules.FINDING_CODES``): one name now means one table."""


def resolve(module: str, name: str) -> object:
    """Return the value of the deprecated ``name`` of ``module``, with a warning.

    Args:
        module: the module asked (its ``__name__``).
        name: the attribute asked for.

    Returns:
        The value under its new name.

    Raises:
        AttributeError: ``name`` is not a deprecated name either.
    """
    new = _RENAMED.get(name)
    if new is None:
        msg = f"module {module!r} has no attribute {name!r}"
        raise AttributeError(msg)
    warnings.warn(
        f"{module}.{name} is deprecated; use {new} (the ledger's codes are "
        "partner_of_record.rules.FINDING_CODES)",
        DeprecationWarning,
        stacklevel=3,
    )
    from partner_of_record.evaluation import results

    return getattr(results, new)
