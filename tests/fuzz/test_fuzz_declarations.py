"""The declaration loaders' invariant over damaged TOML/JSON files (a small run in CI).

``load_competency_file`` and ``load_program_file`` either return a value that dumps and loads
back to itself, or raise ``DeclarationError`` naming the file; no other exception escapes
(issue 18, item 6). Damage: truncation, inserted or deleted bytes (invalid UTF-8, NUL), a
UTF-16/UTF-32 or BOM encoding, hostile values (huge exponents, 5,000-digit integers, other
scripts' digits, ``NaN``), keys renamed, deep nesting, the document wrapped in a list.

Long runs: ``python tests/fuzz/test_fuzz_declarations.py --campaign 20000``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from partner_of_record.evaluation import (
    DeclarationError,
    dump_competency,
    load_competency,
    load_competency_file,
)
from partner_of_record.evaluation.catalog import ALL
from partner_of_record.incentives import (
    dump_program,
    get_program,
    load_program,
    load_program_file,
)

_DOCUMENTS: list[tuple[str, dict[str, Any]]] = [
    *(("competency", dump_competency(c)) for c in list(ALL.values())[:6]),
    ("program", dump_program(get_program("AZURE_DPOR_2015", rate="0.05"))),
    ("program", dump_program(get_program("PARTNER_EARNED_CREDIT"))),
]
_HOSTILE: list[object] = [
    "1e10000000",
    "9" * 5000,
    "١٢",
    "NaN",
    "-0",
    "",
    None,
    True,
    [],
    {},
    "٢٠٢٤-٠١-٠١",
    "9999-12-31",
    "=cmd|' /C calc'!A0",
    1.5,
    -1,
    10**30,
]
_LOADERS = {"competency": load_competency_file, "program": load_program_file}
_BUILDERS = {
    "competency": (dump_competency, load_competency),
    "program": (dump_program, load_program),
}


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if value is None:
        return '"all"'  # TOML has no null
    return json.dumps(value)


def _toml(data: Any) -> str:
    if not isinstance(data, dict):
        return f"doc = {_toml_value(data)}\n"
    return "".join(f"{json.dumps(k)} = {_toml_value(v)}\n" for k, v in data.items())


def _paths(data: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [here]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*here, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*here, i))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


def _rename(data: Any, path: tuple[Any, ...], suffix: str) -> Any:
    if not path:
        return data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if not isinstance(parent, dict):
        return data
    renamed = {(k + suffix if k == path[-1] else k): v for k, v in parent.items()}
    return _replace(data, path[:-1], renamed)


@st.composite
def damaged_declarations(draw: st.DrawFn) -> tuple[str, str, bytes]:
    """(loader kind, file suffix, file bytes) for a damaged declaration."""
    kind, data = draw(st.sampled_from(_DOCUMENTS))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["value", "rename", "nest", "wrap"]))
        if action == "value":
            data = _replace(data, path, draw(st.sampled_from(_HOSTILE)))
        elif action == "rename":
            data = _rename(data, path, draw(st.sampled_from(["x", "_", "s"])))
        elif action == "nest":
            depth = draw(st.sampled_from([10, 70, 900, 5000]))
            data = _replace(data, path, f"NEST{depth}")  # spliced into the text below
        else:
            data = [data]
    suffix = draw(st.sampled_from(["toml", "json"]))
    text = json.dumps(data) if suffix == "json" else _toml(data)
    for depth in (10, 70, 900, 5000):
        text = text.replace(f'"NEST{depth}"', "[" * depth + "]" * depth)
    raw = text.encode()
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(raw)))
        cut = draw(st.sampled_from(["truncate", "insert", "delete"]))
        if cut == "truncate":
            raw = raw[:at]
        elif cut == "insert":
            raw = (
                raw[:at]
                + draw(st.sampled_from([b"\xff", b"\xe9", b"\x00", b'"', b"[", b"\r"]))
                + raw[at:]
            )
        else:
            raw = raw[:at] + raw[at + 1 :]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32"]))
    if encoding != "utf-8":
        raw = raw.decode("utf-8", errors="replace").encode(encoding)
    return kind, suffix, raw


def check_declaration(kind: str, suffix: str, raw: bytes, folder: Path) -> list[str]:
    """The invariant's violations for one damaged declaration file (empty when it holds)."""
    path = folder / f"decl.{suffix}"
    path.write_bytes(raw)
    try:
        value = _LOADERS[kind](path)
    except DeclarationError as exc:
        problems = []
        if exc.file != str(path) or not str(exc).startswith(f"{path}: "):
            problems.append(f"error does not name the file: {exc}")
        if not exc.problem:
            problems.append(f"error without a problem: {exc!r}")
        return problems
    except Exception as exc:  # the invariant: nothing else escapes
        return [f"{type(exc).__name__} escaped: {str(exc)[:200]}"]
    dump, load = _BUILDERS[kind]
    if load(dump(value)) != value:  # type: ignore[operator]
        return [f"loaded value does not round-trip: {value!r}"[:300]]
    return []


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(case=damaged_declarations())
def test_damaged_declarations_keep_the_invariant(
    tmp_path: Path, case: tuple[str, str, bytes]
) -> None:
    """A damaged declaration file loads (and round-trips) or raises DeclarationError naming it."""
    assert check_declaration(*case, tmp_path) == []


def test_the_check_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The invariant check is not vacuous: a loader letting another exception out is reported."""

    def broken(path: Path) -> None:
        raise RecursionError

    monkeypatch.setitem(_LOADERS, "competency", broken)
    assert check_declaration("competency", "toml", b"", tmp_path) == ["RecursionError escaped: "]


def main(argv: list[str] | None = None) -> int:
    """Run a long campaign; print the number of inputs and violations as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--campaign", type=int, default=1000, help="number of inputs")
    count = parser.parse_args(argv).campaign
    found: dict[str, int] = {}
    runs = 0
    with tempfile.TemporaryDirectory() as folder:

        @settings(
            max_examples=count,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=damaged_declarations())
        def body(case: tuple[str, str, bytes]) -> None:
            nonlocal runs
            runs += 1
            for problem in check_declaration(*case, Path(folder)):
                found[problem[:120]] = found.get(problem[:120], 0) + 1

        body()
    print(json.dumps({"inputs": runs, "violations": sum(found.values()), "distinct": found}))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
