"""The CLIs under `python -OO`, which strips docstrings: `--help` must not read `__doc__`
as a string (it is None there), so an optimised install still starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # a process of its own per CLI, a few seconds each


@pytest.mark.parametrize("command", [
    ["-m", "assistant"], ["-m", "index"], ["-m", "eval"], ["-m", "training"], ["ui.py"],
])
def test_help_runs_without_docstrings(command: list[str]) -> None:
    out = subprocess.run([sys.executable, "-OO", *command, "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("usage: "), out.stdout
    assert "Traceback" not in out.stderr, out.stderr


def test_docstrings_really_are_gone_under_OO() -> None:
    """The check above means something only if -OO does strip them here."""
    out = subprocess.run([sys.executable, "-OO", "-c",
                          "import assistant.serving.cli as c; print(c.__doc__)"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "None", out
