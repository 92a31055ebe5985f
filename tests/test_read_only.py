"""A data folder the user cannot write: every command is one `error:` line that says the
folder is read-only and what to do, never an OSError traceback, never "damaged, run
python -m index build" (which cannot work there). Run in processes of their own that
root cannot override (tests/damage_kit.py)."""

from __future__ import annotations

import pytest

from tests.damage_kit import (
    MAIN_QUESTION,
    error_lines,
    fake_embedder,
    run_in_process,
    run_process,
    write_articles,
)


def read_only(folder):
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o222)


def writable(folder):
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o200)


def assert_one_line(done, *needles: str, absent: tuple[str, ...] = ()) -> None:
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    [line] = error_lines(done.stderr)
    assert all(n in line for n in needles), line
    assert not any(a in line for a in absent), line


@pytest.fixture
def folders(tmp_path):
    main, added = write_articles(tmp_path / "articles")
    data = tmp_path / "data"
    data.mkdir()
    yield data, ["--data-dir", str(data), "--article", str(main)], added
    writable(tmp_path)  # so pytest can clean up


@pytest.mark.slow
def test_read_only_empty_data_folder(folders):
    data, flags, added = folders
    read_only(data)
    for module, argv in (("index", ["build"]), ("assistant", ["ask", MAIN_QUESTION[0]]),
                         ("index", ["add", str(added)])):
        done = run_process(module, [*argv, *flags], unprivileged=True)
        assert_one_line(done, f"cannot write in {data}", "make it writable")


@pytest.mark.slow
def test_read_only_folder_with_an_index(folders, monkeypatch):
    """Chroma opens its store for writing, so it cannot serve from here: say that, not
    that the index is damaged and needs a build."""
    data, flags, _ = folders
    fake_embedder(monkeypatch)
    assert run_in_process("index", ["build", *flags]) == 0
    read_only(data)
    for extra in (["--no-build"], []):
        done = run_process("assistant", ["ask", *extra, *flags, MAIN_QUESTION[0]],
                           unprivileged=True)
        assert_one_line(done, "is read-only", "make it writable",
                        absent=("damaged", "index build"))


@pytest.mark.parametrize("module", ["index", "assistant"])
def test_a_data_folder_through_a_file_is_one_line(tmp_path, capsys, module):
    afile = tmp_path / "hostname"
    afile.write_text("not a folder")
    argv = ["build"] if module == "index" else ["ask", "Who?"]
    assert run_in_process(module, [*argv, "--data-dir", str(afile / "sub")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    [line] = error_lines(err)
    assert f"{afile} is a file, not a folder" in line
