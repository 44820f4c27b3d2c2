"""Bad declaration files raise DeclarationError naming the file and the place (issue 18, item 6).

Reproducers: a JSON or TOML document nested a few thousand levels deep raised ``RecursionError``
from the parser (or from the builder, for a tree of ``all_of`` blocks a few hundred levels deep);
a Latin-1 or UTF-16 file raised ``UnicodeDecodeError`` from ``load_competency_file`` and
``load_program_file``.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_of_record import _declare
from partner_of_record._declare import MAX_DEPTH, check_depth
from partner_of_record.evaluation import (
    DeclarationError,
    dump_competency,
    load_competency,
    load_competency_file,
    load_requirement,
    loads_competency,
)
from partner_of_record.evaluation.catalog import ALL
from partner_of_record.incentives import (
    dump_program,
    get_program,
    load_program,
    load_program_file,
    loads_program,
)

COMPETENCY = dump_competency(next(iter(ALL.values())))
PROGRAM = dump_program(get_program("AZURE_DPOR_2015", rate="0.05"))
WIN_PROGRAM = """
name = "UK_SMB_AZURE_WINS"
title = "UK SMB Azure wins campaign"
source = "partner community post, 2020"
effective = 2020-07-01
ends = 2021-07-01
notes = "one note"

[eligibility]
competency = "CLOUD_PLATFORM_SILVER"

[subscriptions]
kinds = ["csp_tier1", "csp_tier2"]
workloads = ["azure"]

[earning.win]
threshold = 1500
payment = 1000
baseline_max = 1000

[payout]
period = "program"
"""

TextLoader = Callable[..., Any]
TEXT_LOADERS = [
    pytest.param(loads_competency, id="competency"),
    pytest.param(loads_program, id="program"),
]
FILE_LOADERS = [
    pytest.param(load_competency_file, COMPETENCY, id="competency"),
    pytest.param(load_program_file, PROGRAM, id="program"),
]


def _nested_lists(depth: int) -> list[Any]:
    out: list[Any] = []
    for _ in range(depth - 1):
        out = [out]
    return out


def _nested_all_of(depth: int) -> dict[str, Any]:
    leaf: dict[str, Any] = dict(COMPETENCY["requirement"])
    for _ in range(depth):
        leaf = {"type": "all_of", "name": "all", "parts": [leaf]}
    return leaf


def _toml(data: dict[str, Any]) -> str:
    """A TOML document for a flat-enough table (JSON values are valid TOML inline values)."""
    lines = []
    for key, value in data.items():
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value)


# ---------------------------------------------------------------------------------------------
# nesting


@pytest.mark.parametrize("loader", TEXT_LOADERS)
@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_thousands_of_levels_raise_declaration_error(loader: TextLoader, fmt: str) -> None:
    """A document nested 100,000 levels deep is a DeclarationError, not a RecursionError."""
    text = "[" * 100_000 + "]" * 100_000
    text = text if fmt == "json" else f"a = {text}"
    with pytest.raises(DeclarationError, match="nested deeper than") as info:
        loader(text, format=fmt)
    assert not isinstance(info.value.__context__, RecursionError) or info.value.__cause__ is None


def test_deep_requirement_tree_is_located() -> None:
    """A parseable all_of tree deeper than the limit names the path where the limit is passed."""
    text = json.dumps({**COMPETENCY, "requirement": _nested_all_of(100)})
    with pytest.raises(DeclarationError, match=f"nested deeper than {MAX_DEPTH}") as info:
        loads_competency(text, format="json")
    assert info.value.path.startswith("requirement.parts[0].parts[0]")
    assert info.value.path.count("[0]") == (MAX_DEPTH - 1) // 2


@pytest.mark.parametrize("depth", [1_000, 10_000])
def test_deep_python_data_is_rejected_before_building(depth: int) -> None:
    """Deep data handed to load_competency / load_requirement / load_program raises, located."""
    deep = _nested_all_of(depth)
    with pytest.raises(DeclarationError, match="nested deeper"):
        load_competency({**COMPETENCY, "requirement": deep})
    with pytest.raises(DeclarationError, match="nested deeper") as info:
        load_requirement(deep)
    assert info.value.path.startswith("requirement.parts[0]")
    with pytest.raises(DeclarationError, match="nested deeper") as info:
        load_program({**PROGRAM, "notes": _nested_lists(depth)})
    assert info.value.path.startswith("notes[0][0]")


@given(depth=st.integers(min_value=1, max_value=3 * MAX_DEPTH))
def test_check_depth_law(depth: int) -> None:
    """check_depth accepts exactly the nests of at most MAX_DEPTH levels (lists or tables)."""
    nests: list[Any] = [_nested_lists(depth)]
    table: Any = {}
    for _ in range(depth - 1):
        table = {"k": table}
    nests.append(table)
    for nest in nests:
        if depth <= MAX_DEPTH:
            check_depth(nest)
        else:
            with pytest.raises(DeclarationError, match=f"deeper than {MAX_DEPTH}"):
                check_depth(nest)


def test_the_limit_leaves_room_for_the_catalog() -> None:
    """Every catalog entry and a 20-level all_of tree load; the limit only stops hostile input."""
    for competency in ALL.values():
        assert loads_competency(json.dumps(dump_competency(competency)), format="json") == (
            competency
        )
    loads_competency(json.dumps({**COMPETENCY, "requirement": _nested_all_of(20)}), format="json")


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_integer_past_pythons_digit_limit_is_a_declaration_error(fmt: str) -> None:
    """A 5,000-digit integer (beyond Python's int conversion limit) is a DeclarationError."""
    text = '{"a": ' + "9" * 5000 + "}" if fmt == "json" else "a = " + "9" * 5000
    with pytest.raises(DeclarationError, match=f"not valid {fmt.upper()}"):
        loads_competency(text, format=fmt)


# ---------------------------------------------------------------------------------------------
# encodings


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(("loader", "data"), FILE_LOADERS)
@given(cut=st.floats(min_value=0, max_value=1), bad=st.sampled_from([b"\xff", b"\xe9", b"\x80"]))
def test_a_non_utf8_byte_names_file_line_and_column(
    tmp_path_factory: pytest.TempPathFactory,
    loader: TextLoader,
    data: dict[str, Any],
    cut: float,
    bad: bytes,
) -> None:
    """A Latin-1 byte anywhere in the file: DeclarationError with the file, line and column."""
    good = json.dumps(data, indent=2).encode()
    at = int(cut * len(good))
    path = _write(tmp_path_factory.mktemp("enc"), "decl.json", good[:at] + bad + good[at:])
    with pytest.raises(DeclarationError) as info:
        loader(path)
    line = good[:at].count(b"\n") + 1
    column = at - good[:at].rfind(b"\n")
    assert info.value.file == str(path)
    assert str(info.value).startswith(f"{path}: not UTF-8 text")
    assert f"at line {line}, column {column}" in str(info.value)


@pytest.mark.parametrize(("loader", "data"), FILE_LOADERS)
@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_files_are_named(
    tmp_path: Path, loader: TextLoader, data: dict[str, Any], encoding: str, name: str
) -> None:
    """Excel's "Unicode Text" (UTF-16 with a BOM) is rejected with the encoding and the file."""
    path = _write(tmp_path, "decl.toml", _toml(data).encode(encoding))
    with pytest.raises(DeclarationError, match=f"{name} text; save the file as UTF-8") as info:
        loader(path)
    assert info.value.file == str(path)


@pytest.mark.parametrize(("loader", "data"), FILE_LOADERS)
def test_utf8_bom_is_read_like_plain_utf8(
    tmp_path: Path, loader: TextLoader, data: dict[str, Any]
) -> None:
    """A UTF-8 BOM (Notepad's "UTF-8 with BOM") does not change what the file declares."""
    for suffix, text in (("json", json.dumps(data)), ("toml", _toml(data))):
        plain = _write(tmp_path, f"plain.{suffix}", text.encode())
        bom = _write(tmp_path, f"bom.{suffix}", b"\xef\xbb\xbf" + text.encode())
        assert loader(bom) == loader(plain)


@pytest.mark.parametrize(("loader", "data"), FILE_LOADERS)
def test_file_errors_name_the_file_and_the_key(
    tmp_path: Path, loader: TextLoader, data: dict[str, Any]
) -> None:
    """Syntax, nesting and key errors read from a file all name the file first."""
    cases = {
        "syntax.toml": b"name = \n",
        "deep.json": b"[" * 50_000 + b"]" * 50_000,
        "key.json": json.dumps({**data, "titel": "x"}).encode(),
    }
    expected = {
        "syntax.toml": "not valid TOML",
        "deep.json": "nested deeper than",
        "key.json": "titel: unknown key",
    }
    for name, raw in cases.items():
        path = _write(tmp_path, name, raw)
        with pytest.raises(DeclarationError) as info:
            loader(path)
        assert info.value.file == str(path)
        assert str(info.value).startswith(f"{path}: ")
        assert expected[name] in str(info.value)


def test_error_without_a_file_keeps_its_form() -> None:
    """Text and data loaders name the key path only, as before (``<root>`` for the document)."""
    with pytest.raises(DeclarationError) as info:
        loads_competency("name = ", format="toml")
    assert info.value.file is None
    assert str(info.value).startswith("<root>: not valid TOML")


# ---------------------------------------------------------------------------------------------
# one builder


def test_incentives_import_no_private_names_across_packages() -> None:
    """The incentives' loader uses the shared private module, not evaluation's private names."""
    import partner_of_record.incentives.declarative as module

    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "partner_of_record.evaluation"
        ):
            assert not [a.name for a in node.names if a.name.startswith("_")], node.module
    assert module.DeclarationError is _declare.DeclarationError


def test_program_round_trips_through_the_shared_builder() -> None:
    """dump_program then load_program is the identity, win rule and eligibility included."""
    programs = [
        get_program("AZURE_DPOR_2015", rate="0.05"),
        get_program("PARTNER_EARNED_CREDIT"),
        loads_program(WIN_PROGRAM),
    ]
    assert programs[2].earning.win is not None
    assert programs[2].earning.win.threshold == 1500
    for program in programs:
        assert load_program(dump_program(program)) == program
        assert loads_program(json.dumps(dump_program(program)), format="json") == program


def test_win_rule_errors_keep_their_path() -> None:
    """A bad key or value inside earning.win is located at earning.win.<key>."""
    with pytest.raises(DeclarationError, match=r"^earning\.win\.treshold: unknown key for WinRule"):
        loads_program(WIN_PROGRAM.replace("threshold", "treshold"))
    with pytest.raises(DeclarationError, match=r"^earning\.win\.payment: 'x' is not a number"):
        loads_program(WIN_PROGRAM.replace("payment = 1000", 'payment = "x"'))
    with pytest.raises(DeclarationError, match=r"^earning\.win: expected a table"):
        loads_program(json.dumps({**PROGRAM, "earning": {"win": 3}}), format="json")


@pytest.mark.parametrize("text", ["١٢", "1e١٢", "１５０００"])
def test_numbers_take_ascii_digits_only(text: str) -> None:
    """A threshold written with Arabic-Indic or full-width digits is refused, located."""
    requirement = {**COMPETENCY["requirement"], "threshold": text}
    with pytest.raises(DeclarationError, match="ASCII digits only") as info:
        load_requirement(requirement)
    assert info.value.path == "requirement.threshold"
