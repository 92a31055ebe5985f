"""Files a user names are read by one bounded reader that takes regular files only: a
device or FIFO (whose size reads 0) is one `error:` line, never an endless read or a hang."""

import os

import pytest

from assistant.serving.cli import main as ask_main
from index.cli import main as index_main
from source.errors import ArticleError, InputError, TooLargeError
from source.files import read_user_file
from source.load import load_article
from tests.test_cli_errors import assert_one_line_error

ARTICLE = "# Bees\n\nA hive keeps one queen. Workers gather nectar in summer.\n"


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe.md"
    os.mkfifo(path)  # nobody ever writes: an open that blocks would hang the test
    return path


def test_reader_takes_regular_files_and_caps_them(tmp_path):
    path = tmp_path / "f.json"
    path.write_bytes(b"x" * 11)
    assert read_user_file(path, 11) == b"x" * 11
    with pytest.raises(TooLargeError, match="over the 10-byte limit"):
        read_user_file(path, 10)
    with pytest.raises(InputError, match="is a directory"):
        read_user_file(tmp_path, 10)
    with pytest.raises(InputError, match="is a device"):
        read_user_file("/dev/zero", 10)


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_history_from_a_device_or_fifo_is_one_line(tmp_path, capsys, fifo, special):
    path = str(fifo) if special == "fifo" else special
    assert ask_main(["ask", "--data-dir", str(tmp_path), "--history", path, "Why?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "not a regular file")


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_batch_from_a_device_or_fifo_is_one_line(tmp_path, capsys, fifo, special):
    path = str(fifo) if special == "fifo" else special
    assert ask_main(["ask", "--data-dir", str(tmp_path), "--batch", path]) == 2
    assert_one_line_error(capsys.readouterr().err, "not a regular file")


@pytest.mark.parametrize("special", ["link-to-dev-zero", "fifo"])
def test_adding_a_device_link_or_fifo_is_one_line(tmp_path, capsys, fifo, special):
    if special == "fifo":
        path = fifo
    else:
        path = tmp_path / "zero.md"
        path.symlink_to("/dev/zero")
    with pytest.raises(ArticleError, match="not a regular file"):
        load_article(path)
    data = tmp_path / "data"
    assert index_main(["add", "--data-dir", str(data), str(path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "not a regular file")
    assert not (data / "library" / "library.json").exists()



def test_eval_files_from_a_device_or_fifo_are_one_line(tmp_path, capsys, fifo):
    """Eval's cases, reports and thresholds are files a user names too."""
    from eval.cases import CaseError, load_cases
    from eval.cli import main as eval_main

    with pytest.raises(CaseError, match="not a regular file"):
        load_cases([], "/dev/zero")
    report = tmp_path / "report.json"
    report.write_text("{}")
    for argv in ([str(fifo), str(report)], [str(report), str(report), "--thresholds",
                                            "/dev/zero"]):
        assert eval_main(["compare", *argv]) == 2
        assert_one_line_error(capsys.readouterr().err, "not a regular file")
