"""The documented submodules are attributes of the package, imported lazily (issue #12.12)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SUBMODULES = ("catalog", "policies", "rules", "io", "evaluation", "samples")


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_documented_submodule_is_reachable_from_a_fresh_import() -> None:
    """In a fresh interpreter, `import partner_of_record as por` then `por.catalog...`,
    `por.policies.EqualSplit()` and the other documented submodules work without importing
    them first."""
    out = _run(
        """
        import partner_of_record as por
        print(por.catalog.CLOUD_PLATFORM_SILVER.name)
        print(por.policies.EqualSplit().name)
        print(por.rules.DEFAULT_RULES.name)
        print(por.io.load_folder.__name__)
        print(por.evaluation.evaluate_competency.__name__)
        print(por.samples.SAMPLE_AS_OF.isoformat())
        print(sorted(set(dir(por)) & {"catalog", "policies", "samples"}))
        """
    )
    lines = out.splitlines()
    assert lines[0] == "CLOUD_PLATFORM_SILVER"
    assert lines[2] == "Microsoft, all eras"
    assert lines[3:5] == ["load_folder", "evaluate_competency"]
    assert lines[-1] == "['catalog', 'policies', 'samples']"


@pytest.mark.parametrize("name", SUBMODULES)
def test_attribute_is_the_submodule(name: str) -> None:
    """`por.<name>` is the module `partner_of_record.<name>` itself."""
    out = _run(
        f"""
        import importlib, partner_of_record as por
        print(por.{name} is importlib.import_module("partner_of_record.{name}"))
        """
    )
    assert out.strip() == "True"


def test_an_unknown_attribute_is_still_an_attribute_error() -> None:
    """A typo raises AttributeError naming the attribute (the lazy hook does not hide it)."""
    out = _run(
        """
        import partner_of_record as por
        try:
            por.catalogue
        except AttributeError as error:
            print(error)
        """
    )
    assert "has no attribute 'catalogue'" in out


def test_the_command_line_help_does_not_import_the_lazy_submodules() -> None:
    """`partner-of-record --help` starts without importing the catalog or the samples."""
    out = _run(
        """
        import contextlib, io, sys
        from partner_of_record.cli import main
        with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
            main(["--help"])
        print(sorted(m for m in sys.modules if m in (
            "partner_of_record.catalog", "partner_of_record.samples",
            "partner_of_record.evaluation.catalog",
        )))
        """
    )
    assert out.strip() == "[]"
