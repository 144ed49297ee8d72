"""environment.yml and pyproject.toml cannot drift, and the layout is what docs/architecture.md describes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

KIT = Path(__file__).resolve().parents[2]


def pyproject() -> dict:
    return tomllib.loads((KIT / "pyproject.toml").read_text(encoding="utf-8"))


def environment() -> dict:
    return yaml.safe_load((KIT / "environment.yml").read_text(encoding="utf-8"))


def test_environment_installs_the_project_itself_through_pip():
    """Does environment.yml get every Python package from pyproject.toml (pip: -e .[test]) and nothing else?"""
    deps = environment()["dependencies"]
    conda = [d for d in deps if isinstance(d, str)]
    pip = [d for d in deps if isinstance(d, dict)]
    assert len(pip) == 1 and pip[0]["pip"] == ["--editable .[test]"]
    names = {re.split(r"[=<>]", d)[0] for d in conda}
    assert names == {"python", "pip"}, f"conda packages other than python and pip would drift: {names}"


def test_environment_python_satisfies_requires_python():
    """Is the Python pinned in environment.yml one that pyproject.toml accepts?"""
    pinned = next(d for d in environment()["dependencies"] if isinstance(d, str) and d.startswith("python="))
    major, minor = (int(x) for x in pinned.split("=")[1].split(".")[:2])
    lowest = pyproject()["project"]["requires-python"].removeprefix(">=")
    low_major, low_minor = (int(x) for x in lowest.split(".")[:2])
    assert (major, minor) >= (low_major, low_minor)


def test_environment_uses_conda_forge_only():
    """Does environment.yml use conda-forge with nodefaults?"""
    assert environment()["channels"] == ["conda-forge", "nodefaults"]


def test_voila_is_pinned_past_the_cve_and_below_0_6():
    """Is voila pinned to >=0.5.6 (CVE-2024-30265) and <0.6?"""
    voila = next(d for d in pyproject()["project"]["dependencies"] if d.startswith("voila"))
    assert ">=0.5.6" in voila and "<0.6" in voila


def test_required_runtime_and_test_packages_are_declared():
    """Are the packages the kit is built on declared where they belong?"""
    runtime = " ".join(pyproject()["project"]["dependencies"])
    for name in ("jupyterlab", "voila", "ipywidgets", "pandas", "anywidget"):
        assert name in runtime
    test = " ".join(pyproject()["project"]["optional-dependencies"]["test"])
    for name in ("pytest", "nbval", "pytest-playwright"):
        assert name in test


def test_layout_has_the_promised_folders():
    """Are the top-level folders docs/architecture.md describes there?"""
    for name in ("notebooks", "widgets", "workshop", "facilitator_guide", "tests", "benchmarks"):
        assert (KIT / name).is_dir(), name
    for name in ("environment.yml", "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (KIT / name).is_file(), name


def test_workshop_core_never_imports_the_ui_layer():
    """Does workshop/ stay free of widgets/ and ipywidgets (the dependency points one way)?"""
    for path in (KIT / "workshop").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(widgets|ipywidgets|anywidget)\b", text, re.M), path


def test_a_participant_kernel_without_a_session_never_loads_the_database_layer():
    """Does building the participant app (as every warm seat does) leave SQLAlchemy, pandas and voila.utils
    unloaded? They cost a kernel 12, 40 and 46 MiB, and only a session (or the console) needs the first two."""
    import subprocess
    import sys

    probe = (
        "import sys; from widgets.app import ParticipantApp; ParticipantApp.from_notebooks(); "
        "print(sorted(m for m in ('sqlalchemy', 'pandas', 'voila.utils', 'workshop.store') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=KIT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]", f"loaded in every kernel: {done.stdout.strip()}"
