"""Where a program value comes from: the source shorthands and notes of competencies and
incentive programs (``Competency`` and ``IncentiveProgram`` share them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

SOURCE_PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "PC23": "https://learn.microsoft.com/partner-center/",
        "PC21": "https://docs.microsoft.com/partner-center/",
    }
)
"""Source shorthands of the domain reference and the URL prefix each stands for (read-only)."""


def source_url(source: str) -> str:
    """``source`` as a URL: ``PC23:x`` becomes ``https://learn.microsoft.com/partner-center/x``;
    any other source is returned as it is."""
    prefix, sep, rest = source.partition(":")
    if sep and prefix in SOURCE_PREFIXES:
        return SOURCE_PREFIXES[prefix] + rest
    return source


def as_notes(value: str | Iterable[str]) -> tuple[str, ...]:
    """Notes as a tuple of strings: one string is one note."""
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)
