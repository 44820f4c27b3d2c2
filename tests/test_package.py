"""The installed package: version, public names, typing marker."""

from __future__ import annotations

from importlib.metadata import version
from importlib.resources import files

import partner_of_record


def test_version_matches_metadata() -> None:
    """`__version__` is the installed distribution's version."""
    assert partner_of_record.__version__ == version("partner-of-record")


def test_all_is_sorted_and_importable() -> None:
    """Every name in `__all__` exists; `__all__` is isort-sorted (constants, classes, functions)."""
    names = partner_of_record.__all__

    def isort_key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(names) == sorted(set(names), key=isort_key)
    for name in names:
        assert hasattr(partner_of_record, name), name


def test_public_names_are_documented() -> None:
    """Every public class and function carries a docstring."""
    for name in partner_of_record.__all__:
        obj = getattr(partner_of_record, name)
        if callable(obj):
            assert (obj.__doc__ or "").strip(), name


def test_py_typed_marker_ships() -> None:
    """The package ships a `py.typed` marker so type checkers use its annotations."""
    assert files("partner_of_record").joinpath("py.typed").is_file()
