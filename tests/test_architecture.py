"""The architecture page is true: every path and name it cites exists, and the layers point one way.

``docs/explanation/architecture.md`` maps questions to places; these tests read it, import each
dotted name it cites and check each file path, and read every module's imports (with ``ast``) to
check the direction model <- rules <- ledger <- attribution <- evaluation <- incentives, with
io, report, the dashboard, opportunities, samples, Spark and the command line at the edge.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import partner_of_record

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "explanation" / "architecture.md"
SRC = ROOT / "src"
TEXT = PAGE.read_text(encoding="utf-8")
CITED = sorted(set(re.findall(r"`([^`\s]+)`", TEXT)))
NAMES = [c for c in CITED if re.fullmatch(r"partner_of_record(\.\w+)*", c)]
PATHS = [c for c in CITED if re.match(r"(src|tests|docs|benchmarks)/", c)]

LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("base", frozenset({"errors", "currency", "_text", "_declare", "_codes", "_extras"})),
    ("model", frozenset({"model"})),
    ("rules", frozenset({"rules"})),
    ("ledger", frozenset({"ledger", "_usage_table", "_usage_input"})),
    ("attribution", frozenset({"attribution", "policies"})),
    ("evaluation", frozenset({"evaluation", "catalog"})),
    ("incentives", frozenset({"incentives"})),
)
"""The core layers, in order, by top-level module or package of ``partner_of_record``: a module
may import from its own layer and the layers before it, never from a later one or the edge."""

EDGE = frozenset(
    {"io", "report", "_dashboard", "opportunities", "cli", "samples", "spark", "__main__"}
)
"""The edge: may import any core layer and each other; the core never imports them."""


def _resolve(dotted: str) -> object:
    """Import the longest importable module prefix of ``dotted``, then get the rest by getattr."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


def _top(module: str) -> str:
    """The top-level submodule of ``partner_of_record`` that ``module`` belongs to (``""``: the
    package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _rank(top: str) -> int | None:
    """The position of a top-level module's core layer; ``None`` for the edge and the package."""
    for i, (_, members) in enumerate(LAYERS):
        if top in members:
            return i
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every ``partner_of_record`` module ``path`` imports, at any depth (lazy imports count)."""
    module = _module_name(path)
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing package
                package = module.split(".")
                if path.name != "__init__.py":
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([base] if base else [])])
            if base == "partner_of_record":
                found.update(f"{base}.{a.name}" for a in node.names)
            else:
                found.add(base)
    return {m for m in found if m == "partner_of_record" or m.startswith("partner_of_record.")}


SOURCES = sorted((SRC / "partner_of_record").rglob("*.py"))

MAX_LINES = 600
"""Issue #16: a module longer than this says why in a ``Size:`` paragraph of its docstring."""


def test_the_page_cites_names_and_paths() -> None:
    """The page is read: it cites dozens of dotted names and several file paths."""
    assert len(NAMES) > 50
    assert len(PATHS) > 5


@pytest.mark.parametrize("dotted", NAMES)
def test_every_cited_name_imports(dotted: str) -> None:
    """Each dotted name on the page imports (module, then attributes)."""
    assert _resolve(dotted) is not None


@pytest.mark.parametrize("path", PATHS)
def test_every_cited_path_exists(path: str) -> None:
    """Each file or folder path on the page exists in the repository."""
    assert (ROOT / path).exists(), path


@pytest.mark.parametrize(
    "question",
    [
        "DPOR-overlap rule",
        "day proration",
        "rounding",
        "PCS usage-growth metric",
        "CSV columns",
    ],
)
def test_the_five_questions_are_answered_in_one_hop(question: str) -> None:
    """Each of the five questions has a row whose answer cites a name that imports."""
    rows = [line for line in TEXT.splitlines() if line.startswith("|") and question in line]
    assert rows, question
    answer = rows[0].split("|")[2]
    cited = [c for c in re.findall(r"`([^`\s]+)`", answer) if c.startswith("partner_of_record.")]
    assert cited, question
    for dotted in cited:
        _resolve(dotted)


def test_every_public_module_is_on_the_map() -> None:
    """Each public top-level module or package of partner_of_record is named on the page."""
    for info in pkgutil.iter_modules(partner_of_record.__path__):
        if not info.name.startswith("_"):
            assert f"`partner_of_record.{info.name}`" in TEXT, info.name


def test_every_top_level_module_has_a_layer() -> None:
    """Each top-level module of the package is placed in a core layer or at the edge."""
    placed = EDGE.union(*(members for _, members in LAYERS))
    tops = {info.name for info in pkgutil.iter_modules(partner_of_record.__path__)}
    assert tops <= placed, f"place these in LAYERS or EDGE: {sorted(tops - placed)}"


def test_the_rank_helper_orders_the_layers() -> None:
    """Layer ranks follow model <- rules <- ledger <- attribution <- evaluation <- incentives."""
    order = ["model", "rules", "ledger", "attribution", "evaluation", "incentives"]
    ranks = [_rank(top) for top in order]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    assert _rank("io") is None
    assert _rank("cli") is None


def _wrong_imports(module: str, targets: set[str]) -> list[str]:
    """The imports of a core module that point to a later layer, the edge or the package."""
    rank = _rank(_top(module))
    if rank is None:
        return []  # the edge and the package itself may import any layer
    wrong = []
    for target in sorted(targets):
        target_rank = _rank(_top(target))  # None: the edge or the package root
        if target_rank is None or target_rank > rank:
            wrong.append(target)
    return wrong


@pytest.mark.parametrize("path", SOURCES, ids=_module_name)
def test_imports_point_one_way(path: Path) -> None:
    """A core module imports only its own layer and earlier ones, never the edge."""
    module = _module_name(path)
    wrong = _wrong_imports(module, _imports(path))
    assert not wrong, f"{module} imports a later layer or the edge: {wrong}"


def test_a_backward_import_would_be_caught() -> None:
    """The check flags a core module importing a later layer, the edge or the package root."""
    assert _wrong_imports("partner_of_record.model", {"partner_of_record.rules"}) == [
        "partner_of_record.rules"
    ]
    assert _wrong_imports("partner_of_record.ledger", {"partner_of_record.io.columns"}) != []
    assert _wrong_imports("partner_of_record.evaluation.time", {"partner_of_record"}) != []
    assert _wrong_imports("partner_of_record.incentives", {"partner_of_record.model"}) == []
    assert _wrong_imports("partner_of_record.cli._demo", {"partner_of_record.samples"}) == []


def test_the_import_reader_sees_lazy_imports() -> None:
    """The import reader finds module-level imports and imports inside functions."""
    found = _imports(SRC / "partner_of_record" / "rules" / "_builtin.py")
    assert "partner_of_record.model" in found
    assert "partner_of_record.errors" in found
    cli = _imports(SRC / "partner_of_record" / "cli" / "_demo.py")
    assert "partner_of_record.samples" in cli  # imported inside a function


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def _size_reason(path: Path) -> str | None:
    """The ``Size:`` paragraph of the module's docstring (``None`` when it has none)."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    for paragraph in re.split(r"\n\s*\n", doc):
        if paragraph.startswith("Size:") and len(paragraph.split()) > 5:
            return paragraph
    return None


LONG = [p for p in SOURCES if _lines(p) > MAX_LINES]


@pytest.mark.parametrize("path", LONG, ids=_module_name)
def test_a_long_module_states_why_in_a_size_paragraph(path: Path) -> None:
    """A module over 600 lines has a docstring paragraph ``Size: <the reason>``."""
    assert _size_reason(path), (
        f"{_module_name(path)} has {_lines(path)} lines: split it into private topic modules, "
        "or add a paragraph starting 'Size:' to its docstring saying why it is one module"
    )


def test_the_size_reader_finds_the_paragraph(tmp_path: Path) -> None:
    """The reader finds a ``Size:`` paragraph anywhere in the docstring, and only a real one."""
    with_reason = tmp_path / "a.py"
    with_reason.write_text(
        '"""Title.\n\nBody.\n\nSize: one registry of data, kept in source order on purpose.\n"""\n'
    )
    assert (
        _size_reason(with_reason) == "Size: one registry of data, kept in source order on purpose."
    )
    bare = tmp_path / "b.py"
    bare.write_text('"""Title.\n\nSize: long.\n\nThe size of a thing: not a reason."""\n')
    assert _size_reason(bare) is None
