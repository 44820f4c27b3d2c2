"""Every public module states its public names: ``__all__`` is sorted, complete and importable.

As hypothesis's ``strategies/__init__.py`` asserts of itself, over every public module of the
package (a module whose dotted path has no component starting with ``_``). A module's own public
names are the top-level functions, classes and assignments whose names do not start with ``_``
(read from its source, so names it merely imports for its own use do not count).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from types import ModuleType
from typing import TypeVar

import pytest

import partner_of_record


def _public_modules() -> list[str]:
    names = [partner_of_record.__name__]
    for info in pkgutil.walk_packages(
        partner_of_record.__path__, prefix=f"{partner_of_record.__name__}."
    ):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts):
            names.append(info.name)
    return sorted(names)


PUBLIC_MODULES = _public_modules()


def _is_type_checking(test: ast.expr) -> bool:
    return isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith(
        "TYPE_CHECKING"
    )


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The module's statements, with the bodies of ``try`` and runtime ``if`` blocks inlined."""
    out: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.Try):
            out.extend(_top_level([*node.body, *node.orelse]))
            for handler in node.handlers:
                out.extend(_top_level(handler.body))
        elif isinstance(node, ast.If) and not _is_type_checking(node.test):
            out.extend(_top_level([*node.body, *node.orelse]))
        else:
            out.append(node)
    return out


def _defined_names(module: ModuleType) -> set[str]:
    """The names the module's own source defines at the top level (not imports)."""
    tree = ast.parse(inspect.getsource(module))
    names: set[str] = set()
    for node in _top_level(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    public = {n for n in names if not n.startswith("_") or n == "__version__"} - {"__all__"}
    return {n for n in public if not isinstance(getattr(module, n, None), TypeVar)}


_NOT_YET_LISTED: dict[str, frozenset[str]] = {}
"""Public-looking names that modules under restructuring (issue #16) define but do not list:
each should be listed in ``__all__`` or renamed private. Shrink this table, never grow it."""


def _isort_key(name: str) -> tuple[int, str]:
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_the_public_modules_are_found() -> None:
    """The walk finds the package and its documented public submodules, and no private one."""
    assert partner_of_record.__name__ in PUBLIC_MODULES
    for name in ("model", "rules", "ledger", "catalog", "policies", "opportunities", "report"):
        assert f"partner_of_record.{name}" in PUBLIC_MODULES
    assert not any("._" in name for name in PUBLIC_MODULES)


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_complete_and_importable(name: str) -> None:
    """``__all__`` is isort-sorted, each name exists, no public name of the module is missing."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(set(exported), key=_isort_key), name
    missing_attr = [n for n in exported if not hasattr(module, n)]
    assert not missing_attr, f"{name}.__all__ names what it does not have: {missing_attr}"
    unlisted = sorted(_defined_names(module) - set(exported) - _NOT_YET_LISTED.get(name, set()))
    assert not unlisted, f"{name} defines public names missing from __all__: {unlisted}"


def test_defined_names_reads_definitions_not_imports() -> None:
    """The helper counts a module's own definitions and ignores what it imports."""
    from partner_of_record import model, rules

    assert {"Partner", "Usage", "month_start", "PartnerId"} <= _defined_names(model)
    assert "Partner" not in _defined_names(rules)
    assert "ValidationError" not in _defined_names(model)


@pytest.mark.parametrize(
    ("facade", "homes"),
    [
        ("catalog", ("evaluation.catalog", "evaluation.catalog.eras", "evaluation.competency")),
        ("policies", ("attribution.policies", "attribution.registry", "attribution.errors")),
    ],
)
def test_catalog_and_policies_are_thin_re_exports_of_one_home(
    facade: str, homes: tuple[str, ...]
) -> None:
    """``partner_of_record.catalog`` and ``.policies`` define nothing: each name is its home's."""
    module = importlib.import_module(f"partner_of_record.{facade}")
    assert _defined_names(module) == set()
    sources = [importlib.import_module(f"partner_of_record.{home}") for home in homes]
    for name in module.__all__:
        obj = getattr(module, name)
        assert any(getattr(src, name, None) is obj for src in sources), (facade, name)
