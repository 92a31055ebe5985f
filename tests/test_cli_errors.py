"""CLI error handling: one `error:` line on stderr, exit 2, no traceback, no model loaded."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.serving.cli import main
from assistant.settings import load_settings
from index.cli import main as index_main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, data_dir, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATA_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


def assert_one_line_error(err: str, needle: str) -> None:
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and needle in lines[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize(("question", "needle"), [
    ("", "empty"),
    ("   \t  ", "empty"),
    ("\x00\x01\x02", "empty"),
    ("?!?! ...", "no words"),
    ("x" * 5000, "limit is 2,000"),
])
def test_bad_questions_exit_2_in_process(tmp_path, capsys, question, needle):
    assert main(["ask", "--data-dir", str(tmp_path), question]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, needle)
    assert not (tmp_path / "indexes").exists()  # refused before any work was done


@pytest.mark.slow  # its in-process twin: test_bad_questions_exit_2_in_process
def test_empty_question_as_subprocess(tmp_path):
    out = run_cli("ask", "  ", data_dir=tmp_path)
    assert out.returncode == 2 and out.stdout == ""
    assert_one_line_error(out.stderr, "empty")


@pytest.mark.parametrize(("content", "needle"), [
    ("{not json", "not valid JSON"),
    ('{"role": "user"}', "must be a JSON list"),
    ('[{"role": "system", "content": "x"}]', "role 'system'"),
    ('[{"role": "user", "content": 5}]', "content must be a string"),
    ('[{"role": "user", "content": "x", "extra": 1}]', "only role and content"),
])
def test_malformed_history_file(tmp_path, capsys, content, needle):
    history = tmp_path / "h.json"
    history.write_text(content)
    assert main(["ask", "--data-dir", str(tmp_path), "--history", str(history), "Why?"]) == 2
    assert_one_line_error(capsys.readouterr().err, needle)


def test_missing_history_file(tmp_path, capsys):
    assert main(["ask", "--data-dir", str(tmp_path), "--history", str(tmp_path / "no.json"),
                 "Why?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "no such history file")


def test_missing_index_with_no_build_names_the_command(tmp_path, capsys):
    assert main(["ask", "--data-dir", str(tmp_path), "--no-build", "Who wrote it?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "run: python -m index build")


def test_bad_setting_from_env_in_process(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ATA_MIN_SCORE", "lots")
    assert main(["ask", "--data-dir", str(tmp_path), "Who?"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line_error(captured.err, "ATA_MIN_SCORE")
    assert not (tmp_path / "indexes").exists()


@pytest.mark.slow  # as a shell sees it; the twin above runs in process
def test_bad_setting_from_env(tmp_path):
    env = {**os.environ, "ATA_DATA_DIR": str(tmp_path), "ATA_MIN_SCORE": "lots"}
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "Who?"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert_one_line_error(out.stderr, "ATA_MIN_SCORE")


def test_missing_article_file(tmp_path, capsys):
    assert main(["ask", "--data-dir", str(tmp_path), "--article", str(tmp_path / "x.txt"),
                 "Who?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "no such article file")


def test_question_and_batch_together_is_an_error(tmp_path, capsys):
    assert main(["ask", "--data-dir", str(tmp_path), "--batch", "-", "Who?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "not both")


def test_no_question_at_all(tmp_path, capsys):
    assert main(["ask", "--data-dir", str(tmp_path)]) == 2
    assert_one_line_error(capsys.readouterr().err, "no question given")


def test_status_json_is_one_object_in_process(tmp_path, capsys):
    assert index_main(["status", "--json", "--data-dir", str(tmp_path)]) == 1  # not ready
    assert json.loads(capsys.readouterr().out)["state"] == "missing"


@pytest.mark.slow  # as a shell sees it; the twin above runs in process
def test_status_json_is_one_object(tmp_path):
    env = {**os.environ, "ATA_DATA_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "index", "status", "--json"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert json.loads(out.stdout)["state"] == "missing"


@pytest.mark.parametrize(("content", "needle"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (json.dumps([{"role": "user", "content": "z" * 30_000}]), "limit is 20,000"),
    ("[" + " " * 1_100_000 + "]", "byte limit"),
])
def test_abusive_history_files_are_one_line_errors(tmp_path, capsys, content, needle):
    history = tmp_path / "history.json"
    history.write_text(content, encoding="utf-8")
    assert main(["ask", "--data-dir", str(tmp_path), "--history", str(history), "Who?"]) == 2
    assert_one_line_error(capsys.readouterr().err, needle)
    assert not (tmp_path / "indexes").exists()  # refused before any work was done


def test_a_data_folder_that_is_a_file_is_named_as_such(tmp_path, capsys):
    plain = tmp_path / "data"
    plain.write_text("not a folder", encoding="utf-8")
    assert main(["ask", "--data-dir", str(plain), "Who?"]) == 2
    assert_one_line_error(capsys.readouterr().err, f"the data folder {plain} is a file")


def test_the_default_data_folder_is_one_place_whatever_the_current_folder_in_process(
        tmp_path, monkeypatch):
    """Run from a subfolder, the app once built a second index there (38 s)."""
    monkeypatch.delenv("ATA_DATA_DIR", raising=False)
    here = load_settings().data_dir
    monkeypatch.chdir(tmp_path)
    elsewhere = load_settings().data_dir
    assert here == elsewhere and here.name == ".ask-the-article" and here.is_absolute()


@pytest.mark.slow  # fresh processes, one in another folder; the twin above runs in process
def test_the_default_data_folder_is_one_place_whatever_the_current_folder(tmp_path):
    """Run from a subfolder, the app once built a second index there (38 s)."""
    code = "from assistant.settings import load_settings; print(load_settings().data_dir)"
    env = {k: v for k, v in os.environ.items() if k != "ATA_DATA_DIR"}
    env["PYTHONPATH"] = str(ROOT)  # the checkout is the import root, wherever we stand
    here = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60)
    elsewhere = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               cwd=tmp_path, env=env, timeout=60)
    assert here.stdout == elsewhere.stdout and here.stdout.strip().endswith(".ask-the-article")
    assert os.path.isabs(here.stdout.strip())


def test_the_evidence_threshold_is_min_score_and_the_judges_is_min_support():
    """`min_support` meant two things: the evidence-score threshold (Settings) and the
    support judge's (Policy). The first is now `min_score`, as in the Policy."""
    from tests.fakes import fake_assistant

    assistant = fake_assistant(min_score=0.2)
    assert assistant.settings.min_score == 0.2 and assistant.min_score == 0.2
    assert assistant._policy.min_support != 0.2  # the judge's threshold is left alone


def test_the_old_name_min_support_is_one_line_naming_the_new(tmp_path, capsys, monkeypatch):
    assert main(["ask", "--data-dir", str(tmp_path), "--min-support", "0.2", "Who?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "now ATA_MIN_SCORE and --min-score")
    monkeypatch.setenv("ATA_MIN_SUPPORT", "0.2")
    assert main(["ask", "--data-dir", str(tmp_path), "Who?"]) == 2
    assert_one_line_error(capsys.readouterr().err, "now ATA_MIN_SCORE and --min-score")
    assert not (tmp_path / "indexes").exists()
