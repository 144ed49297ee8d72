"""Exercises are named by their notebook cell id, so a therapist who inserts, removes or reorders exercise
cells never moves an answer: a missing or repeated id is a `make check` error naming the notebook and
cell, and an answer saved under a name no cell has any more is kept aside, never given to another exercise."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from workshop import cli, content
from workshop.paths import KIT_ROOT

WELCOME = KIT_ROOT / "notebooks" / "00_welcome.ipynb"


def copy_notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    shutil.copytree(KIT_ROOT / "notebooks", folder)
    return folder


def edit(path: Path, change) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    change(notebook["cells"])
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def code_cell(cell_id: str | None, source: str) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def test_every_shipped_code_cell_has_its_own_id():
    """Do the kit's notebooks pass the check (nbformat 4.5, valid, every code cell with an id of its own)?"""
    for path in sorted((KIT_ROOT / "notebooks").glob("*.ipynb")):
        assert content.check_notebook(path) == [], path.name


def test_a_code_cell_without_an_id_is_named_in_the_check(tmp_path, monkeypatch):
    folder = copy_notebooks(tmp_path)
    edit(folder / "00_welcome.ipynb", lambda cells: cells.insert(3, code_cell(None, 'Takeaway(prompt="New")')))
    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(folder))
    problems = cli.check_content()
    assert any("00_welcome.ipynb" in p and "Takeaway(prompt=\"New\")" in p and "no cell id" in p for p in problems), problems
    with pytest.raises(content.ContentError, match="no cell id"):
        content.load_theme(folder / "00_welcome.ipynb")


def test_two_cells_with_one_id_are_named_in_the_check(tmp_path, monkeypatch):
    folder = copy_notebooks(tmp_path)
    edit(folder / "07_closing.ipynb", lambda cells: cells.append(code_cell("takeaway", 'Takeaway(prompt="Again")')))
    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(folder))
    problems = cli.check_content()
    assert any("07_closing.ipynb" in p and "'takeaway'" in p and "another cell" in p for p in problems), problems
    assert any("'takeaway'" in p for p in content.check_notebook(folder / "07_closing.ipynb"))
    assert cli.run_check(None) == 1


def test_an_old_notebook_without_ids_is_told_to_be_saved_again(tmp_path):
    path = tmp_path / "00_welcome.ipynb"
    notebook = json.loads(WELCOME.read_text(encoding="utf-8"))
    notebook["nbformat_minor"] = 4
    for cell in notebook["cells"]:
        cell.pop("id", None)
    path.write_text(json.dumps(notebook), encoding="utf-8")
    problems = content.check_notebook(path)
    assert any("old format" in p for p in problems) and any("no cell id" in p for p in problems)


def test_an_answer_under_a_name_no_cell_has_is_kept_aside(tmp_path, monkeypatch):
    """Is an answer saved under an old positional key or a removed exercise kept (and saved back), and never
    applied to another exercise of that theme?"""
    from widgets.app import ParticipantApp

    monkeypatch.setenv("HOLDING_SPACE_NOTEBOOKS", str(copy_notebooks(tmp_path)))
    app = ParticipantApp.from_notebooks()
    stale = {"00_welcome/0": {"intensity": 9}, "00_welcome/removed-cell": {"intensity": 7}, "99_gone/x": {"text": "kept"}}
    app.restore({"answers": {**stale, "00_welcome/check-in": {"intensity": 2}}})
    assert app.exercises["00_welcome/check-in"].intensity == 2
    snapshot = app.snapshot()["answers"]
    for key, answer in stale.items():
        assert snapshot[key] == answer
