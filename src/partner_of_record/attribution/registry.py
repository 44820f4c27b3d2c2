"""Find a credit policy by name: the built-ins, then plugins' entry points.

A plugin package registers a policy in its ``pyproject.toml``::

    [project.entry-points."partner_of_record.policies"]
    my_rule = "my_package.policies:MyRule"

The entry point may name a policy object, or a class or factory that is called without
arguments to make one.
"""

from __future__ import annotations

import difflib
import importlib.metadata
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from partner_of_record.attribution.errors import UnknownPolicyError
from partner_of_record.attribution.policies import (
    DporOnly,
    EqualSplit,
    Policy,
    Priority,
    RecognizeAll,
)

__all__ = ["BUILTINS", "ENTRY_POINT_GROUP", "available", "get"]

ENTRY_POINT_GROUP = "partner_of_record.policies"
"""The entry-point group plugin packages register their policies in."""

BUILTINS: Mapping[str, Callable[[], Policy]] = MappingProxyType(
    {
        "dpor_only": DporOnly,
        "equal_split": EqualSplit,
        "priority_azure_usage_report": lambda: Priority(Priority.AZURE_USAGE_REPORT),
        "recognize_all": RecognizeAll,
    }
)
"""The built-in policies by name, each with a factory that makes it."""


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return {ep.name: ep for ep in found}


def available() -> tuple[str, ...]:
    """Return the names of every built-in and registered policy, sorted.

    Returns:
        The names ``get`` accepts.
    """
    return tuple(sorted(set(BUILTINS) | set(_entry_points())))


def get(name: str) -> Policy:
    """Return a new policy by name: a built-in, else one registered by a plugin.

    Args:
        name: e.g. ``"recognize_all"``, ``"priority_azure_usage_report"``, ``"equal_split"``,
            ``"dpor_only"``, or a name registered in the ``partner_of_record.policies``
            entry-point group.

    Returns:
        The policy.

    Raises:
        UnknownPolicyError: no policy has that name; the error lists the available names and
            suggests the closest one.
        TypeError: the registered object is not a policy (it has no ``shares`` method).
    """
    factory = BUILTINS.get(name)
    if factory is not None:
        return factory()
    eps = _entry_points()
    ep = eps.get(name)
    if ep is None:
        names = sorted(set(BUILTINS) | set(eps))
        close = difflib.get_close_matches(name, names, n=1)
        raise UnknownPolicyError(name, names, close[0] if close else None)
    loaded: Any = ep.load()
    policy = (
        loaded
        if callable(getattr(loaded, "shares", None)) and not isinstance(loaded, type)
        else loaded()
    )
    if not callable(getattr(policy, "shares", None)) or not hasattr(policy, "name"):
        msg = (
            f"entry point {name!r} ({ep.value}) in group {ENTRY_POINT_GROUP!r} gave "
            f"{policy!r}, which has no name and shares(usage, active) method"
        )
        raise TypeError(msg)
    result: Policy = policy
    return result
