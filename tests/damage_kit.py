"""What the store-damage tests share: two tiny articles, the CLIs run with the fake
embedder (in this process, or in one of its own), and read-only that holds for root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import BagOfWordsEmbeddings

MAIN = """# Keeping Bees

A hive keeps one queen. The queen lays up to two thousand eggs a day in early summer.

## Winter

Workers cluster around the queen in winter and shiver to keep her warm.
"""
ADDED = """# Offshore Wind in the Baltic

Denmark built the world's first offshore wind farm at Vindeby in 1991. It had eleven
turbines and ran for twenty-five years.
"""
MAIN_QUESTION = ("How many eggs does the queen lay a day?", "two thousand eggs")
ADDED_QUESTION = ("Where was the first offshore wind farm built?", "Vindeby")
# Root ignores file modes; without these capabilities it is held to them like anyone.
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def write_articles(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    main, added = folder / "bees.md", folder / "baltic-wind.md"
    main.write_text(MAIN, encoding="utf-8")
    added.write_text(ADDED, encoding="utf-8")
    return main, added


def fake_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    from index import embed

    monkeypatch.setattr(embed, "embeddings_for", lambda settings: BagOfWordsEmbeddings())


def run_in_process(module: str, argv: list[str]) -> int:
    """A CLI's `main` here (the caller has installed the fake embedder)."""
    if module == "index":
        from index.cli import main
    else:
        from assistant.serving.cli import main
    return main(argv)


def run_process(module: str, argv: list[str], unprivileged: bool = False,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A CLI in a process of its own, with the fake embedder; `unprivileged` holds even
    root to file modes (skips when that cannot be done here)."""
    prefix: list[str] = []
    if unprivileged and os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        prefix = UNPRIVILEGED
    return subprocess.run([*prefix, sys.executable, "-m", "tests.fake_cli", module, *argv],
                          env={**os.environ, "PYTHONPATH": os.getcwd(), **(env or {})},
                          capture_output=True, text=True, timeout=300)


def cited(stdout: str) -> str:
    """The quotes of a JSON answer, joined."""
    return " ".join(c["quote"] for c in json.loads(stdout)["citations"])


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]
