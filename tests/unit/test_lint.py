"""The lint layer of `make test`: ruff, configured in pyproject.toml, over the whole project."""

from __future__ import annotations

import subprocess
import sys

from workshop.paths import KIT_ROOT


def test_ruff_finds_nothing():
    """Does `ruff check` pass on product code, tests, benchmarks and notebooks (a finding fails the build)?"""
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format=concise", str(KIT_ROOT)], capture_output=True, text=True, cwd=KIT_ROOT)
    assert done.returncode == 0, f"ruff found problems (fix them, or `ruff check --fix`):\n{done.stdout}{done.stderr}"
