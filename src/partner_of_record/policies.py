"""Credit policies: the built-ins, the ``Policy`` protocol and the registry.

A policy is any object with a ``name`` and a method
``shares(usage, active) -> Mapping[partner_id, Fraction | Decimal]`` that gives each partner's
share of one span's amount. Pass your own to [`attribute`][partner_of_record.attribute], or
register it by name in the ``partner_of_record.policies`` entry-point group so that
``policies.get(name)`` finds it.

This module is the documented import path and a thin re-export: nothing is defined here. The
one home of the built-in policies and the ``Policy`` protocol is
``partner_of_record.attribution.policies``, of the registry
``partner_of_record.attribution.registry``, of the errors ``partner_of_record.attribution.errors``.
``tests/test_public_api.py`` checks that each name here is the very object of its home.
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
