"""Adding articles: listing is the commit (a killed `add` never leaves an article listed
without its index), `index status` and `index build` cover every article, an added
article that cannot serve never stops the main one, and a copy is never wider than its
original."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys

import pytest

from index.settings import IndexSettings
from tests.damage_kit import (
    ADDED_QUESTION,
    MAIN_QUESTION,
    cited,
    fake_embedder,
    run_in_process,
    write_articles,
)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """The main article built, the second one written but not added; the fake embedder."""
    fake_embedder(monkeypatch)
    main, added = write_articles(tmp_path / "articles")
    data = tmp_path / "data"
    flags = ["--data-dir", str(data), "--article", str(main)]
    assert run_in_process("index", ["build", *flags]) == 0
    return data, flags, added


def listed(data):
    path = data / "library" / "library.json"
    return [e["article_id"] for e in json.loads(path.read_text())] if path.exists() else []


@pytest.mark.slow
@pytest.mark.parametrize("point", ["build:written", "build:manifest", "add:indexed"])
def test_a_killed_add_never_lists_an_article_without_its_index(setup, capsys, point):
    """Killed (SIGKILL) at a known point of `index add`, not after a random sleep: the
    article is not listed, the main article answers with --no-build, status is clean."""
    data, flags, added = setup
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_cli", "index", "add", *flags, str(added)],
        env={**os.environ, "PYTHONPATH": os.getcwd(), "ATA_TEST_PAUSE_AT": point},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in child.stderr:
        if line.strip() == f"paused at {point}":
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the add never reached the pause point"
    assert listed(data) == []
    capsys.readouterr()
    assert run_in_process("assistant", ["ask", "--json", "--no-build", *flags,
                                        MAIN_QUESTION[0]]) == 0
    assert MAIN_QUESTION[1] in cited(capsys.readouterr().out)
    assert run_in_process("index", ["status", *flags]) == 0
    assert run_in_process("index", ["add", *flags, str(added)]) == 0  # and it can be added
    assert listed(data) == ["baltic-wind"]


def test_an_article_listed_without_an_index_is_reported_and_built(setup, capsys, caplog):
    """What a killed add left before listing came last: an entry whose index is gone.
    `ask --no-build` failed for every question, `index status` said ready (exit 0) and
    `index build` ignored added articles."""
    data, flags, added = setup
    assert run_in_process("index", ["add", *flags, str(added)]) == 0
    (data / "indexes" / "baltic-wind" / "current").unlink()
    capsys.readouterr()

    assert run_in_process("assistant", ["ask", "--json", "--no-build", *flags,
                                        MAIN_QUESTION[0]]) == 0
    assert MAIN_QUESTION[1] in cited(capsys.readouterr().out)
    # an added article is opened when a question first goes to it: then it is reported
    assert run_in_process("assistant", ["ask", "--json", "--no-build", *flags,
                                        ADDED_QUESTION[0]]) == 0
    capsys.readouterr()
    assert "answering without baltic-wind until: python -m index build" in caplog.text

    assert run_in_process("index", ["status", *flags]) == 1
    report = capsys.readouterr().out
    assert "ready: bees" in report and "missing: baltic-wind" in report
    assert run_in_process("index", ["status", "--json", *flags]) == 1
    states = {a["article_id"]: a["state"]
              for a in json.loads(capsys.readouterr().out)["articles"]}
    assert states == {"bees": "ready", "baltic-wind": "missing"}

    assert run_in_process("index", ["build", *flags]) == 0
    assert run_in_process("index", ["status", *flags]) == 0
    capsys.readouterr()
    assert run_in_process("assistant", ["ask", "--json", "--no-build", *flags,
                                        ADDED_QUESTION[0]]) == 0
    assert ADDED_QUESTION[1] in cited(capsys.readouterr().out)


def test_the_library_copy_is_never_wider_than_its_original(setup):
    """A link to a file only its owner and group may read was copied 0644 (readable by
    all) into the data folder; the copy and the article's index now keep it private."""
    from index import library

    data, flags, added = setup
    added.chmod(0o640)
    link = added.parent / "link" / "baltic-wind.md"
    link.parent.mkdir()
    link.symlink_to(added)
    assert run_in_process("index", ["add", *flags, str(link)]) == 0
    [entry] = library.entries(IndexSettings.load(data_dir=data))
    copy = data / "library" / entry.file
    assert not copy.is_symlink()
    assert stat.S_IMODE(copy.stat().st_mode) & ~0o640 == 0
    index_root = data / "indexes" / "baltic-wind"
    assert stat.S_IMODE(index_root.stat().st_mode) & 0o007 == 0  # others cannot look in


def test_an_article_in_view_whose_index_is_gone_is_one_error_naming_the_fix(setup):
    """The web app's picked article (or any sibling `viewing` it) whose index is gone:
    an IndexMissingError naming `python -m index build`, never a bare assertion."""
    from assistant.chain import Assistant
    from assistant.settings import load_settings
    from source.errors import IndexMissingError

    data, flags, added = setup
    assert run_in_process("index", ["add", *flags, str(added)]) == 0
    (data / "indexes" / "baltic-wind" / "current").unlink()
    settings = load_settings(data_dir=data, article=flags[3], auto_build=False)
    viewing = Assistant(settings).viewing("baltic-wind")
    for look in (lambda: viewing.article, lambda: viewing.only("baltic-wind")):
        with pytest.raises(IndexMissingError, match=r"'baltic-wind' cannot be opened; run: "
                                                    r"python -m index build"):
            look()
