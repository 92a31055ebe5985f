"""Every setting is validated when it is read: finite, in range, an existing path, a known
name. A bad value is one `ConfigError` line naming the setting, before anything loads."""

import json
import os
import subprocess
import sys

import pytest

from assistant.answering.answerability import load_policy
from assistant.serving.api import ServeSettings
from assistant.settings import load_settings
from source.errors import ConfigError


@pytest.mark.parametrize(("env", "value", "needle"), [
    ("ATA_MIN_SCORE", "nan", "finite number"),  # disabled score-based refusal
    ("ATA_MIN_SCORE", "-1", "greater than or equal to 0"),  # so did this
    ("ATA_MIN_SCORE", "inf", "finite number"),  # refused everything
    ("ATA_MIN_SCORE", "1.5", "less than or equal to 1"),
    ("ATA_LLM_TIMEOUT", "inf", "finite number"),
    ("ATA_LLM_TIMEOUT", "0", "greater than 0"),
    ("ATA_DATA_DIR", "", "empty"),  # built ./indexes in the current folder
    ("ATA_DATA_DIR", "  ", "empty"),
    ("ATA_DATA_DIR", "x" * 5000, "cannot be used: File name too long"),
    ("ATA_MODEL_CACHE", "", "empty"),
    ("ATA_ARTICLE", "", "empty"),
    ("ATA_ARTICLE", "/nonexistent/a.txt", "no such article file"),
    ("ATA_EMBEDDING_MODEL", "/etc", "'/etc' is not a model folder (no config.json)"),
    ("ATA_EMBEDDING_MODEL", "/nonexistent", "'/nonexistent' is not a folder"),
    ("ATA_JUDGE", "/nonexistent", "use 'coverage' or a local NLI model folder"),
    ("ATA_JUDGE", "/etc", "'/etc' is not a model folder"),
    ("ATA_ANSWERER", "magic", "unknown answerer 'magic'"),
    ("ATA_LLM_BASE_URL", "ftp://x", "is not an http(s) URL"),
    ("ATA_MAX_QUESTION_CHARS", "10000000", "less than or equal to 20000"),
])
def test_a_bad_setting_is_one_line_naming_it(monkeypatch, env, value, needle):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"bad setting {env.removeprefix('ATA_').lower()} (env {env}):")
    assert needle in message and "\n" not in message, message
    if env == "ATA_JUDGE":
        assert "all-MiniLM" not in message  # it named the embedding model before


def test_an_empty_host_would_serve_every_interface_and_is_refused(monkeypatch):
    monkeypatch.setenv("ATA_HOST", "")
    with pytest.raises(ConfigError, match=r"bad setting host \(env ATA_HOST\)"):
        ServeSettings.load()


def test_a_flag_is_named_as_a_flag(tmp_path):
    with pytest.raises(ConfigError, match=r"bad setting min_score \(flag --min-score or env "
                                          r"ATA_MIN_SCORE\): Input should be a finite"):
        load_settings(min_score=float("nan"), data_dir=tmp_path)


EMBEDDING_NOT_A_MODEL = [
    "error: bad setting embedding_model (flag --embedding-model or env "
    "ATA_EMBEDDING_MODEL): model '/etc' is not a model folder (no config.json); use one "
    "of all-MiniLM-L6-v2 or a path to a local model directory"]


def test_an_embedding_model_folder_that_is_not_a_model_is_one_line_in_process(
        tmp_path, capsys, monkeypatch):
    """It was a 72-line traceback from deep inside the model loader."""
    from assistant.serving.cli import main

    monkeypatch.setenv("ATA_EMBEDDING_MODEL", "/etc")
    assert main(["ask", "--data-dir", str(tmp_path), "Who wrote it?"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == EMBEDDING_NOT_A_MODEL
    assert not any(tmp_path.iterdir())


@pytest.mark.slow  # as a shell sees it; the twin above runs in process
def test_an_embedding_model_folder_that_is_not_a_model_is_one_line_from_the_cli(tmp_path):
    """It was a 72-line traceback from deep inside the model loader."""
    env = {**os.environ, "ATA_DATA_DIR": str(tmp_path), "ATA_EMBEDDING_MODEL": "/etc"}
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "Who wrote it?"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.strip().splitlines() == EMBEDDING_NOT_A_MODEL
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("content", "needle"), [
    ("{not json", "not valid JSON"),
    ("[]", "not a JSON object"),
    ('{"min_score": "high", "max_foreign": 0.5}', "min_score is 'high'"),
    ('{"min_score": NaN, "max_foreign": 0.5}', "min_score is nan"),
    ('{"min_score": 0.3, "max_foreign": 0.5, "min_support": 7}', "min_support is 7"),
    ('{"max_foreign": 0.5}', "min_score is None"),
])
def test_a_damaged_calibration_file_is_an_error_not_the_defaults(tmp_path, content, needle):
    path = tmp_path / "calibration.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="run: python -m eval calibrate") as caught:
        load_policy(path)
    assert f"the calibration file {path} is damaged" in str(caught.value)
    assert needle in str(caught.value)


def test_the_shipped_calibration_file_is_read_as_written():
    from assistant.answering.answerability import CALIBRATION_FILE

    data = json.loads(CALIBRATION_FILE.read_text("utf-8"))
    assert load_policy().min_score == data["min_score"]


@pytest.mark.parametrize("env", ["ATA_ARTICLE", "ATA_ANSWERER", "ATA_LLM_API_KEY"])
def test_a_setting_that_is_not_utf8_is_one_line_naming_it(monkeypatch, env):
    """Found by the fuzz suite: undecodable bytes in an env var crashed pydantic itself."""
    monkeypatch.setenv(env, "caf\udce9")  # the byte 0xE9 as os.environ holds it
    with pytest.raises(ConfigError, match=rf"bad setting \w+ \(env {env}\): not valid UTF-8"):
        load_settings()
