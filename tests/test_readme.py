"""The README's quickstart runs exactly as written, and its set-up commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_readme_has_exactly_two_setup_commands() -> None:
    """The README offers exactly two set-up commands: the demo and the tests."""
    commands = _blocks("bash")
    assert len(commands) == 2
    assert "partner-of-record demo" in commands[0]
    assert "pytest" in commands[1]


def test_quickstart_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """The quickstart executes as written and prints what its comments promise."""
    (code,) = _blocks("python")
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line == "False 250.00"
