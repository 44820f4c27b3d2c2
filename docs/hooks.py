"""mkdocs hook: render reference tables from the code's own tables at build time.

A page asks for a table with a marker on a line of its own, ``<!-- generated: NAME -->``; the
hook replaces it with the Markdown that ``GENERATORS[NAME]()`` returns. The tables therefore
cannot drift from the code: the finding and reject codes, the column-name mapping, the catalog
entries with their sources and publication dates, the exception classes and the command line's
help texts all come from the package itself.

This module imports nothing from mkdocs, so ``tests/test_docs.py`` can import it and check the
tables without the docs dependencies installed.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import inspect
import os
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import partner_of_record
from partner_of_record import PartnerOfRecordError, catalog, cli, rules
from partner_of_record.evaluation import EVALUATION_CODES
from partner_of_record.io import columns, csv_import, export

MARKER = re.compile(r"^<!-- generated: ([a-z0-9-]+) -->$", flags=re.MULTILINE)
"""A line that asks for a generated table."""

_CODE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _cell(text: str) -> str:
    """Make ``text`` safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _code_table(codes: Mapping[str, str], *, heading: str = "meaning") -> str:
    lines = [f"| code | {heading} |", "|---|---|"]
    lines.extend(f"| `{code}` | {_cell(text)} |" for code, text in codes.items())
    return "\n".join(lines) + "\n"


def ledger_codes() -> dict[str, str]:
    """Every code a ledger finding can carry: structural checks, then the shipped rules."""
    return dict(rules.FINDING_CODES)


def _ledger_finding_codes() -> str:
    structural = dict(rules.STRUCTURAL_CODES)
    program = {c: t for c, t in rules.FINDING_CODES.items() if c not in structural}
    return (
        "Structural checks (always on):\n\n"
        + _code_table(structural)
        + "\nProgram rules of the shipped rule sets (`MICROSOFT_2017`, `MICROSOFT_2023`):\n\n"
        + _code_table(program)
    )


def _module_docstring_codes(module: Any) -> dict[str, str]:
    """The ``| ``CODE`` | meaning |`` rows of a module docstring's code table."""
    rows = re.findall(r"^\| ``([A-Z][A-Z0-9_]+)`` \| (.*?) \|$", module.__doc__ or "", re.M)
    return dict(rows)


def reject_codes() -> dict[str, str]:
    """The codes a CSV or JSON load reject can carry, besides the ledger's finding codes.

    Taken from ``csv_import.REJECT_CODES`` when the module defines it, else from the code table
    of its module docstring.
    """
    table = getattr(csv_import, "REJECT_CODES", None)
    if table is not None:
        return dict(table)
    return _module_docstring_codes(csv_import)


_BUILT_FROM: dict[str, tuple[str, ...]] = {
    "partner_of_record.io.csv_import": (
        "partner_of_record.io._session",
        "partner_of_record.io._csv_reader",
        "partner_of_record.io._csv_rows",
    ),
}
"""Modules whose code lives partly in private modules: their literals count as the module's."""


def code_literals(module_name: str) -> set[str]:
    """Every ``UPPER_SNAKE`` string literal in a module's source that is not an exported name.

    For a module listed in ``_BUILT_FROM`` (the CSV loader reads through ``io._session`` ...),
    the literals of the private modules it is built from count as its own.
    """
    module = importlib.import_module(module_name)
    exported = set(getattr(module, "__all__", ()))
    parts = [module, *map(importlib.import_module, _BUILT_FROM.get(module_name, ()))]
    return {
        node.value
        for part in parts
        for node in ast.walk(ast.parse(inspect.getsource(part)))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _CODE.match(node.value)
        and node.value not in exported
    }


def load_warning_codes() -> dict[str, str]:
    """The warning codes of a CSV load (kept as findings, the row is not rejected)."""
    return {
        "UNKNOWN_COLUMN": "a column that no field claims; reported once per file and column",
        "UNKNOWN_FILE": "a CSV file in the folder that is not one of the six record files",
    }


def _reject_codes() -> str:
    return (
        _code_table(reject_codes())
        + "| any ledger finding code | the ledger refused the record (see above) |\n"
        + "\nWarnings (the row is kept):\n\n"
        + _code_table(load_warning_codes())
    )


def evaluation_codes() -> dict[str, str]:
    """Every finding code the evaluator emits."""
    return dict(EVALUATION_CODES)


def _evaluation_finding_codes() -> str:
    return _code_table(evaluation_codes())


def _public_modules() -> Iterator[Any]:
    yield partner_of_record
    for info in pkgutil.walk_packages(partner_of_record.__path__, "partner_of_record."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        yield importlib.import_module(info.name)


def error_classes() -> list[type[BaseException]]:
    """Every public exception class of the package, the root class first."""
    found: dict[str, type[BaseException]] = {}
    for module in _public_modules():
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if inspect.isclass(obj) and issubclass(obj, PartnerOfRecordError):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    root = f"{PartnerOfRecordError.__module__}.PartnerOfRecordError"
    return [
        found[root],
        *(found[k] for k in sorted(found, key=lambda k: k.rsplit(".")[-1]) if k != root),
    ]


def _public_path(cls: type[BaseException]) -> str:
    """The shortest public dotted path under which ``cls`` is exported."""
    best = f"{cls.__module__}.{cls.__qualname__}"
    for module in _public_modules():
        if getattr(module, cls.__name__, None) is cls and cls.__name__ in getattr(
            module, "__all__", ()
        ):
            candidate = f"{module.__name__}.{cls.__name__}"
            if len(candidate) < len(best):
                best = candidate
    return best


def _errors() -> str:
    lines = ["| exception | also a | raised when |", "|---|---|---|"]
    for cls in error_classes():
        builtins = [b.__name__ for b in cls.__mro__[1:] if b.__module__ == "builtins"]
        builtins = [b for b in builtins if b not in {"Exception", "BaseException", "object"}]
        doc = (inspect.getdoc(cls) or "").split("\n\n")[0]
        path = _public_path(cls)
        lines.append(f"| `{path}` | {', '.join(builtins) or '-'} | {_cell(doc)} |")
    return "\n".join(lines) + "\n"


def _columns() -> str:
    return columns.markdown_reference()


def _export_columns() -> str:
    out: list[str] = []
    for name in sorted(n for n in export.__all__ if n.endswith("_COLUMNS")):
        table = getattr(export, name)
        out += [f"### `{name}`", "", "| column | meaning |", "|---|---|"]
        out.extend(f"| `{column}` | {_cell(text)} |" for column, text in table)
        out.append("")
    return "\n".join(out)


def _catalog() -> str:
    lines = ["| entry | title | program | source | published |", "|---|---|---|---|---|"]
    for name, entry in catalog.ALL.items():
        source = entry.source_url
        link = f"[{_cell(entry.source)}]({source})" if source.startswith("http") else _cell(source)
        lines.append(
            f"| `{name}` | {_cell(entry.title)} | {_cell(entry.program)} | {link} | "
            f"{entry.published.isoformat()} |"
        )
    lines.append("")
    for name, entry in catalog.ALL.items():
        lines += [f"### `{name}`", "", f"**{_cell(entry.title)}**, {_cell(entry.program)}.", ""]
        url = entry.source_url
        where = f"[{_cell(entry.source)}]({url})" if url.startswith("http") else entry.source
        lines.append(f"Source: {where}, published {entry.published.isoformat()}.")
        lines.append("")
        lines.extend(f"- {' '.join(note.split())}" for note in entry.notes)
        lines.append("")
    return "\n".join(lines)


@contextlib.contextmanager
def _columns_env(width: int) -> Iterator[None]:
    """Make ``argparse`` wrap help at ``width`` columns, whatever the terminal."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def cli_help() -> dict[str, str]:
    """The ``--help`` text of the program and of each command, keyed by command line."""
    commands = [build() for build in cli.COMMAND_BUILDERS]
    with _columns_env(100):
        parser = cli.build_parser(commands)
        texts = {"partner-of-record --help": parser.format_help()}
        actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for action in actions:
            for name, child in action.choices.items():
                texts[f"partner-of-record {name} --help"] = child.format_help()
    return texts


def _cli() -> str:
    out: list[str] = []
    for command, text in cli_help().items():
        title = command.removesuffix(" --help")
        out += [f"## `{title}`", "", "```text", f"$ {command}", text.rstrip(), "```", ""]
    return "\n".join(out)


GENERATORS: Mapping[str, Callable[[], str]] = {
    "ledger-finding-codes": _ledger_finding_codes,
    "reject-codes": _reject_codes,
    "evaluation-finding-codes": _evaluation_finding_codes,
    "errors": _errors,
    "columns": _columns,
    "export-columns": _export_columns,
    "catalog": _catalog,
    "cli": _cli,
}
"""Marker name -> function returning the Markdown that replaces the marker."""


def render(markdown: str) -> str:
    """Replace every marker of ``markdown`` with its generated table.

    Raises:
        KeyError: a marker names no generator.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in GENERATORS:
            msg = f"unknown generated table {name!r}; known: {', '.join(GENERATORS)}"
            raise KeyError(msg)
        return GENERATORS[name]().rstrip("\n")

    return MARKER.sub(replace, markdown)


def on_page_markdown(markdown: str, **kwargs: Any) -> str:
    """mkdocs event: render the page's generated tables."""
    return render(markdown)
