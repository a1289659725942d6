"""The notebook runs top to bottom against a warehouse and shows Chongqing's path through the same queries."""

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from etl.paths import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "notebooks" / "chongqing_rank_path.ipynb"


def _run(warehouse: Path, monkeypatch) -> str:
    monkeypatch.setenv("INDEX_WAREHOUSE", str(warehouse))
    # The kernel is a child process: it inherits this environment, with this interpreter first on PATH.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(PROJECT_ROOT)}}).execute()
    return "\n".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                     for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))


def test_notebook_shows_chongqing_8th_then_7th(embedded_warehouse, monkeypatch):
    text = _run(embedded_warehouse, monkeypatch)
    assert "2017 edition (data 2016): 重庆 8th" in text
    assert "2018 edition (data 2017): 重庆 8th → 7th, ▲1 (new framework)" in text


def test_notebook_shows_the_2019_step_once_added(full_warehouse, monkeypatch):
    text = _run(full_warehouse, monkeypatch)
    assert "2019 edition (data 2018): 重庆 7th → 6th, ▲1 (new framework)" in text
