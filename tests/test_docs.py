"""The documentation does not lie: every Python example runs, and every printed output matches.

Each page of ``docs/`` is one test. Its fenced ``python`` blocks run in order in one namespace,
with the working directory set to a fresh temporary folder (examples may write files). A
``text`` block whose info string says ``title="Output"`` and that directly follows a ``python``
block must equal what that block printed; a line holding only ``...`` matches any lines. A
block in another language titled with a file name (``title="data/usage.csv"``) is written to
that file, relative to the working directory, when the page reaches it, so the examples read
the very files the page shows. Other blocks (``bash``, ``text`` ...) are shown, not run.

The generated reference tables (``docs/hooks.py``) are checked against the code they come from.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
RUN = frozenset({"python", "py"})
SHOWN = frozenset({"text", "bash", "console", "toml", "json", "csv", "yaml"})
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`]*)$")


@attrs.frozen
class Block:
    """One fenced code block of a page."""

    language: str
    info: str
    code: str
    line: int  # the line of the first code line (1-based)
    follows: Block | None  # the block right before it, when only blank lines separate them

    @property
    def title(self) -> str | None:
        """The block's ``title="..."``, if any."""
        match = re.search(r'title="([^"]+)"', self.info)
        return match[1] if match else None

    @property
    def is_output(self) -> bool:
        """Whether the block shows what the python block before it prints."""
        return self.language == "text" and self.title == "Output"

    @property
    def file(self) -> str | None:
        """The file a shown block stands for (``title="data/usage.csv"``), written before use."""
        title = self.title
        if self.language in RUN or title is None or title == "Output" or "." not in title:
            return None
        return title


def blocks(text: str) -> Iterator[Block]:
    """Yield the fenced code blocks of a Markdown page, in order."""
    lines = text.splitlines()
    previous: Block | None = None
    last_end = -2
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        indent, fence = match["indent"], match["fence"]
        info = match["info"].strip()
        language = info.split(maxsplit=1)[0].lstrip(".").lower() if info else ""
        body: list[str] = []
        start = i + 1
        i += 1
        while i < len(lines) and lines[i].strip() != fence:
            body.append(lines[i].removeprefix(indent))
            i += 1
        between = lines[last_end + 1 : start - 1] if last_end >= 0 else ["x"]
        adjacent = previous is not None and all(not line.strip() for line in between)
        block = Block(
            language, info, "\n".join(body) + "\n", start + 1, previous if adjacent else None
        )
        yield block
        previous, last_end = block, i
        i += 1


def _output_pattern(expected: str) -> re.Pattern[str]:
    parts = [
        r"(?:[^\n]*\n)*?" if line.strip() == "..." else re.escape(line) + r"\n"
        for line in expected.rstrip("\n").split("\n")
    ]
    return re.compile("".join(parts), flags=re.DOTALL)


def output_matches(expected: str, actual: str) -> bool:
    """Whether ``actual`` (printed text) matches ``expected`` (with ``...`` lines)."""
    actual = "\n".join(line.rstrip() for line in actual.rstrip("\n").split("\n")) + "\n"
    expected = "\n".join(line.rstrip() for line in expected.rstrip("\n").split("\n")) + "\n"
    return _output_pattern(expected).fullmatch(actual) is not None


def _load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    dont_write = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = dont_write
    return module


hooks = _load_hooks()


def run_page(page: str) -> dict[str, Any]:
    """Run the python blocks of a page in one namespace; check each Output block."""
    path = DOCS / page
    text = path.read_text(encoding="utf-8")
    hooks.render(text)  # every generated-table marker of the page names a known table
    namespace: dict[str, Any] = {"__name__": f"docs.{page}"}
    printed: dict[int, str] = {}
    for block in blocks(text):
        assert block.language in RUN | SHOWN, (
            f"{page}:{block.line}: fenced block in {block.language or 'no language'!r}: use "
            f"python (run) or one of {sorted(SHOWN)} (shown only)"
        )
        if block.language in RUN:
            code = compile("\n" * (block.line - 1) + block.code, str(path), "exec")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, namespace)  # running the docs is the point
            printed[id(block)] = out.getvalue()
        elif block.file is not None:
            target = Path(block.file)
            assert not target.is_absolute(), f"{page}:{block.line}: file titles are relative"
            assert ".." not in target.parts, f"{page}:{block.line}: file titles stay in the folder"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
        elif block.is_output:
            source = block.follows
            assert source is not None, f"{page}:{block.line}: an Output block must follow code"
            assert source.language in RUN, f"{page}:{block.line}: Output after a non-python block"
            actual = printed[id(source)]
            assert output_matches(block.code, actual), (
                f"{page}:{block.line}: the example printed\n{actual}\nbut the page shows\n"
                f"{block.code}"
            )
    return namespace


@pytest.mark.parametrize("page", PAGES)
def test_page_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every python example of the page runs in order and prints what the page shows."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    run_page(page)


def test_block_parser_finds_outputs_and_indented_blocks() -> None:
    """The block parser sees indented blocks and ties an Output block to the code before it."""
    text = (
        'intro\n\n```python\nprint(1)\n```\n\n```text title="Output"\n1\n```\n\n'
        '!!! note\n    ```python\n    x = 2\n    ```\n\nprose\n\n```text title="Output"\n2\n```\n'
    )
    found = list(blocks(text))
    assert [b.language for b in found] == ["python", "text", "python", "text"]
    assert found[1].follows is found[0]
    assert found[2].code == "x = 2\n"
    assert found[3].follows is None  # prose in between: not an output of the block before


def test_file_blocks_are_written_before_the_code_that_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A block titled with a file name is written there, and later code reads it as shown."""
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "files.md"
    page.write_text(
        '```toml title="conf/a.toml"\nx = 1\n```\n\n'
        "```python\nimport pathlib, tomllib\n"
        "print(tomllib.loads(pathlib.Path('conf/a.toml').read_text()))\n```\n\n"
        "```text title=\"Output\"\n{'x': 1}\n```\n"
    )
    run_page(str(page))
    assert (tmp_path / "conf" / "a.toml").read_text() == "x = 1\n"


def test_output_matching_is_exact_but_for_ellipsis_lines() -> None:
    """An Output block matches the printed text line by line; ``...`` stands for any lines."""
    assert output_matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert output_matches("a\nb\n", "a\nb  \n")
    assert not output_matches("a\nb\n", "a\nc\n")
    assert not output_matches("a\n", "a\nb\n")


def test_a_lying_example_fails(tmp_path: Path) -> None:
    """A page whose Output block disagrees with the code fails the page's test."""
    page = tmp_path / "lie.md"
    page.write_text('```python\nprint(2 + 2)\n```\n\n```text title="Output"\n5\n```\n')
    with pytest.raises(AssertionError, match="the example printed"):
        run_page(str(page))


def _nav_pages() -> set[str]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text[text.index("\nnav:") :]
    return set(re.findall(r"([\w./-]+\.md)\s*$", nav, flags=re.MULTILINE))


def test_every_page_is_in_the_nav() -> None:
    """mkdocs.yml's nav lists every page of docs/, and every page it lists exists."""
    assert _nav_pages() == set(PAGES)


def test_reject_codes_are_the_importers_codes() -> None:
    """The documented reject and load-warning codes are exactly the codes csv_import emits."""
    documented = set(hooks.reject_codes()) | set(hooks.load_warning_codes())
    assert documented == hooks.code_literals("partner_of_record.io.csv_import")


@pytest.mark.parametrize(
    "module",
    [
        "partner_of_record.ledger",
        "partner_of_record.ledger._check",
        "partner_of_record.ledger._structural",
        "partner_of_record.evaluation.evaluator",
        "partner_of_record.evaluation._batch",
        "partner_of_record.evaluation._batch_measures",
        "partner_of_record.evaluation._batch_tables",
        "partner_of_record.evaluation._evaluation",
        "partner_of_record.evaluation._projection",
        "partner_of_record.evaluation._result_tree",
        "partner_of_record.evaluation.measures._base",
        "partner_of_record.evaluation.measures._consumption",
        "partner_of_record.evaluation.measures._customers",
        "partner_of_record.evaluation.measures._seats",
        "partner_of_record.evaluation.measures._skills",
        "partner_of_record.evaluation.requirements",
        "partner_of_record.evaluation.results",
    ],
)
def test_emitted_finding_codes_are_documented(module: str) -> None:
    """Every finding code a ledger or evaluation module writes is in a documented code table."""
    from partner_of_record import rules
    from partner_of_record.evaluation import EVALUATION_CODES

    assert hooks.code_literals(module) <= set(rules.FINDING_CODES) | set(EVALUATION_CODES)


def test_codes_page_lists_every_code() -> None:
    """The codes page shows every ledger, reject and evaluation finding code, and every error."""
    page = hooks.render((DOCS / "reference" / "codes.md").read_text(encoding="utf-8"))
    from partner_of_record import rules
    from partner_of_record.evaluation import EVALUATION_CODES

    codes = set(rules.FINDING_CODES) | set(EVALUATION_CODES) | set(hooks.reject_codes())
    missing = {code for code in codes if f"`{code}`" not in page}
    assert not missing
    errors = {cls.__name__ for cls in hooks.error_classes()}
    assert {"PartnerOfRecordError", "LedgerError", "ValidationError"} <= errors
    assert all(f".{name}`" in page or f"`{name}`" in page for name in errors)


def test_catalog_page_gives_each_entrys_source_and_date() -> None:
    """The catalog page shows every entry with its source and publication date."""
    from partner_of_record import catalog

    page = hooks.render((DOCS / "reference" / "catalog.md").read_text(encoding="utf-8"))
    for name, entry in catalog.ALL.items():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{name}` |"))
        assert entry.published.isoformat() in row
        assert entry.source in row


def test_file_formats_page_shows_the_column_mapping() -> None:
    """The file formats page holds the importer's own column and value tables."""
    from partner_of_record.io.columns import LAYOUTS, markdown_reference

    page = hooks.render((DOCS / "reference" / "file-formats.md").read_text(encoding="utf-8"))
    assert markdown_reference().strip() in page
    assert all(f"`{layout.file_name}`" in page for layout in LAYOUTS)


def test_cli_page_shows_every_commands_help() -> None:
    """The command-line page holds the --help text of the program and of every command."""
    from partner_of_record import cli

    page = hooks.render((DOCS / "reference" / "cli.md").read_text(encoding="utf-8"))
    for build in cli.COMMAND_BUILDERS:
        command = build()
        assert f"$ partner-of-record {command.name} --help" in page
        assert command.summary in page


def test_unknown_marker_is_an_error() -> None:
    """A page asking for a table the hook does not know fails instead of rendering nothing."""
    with pytest.raises(KeyError, match="unknown generated table"):
        hooks.render("<!-- generated: no-such-table -->\n")


def test_readme_links_only_to_pages_github_readers_can_read() -> None:
    """Every README link into the repository is a file whose content shows without a site build."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = [t for t in re.findall(r"\]\(([^)#\s]+)", text) if "://" not in t]
    assert any(link.startswith("docs/tutorial") for link in links)
    for link in links:
        target = ROOT / link
        assert target.is_file(), link
        if target.suffix == ".md":
            page = target.read_text(encoding="utf-8")
            assert not re.search(r"^::: ", page, flags=re.MULTILINE), f"{link}: mkdocstrings stub"
            assert "<!-- generated:" not in page, f"{link}: a table filled in at build time"


def test_no_page_tells_users_to_pip_install_from_pypi() -> None:
    """The package is not on PyPI: no page, README or error hint says to install it from there."""
    sources = [ROOT / "README.md", *DOCS.rglob("*.md"), *(ROOT / "src").rglob("*.py")]
    for path in sources:
        text = path.read_text(encoding="utf-8")
        assert "pip install partner-of-record" not in text, path
        assert "pip install 'partner-of-record[" not in text, path
