"""Fault injection: every file of the index × every kind of damage. The next `ask` either
answers from a repaired index, or prints one `error:` line that names the file and the
command that fixes it; the test then runs that command and asks again.

Files (see index/store.py, index/vectors.py, index/library.py, index/backends.py):
Chroma's `chroma.sqlite3`, `vectors.npz`, `manifest.json`, `sentences.json` of the build
in service, and the added articles' `library.json`. Damage: cut to half its size, 4 KB of
random bytes written into it, deleted, made read-only, replaced by a folder. Each with
and without `--no-build`. With read-only damage the ask and the fix run in a process of
their own that root cannot override (tests/damage_kit.py); everything else runs in this
process. All with the fake embedder.
"""

from __future__ import annotations

import logging
import os
import random
import re
import shutil
from pathlib import Path

import pytest

from tests.damage_kit import (
    ADDED_QUESTION,
    MAIN_QUESTION,
    cited,
    error_lines,
    fake_embedder,
    run_in_process,
    run_process,
    write_articles,
)

pytestmark = pytest.mark.slow  # fault injection: 50 damaged stores (5 files, 5 damages, 2 modes)

FILES = {
    "chroma": "indexes/bees/current/chroma/chroma.sqlite3",
    "vectors": "indexes/bees/current/vectors.npz",
    "manifest": "indexes/bees/current/manifest.json",
    "sentences": "indexes/bees/current/sentences.json",
    "library": "library/library.json",
}
DAMAGES = ["truncate", "random-bytes", "delete", "read-only", "directory"]


def damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "truncate":
        os.truncate(path, size // 2)
    elif how == "random-bytes":
        offset = 4096 if size > 8192 else size // 4
        noise = random.Random(f"{path.name}-{size}").randbytes(min(4096, size - offset))
        with open(path, "r+b") as fh:
            fh.seek(offset)
            fh.write(noise)
    elif how == "delete":
        path.unlink()
    elif how == "read-only":
        path.chmod(0o444)
    elif how == "directory":
        path.unlink()
        path.mkdir()
        (path / "stray.txt").write_text("a folder where a file was")
    assert how == "delete" or os.path.lexists(path)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A data folder with the main article's index and one added article, built once."""
    folder = tmp_path_factory.mktemp("fault-template")
    main, added = write_articles(folder / "articles")
    data = folder / "data"
    with pytest.MonkeyPatch.context() as mp:
        fake_embedder(mp)
        flags = ["--data-dir", str(data), "--article", str(main)]
        assert run_in_process("index", ["build", *flags]) == 0
        assert run_in_process("index", ["add", *flags, str(added)]) == 0
    return folder


class Runner:
    """Runs a CLI and returns (exit status, stdout, stderr with the log lines in it)."""

    def __init__(self, capsys, caplog, data: Path, article: Path, separate: bool) -> None:
        self.capsys, self.caplog, self.separate = capsys, caplog, separate
        self.flags = ["--data-dir", str(data), "--article", str(article)]

    def __call__(self, module: str, *argv: str) -> tuple[int, str, str]:
        if self.separate:
            done = run_process(module, [*argv, *self.flags], unprivileged=True)
            return done.returncode, done.stdout, done.stderr
        self.capsys.readouterr()
        self.caplog.clear()
        with self.caplog.at_level(logging.WARNING):
            code = run_in_process(module, [*argv, *self.flags])
        out, err = self.capsys.readouterr()
        logged = "\n".join(r.getMessage() for r in self.caplog.records
                           if r.levelno >= logging.WARNING)
        return code, out, f"{err}\n{logged}"

    def ask(self, question: tuple[str, str], *flags: str) -> tuple[int, str, str]:
        return self("assistant", "ask", "--json", *flags, question[0])


def fix_command(line: str) -> list[str]:
    match = re.search(r"run: python -m index ((?:build|remove)(?: --force)?)", line)
    assert match, f"no command in: {line}"
    return match.group(1).split()


@pytest.mark.parametrize("mode", ["auto-build", "no-build"])
@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize("name", list(FILES))
def test_damage_is_repaired_or_named_with_its_fix(template, tmp_path, monkeypatch, capsys,
                                                  caplog, name, how, mode):
    shutil.copytree(template, tmp_path / "t", symlinks=True)
    data, article = tmp_path / "t" / "data", tmp_path / "t" / "articles" / "bees.md"
    target = data / FILES[name]
    damage(target, how)
    fake_embedder(monkeypatch)
    run = Runner(capsys, caplog, data, article, separate=how == "read-only")
    flags = ("--no-build",) if mode == "no-build" else ()

    code, out, err = run.ask(MAIN_QUESTION, *flags)
    assert "Traceback" not in err and "panicked" not in err, err
    if code == 0:
        assert MAIN_QUESTION[1] in cited(out)
        hints = [line for line in err.splitlines() if "run: python -m index" in line]
        if hints:  # answered, and said what was left out and how to bring it back
            assert target.name in hints[0], err
            assert run("index", *fix_command(hints[0]))[0] == 0
    else:
        assert code == 2 and mode == "no-build", err  # building, it must repair itself
        lines = error_lines(err)
        assert len(lines) == 1 and target.name in lines[0], err
        fixed, _, fix_err = run("index", *fix_command(lines[0]))
        assert fixed == 0, fix_err
        code, out, err = run.ask(MAIN_QUESTION, *flags)
        assert code == 0 and MAIN_QUESTION[1] in cited(out), err
    # whichever way it went, everything serves again: both articles, and status says so
    run.separate = False  # (checking the state, not the user's powers: in this process)
    code, out, err = run.ask(ADDED_QUESTION, "--no-build")
    assert code == 0 and ADDED_QUESTION[1] in cited(out), err
    assert run("index", "status")[0] == 0
