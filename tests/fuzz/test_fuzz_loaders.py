"""The loaders' invariant over damaged CSV folders and JSON documents (a small run in CI).

Every data row is accepted or rejected exactly once, with its location, and only documented
exceptions escape. Long campaigns: ``python tests/fuzz/campaign.py --campaign 50000``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from damage import check_folder, check_json, damaged_folders, damaged_json
from hypothesis import HealthCheck, given, settings

_COUNTER = itertools.count()
_FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FUZZ
@given(files=damaged_folders())
def test_damaged_csv_folders_keep_the_invariant(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, bytes]
) -> None:
    """Every row of a damaged CSV folder is accepted or rejected once, located; no crash."""
    where = tmp_path_factory.mktemp("fuzz") / str(next(_COUNTER))
    assert check_folder(files, where) == []


@_FUZZ
@given(text=damaged_json())
def test_damaged_json_documents_keep_the_invariant(text: str) -> None:
    """Every item of a damaged JSON document is accepted or rejected once, located; no crash."""
    assert check_json(text) == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """The invariant check is not vacuous: a folder it cannot load cleanly reports problems."""
    from damage import _check_report

    from partner_of_record.io import FileSummary, LoadReport

    broken = LoadReport(files=(FileSummary("usage.csv", "usage", 3, 1, 1, 0, 5),))
    assert _check_report(broken, lines_known=True) != []
