"""The example notebook is valid nbformat 4 and its code cells run, in order, headless."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "tour.ipynb"


def _notebook() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return data


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def test_notebook_is_nbformat_4() -> None:
    """The notebook has the structure Jupyter expects of an nbformat 4.5 file, without outputs."""
    nb = _notebook()
    assert nb["nbformat"] == 4
    assert nb["nbformat_minor"] >= 5
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    ids = [cell["id"] for cell in nb["cells"]]
    assert len(ids) == len(set(ids))
    for cell in nb["cells"]:
        assert cell["cell_type"] in {"markdown", "code"}
        assert isinstance(cell["metadata"], dict)
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []  # committed clean: no stale outputs to lie
            assert cell["execution_count"] is None


def test_notebook_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every code cell runs in order in one namespace and the plots are drawn with Agg."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    namespace: dict[str, Any] = {"__name__": "__main__"}
    code_cells = [c for c in _notebook()["cells"] if c["cell_type"] == "code"]
    assert code_cells
    try:
        for index, cell in enumerate(code_cells):
            code = compile(_source(cell), f"{NOTEBOOK.name}[code cell {index}]", "exec")
            exec(code, namespace)  # running the notebook is the point
        figures = [plt.figure(n) for n in plt.get_fignums()]
        assert len(figures) >= 2
        assert all(line.get_xdata().size for line in figures[0].axes[0].get_lines())
        assert namespace["evaluations"]["4100231"].met is True
    finally:
        plt.close("all")
