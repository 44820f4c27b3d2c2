"""Credit policies: the built-ins, the ``Policy`` protocol and the registry.

A policy is any object with a ``name`` and a method
``shares(usage, active) -> Mapping[partner_id, Fraction | Decimal]`` that gives each partner's
share of one span's amount. Pass your own to [`attribute`][partner_of_record.attribute], or
register it by name in the ``partner_of_record.policies`` entry-point group so that
``policies.get(name)`` finds it.
"""

from __future__ import annotations

from partner_of_record.attribution.errors import PolicyError, UnknownPolicyError
from partner_of_record.attribution.policies import (
    Award,
    Decision,
    DporOnly,
    EqualSplit,
    Policy,
    Priority,
    RecognizeAll,
    WeightedSplit,
)
from partner_of_record.attribution.registry import BUILTINS, ENTRY_POINT_GROUP, available, get

__all__ = [
    "BUILTINS",
    "ENTRY_POINT_GROUP",
    "Award",
    "Decision",
    "DporOnly",
    "EqualSplit",
    "Policy",
    "PolicyError",
    "Priority",
    "RecognizeAll",
    "UnknownPolicyError",
    "WeightedSplit",
    "available",
    "get",
]
