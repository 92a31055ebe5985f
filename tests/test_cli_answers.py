"""The CLI end to end with real models, as a user runs it (one process per call)."""

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def run_cli(args, data_dir, stdin=None):
    env = {**os.environ, "ATA_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_ask_json_zhengbao(assistant, shared_data_dir, article):
    out = run_cli(["ask", "--json", "On which island did Soviet and Chinese troops clash?"],
                  shared_data_dir)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["refused"] is False
    quote = next(c for c in data["citations"] if "Zhengbao" in c["quote"])
    assert article.text[quote["start"]:quote["end"]] == quote["quote"]


def test_ask_human_output_lists_quotes(assistant, shared_data_dir):
    out = run_cli(["ask", "How much was Russia-China trade worth in 2023?"], shared_data_dir)
    assert out.returncode == 0, out.stderr
    assert "[1]" in out.stdout and "$240 billion" in out.stdout and "chars " in out.stdout


def test_batch_keeps_order_and_reports_bad_lines(assistant, shared_data_dir):
    lines = [
        {"question": "Who wrote the article?"},
        "this line is not json",
        {"question": "How do I bake sourdough bread?"},
        {"question": "And in the Arctic?", "history": [
            {"role": "user", "content": "How could China respond to the US luring Russia?"},
            {"role": "assistant", "content": "It could finish Power of Siberia 2."}]},
        {"question": "   "},
    ]
    stdin = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    out = run_cli(["ask", "--batch", "-"], shared_data_dir, stdin=stdin)
    assert out.returncode == 2  # some lines failed, and the rest were still answered
    results = [json.loads(line) for line in out.stdout.strip().splitlines()]
    assert len(results) == 5
    assert "Ihor Petrenko" in json.dumps(results[0]["citations"])
    assert results[1] == {"line": 2, "error": results[1]["error"]} and "JSON" in results[1]["error"]
    assert results[2]["refused"] is True
    assert any("Arctic" in c["quote"] for c in results[3]["citations"])
    assert "empty" in results[4]["error"]


def test_batch_survives_nested_oversized_and_invalid_utf8_lines(assistant, shared_data_dir,
                                                               tmp_path):
    """Each of these once stopped the whole batch with a traceback (RecursionError,
    UnicodeDecodeError) or held a worker for minutes (a 5 MB line); now each is one error
    object and the lines after it are answered."""
    from assistant.history import MAX_JSON_BYTES

    good = json.dumps({"question": "Who wrote the article?"}).encode()
    lines = [
        b"[" * 100_000 + b"]" * 100_000,  # nested too deeply for Python's parser
        b'{"question": "caf\xe9?"}',  # Latin-1, not UTF-8
        b'{"question": "' + b"x" * (MAX_JSON_BYTES + 10) + b'"}',  # over the limit
        json.dumps({"question": "Who?", "history": [
            {"role": "user", "content": "y" * 30_000}]}).encode(),  # one huge message
        good,
    ]
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = run_cli(["ask", "--batch", str(path)], shared_data_dir)
    assert out.returncode == 2 and "Traceback" not in out.stderr, out.stderr
    results = [json.loads(line) for line in out.stdout.strip().splitlines()]
    assert [r.get("line") for r in results[:4]] == [1, 2, 3, 4]
    assert "nested too deeply" in results[0]["error"]
    assert "not UTF-8" in results[1]["error"]
    assert "byte limit" in results[2]["error"]
    assert "limit is 20,000" in results[3]["error"]
    assert "Ihor Petrenko" in json.dumps(results[4]["citations"])
