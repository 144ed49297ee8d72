"""Notebooks are committed clean: no outputs, no execution counts, kernelspec python3."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((KIT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    """Are the app and the theme notebooks present?"""
    names = {p.name for p in NOTEBOOKS}
    assert "app.ipynb" in names and "00_welcome.ipynb" in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_outputs_and_kernelspec_python3(path: Path):
    """Is the notebook free of outputs and execution counts, with kernelspec python3?"""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name}: a code cell has outputs"
            assert cell.get("execution_count") is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_cells_are_one_or_two_lines(path: Path):
    """Are notebook code cells thin (logic lives in widgets/ and workshop/)?"""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            lines = [line for line in source.splitlines() if line.strip()]
            assert len(lines) <= 2, f"{path.name}: {source!r}"


def test_app_notebook_has_no_markdown_a_participant_would_see():
    """Does app.ipynb hold only code (Voila would show its markdown to participants)?"""
    notebook = json.loads((KIT / "notebooks" / "app.ipynb").read_text(encoding="utf-8"))
    assert {c["cell_type"] for c in notebook["cells"]} == {"code"}
