"""Property-based fuzzing (Hypothesis) of every input parser: the question, a `--history`
file, a `--batch` line, the web app's `ask` API function, the chat API's request body and
the settings read from env vars.

Inputs: JSON of any shape, any Unicode (lone surrogates, controls, bidi and zero-width
characters, terminal escapes), integers past Python's 4,300-digit limit, nesting deeper
than Python's parser takes, bytes that are not UTF-8. The property everywhere: an answer
or one clear error line (exit status 2 from the CLI), never a traceback, and a batch
line's failure never touches another line. The parsers run in process over every
answering stage with a fake index (`tests.fakes.fake_assistant`); a few subprocess checks
(marked slow) cover the exit status as a shell sees it. Budget: the "ci", "check" or
"maintainer" profile (`tests/conftest.py`, HYPOTHESIS_PROFILE); only the maintainer's has
a per-example deadline, so a verdict never depends on how fast the machine is.
"""

import io
import json
import math
import os
import subprocess
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.history import load_json, parse_history, read_history_file
from assistant.serving.cli import batch, main
from source.errors import ConfigError, InputError
from tests.fakes import fake_assistant

# -- inputs ----------------------------------------------------------------------------------
ODD = ["\ud800", "\udcff", "\udfff", "\x00", "\x07", "\x1b[31m", "\x1b]0;title\x07", "\x1b",
       "\u202e", "\u200b", "\ufeff", "\r\n", "\n", "\t", "\x85", "\u2028", "[1]", "[999]",
       "\\", '"', "🙂", "e\u0301", "Ⅻ", "٣", "\U000e0001", "\uffff", " "]
WORDS = ["Why", "do", "hives", "fail", "How", "much", "honey", "does", "a", "hive", "give",
         "Where", "is", "the", "sold", "?", " ", "winter", "bees", "it", "And"]
GOOD = ["Why do hives fail?", "How much honey does a hive give?", "Where is the honey sold?",
        "How do I bake bread?"]  # the last one is refused: also an answer
MODELS = ["ask-the-article", "ask-the-article/bees", "bees", "gpt-4", ""]

any_char = st.characters(exclude_categories=())  # every code point, surrogates included
text = st.lists(st.one_of(st.text(any_char, max_size=8), st.sampled_from(ODD),
                          st.sampled_from(WORDS)), max_size=12).map("".join)


@dataclass(frozen=True)
class Big:
    """An integer literal too long for Python to convert (written out by `encode`)."""

    digits: int
    negative: bool = False


leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text,
                   st.builds(Big, st.integers(4_290, 6_000), st.booleans()))
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)), max_leaves=16)
message = st.fixed_dictionaries(
    {"role": st.one_of(st.sampled_from(["user", "assistant", "system", "tool"]), leaves),
     "content": st.one_of(text, leaves, st.lists(st.fixed_dictionaries(
         {"type": st.sampled_from(["text", "image_url"]), "text": text})))},
    optional={"name": leaves})
good_message = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]),
                                      "content": text})
history = st.one_of(st.lists(st.one_of(good_message, message), max_size=5), values)


def encode(value: object, ascii_only: bool = True) -> str:
    """JSON text for `value`, `Big` integers written out digit by digit (json.dumps cannot:
    Python refuses to convert them either way)."""
    if isinstance(value, Big):
        return "-" * value.negative + "9" * value.digits
    if isinstance(value, list):
        return "[" + ",".join(encode(v, ascii_only) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=ascii_only)}:{encode(v, ascii_only)}"
                              for k, v in value.items()) + "}"
    return json.dumps(value, ensure_ascii=ascii_only)


def as_bytes(value: object) -> st.SearchStrategy[bytes]:
    """`value` as JSON bytes: escaped ASCII, or raw UTF-8 (a lone surrogate written raw is
    bytes that are not UTF-8)."""
    return st.sampled_from([encode(value).encode(),
                            encode(value, False).encode("utf-8", "surrogatepass")])


def documents(shape: st.SearchStrategy) -> st.SearchStrategy[bytes]:
    """JSON documents of `shape`, mostly; also any bytes, deep nesting, huge numbers."""
    return st.one_of(
        shape.flatmap(as_bytes), shape.flatmap(as_bytes), values.flatmap(as_bytes),
        st.binary(max_size=40),
        st.integers(1, 120_000).map(lambda n: b"[" * n + b"]" * n),
        st.integers(1, 50_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        st.integers(4_000, 5_000).map(lambda n: b"[" + b"7" * n + b"]"),
    )


# -- what every answer or error must be ------------------------------------------------------
def one_line(message: object) -> str:
    assert isinstance(message, str) and message.strip(), message
    assert "\n" not in message and "\r" not in message and "Traceback" not in message, message
    return message


def valid_answer(data: dict, article) -> None:  # noqa: ANN001
    """An answer's JSON: valid Unicode throughout, every quote the article's own text."""
    json.dumps(data, ensure_ascii=False).encode("utf-8")
    assert isinstance(data["answer"], str) and data["answer"]
    for c in data["citations"]:
        assert article.text[c["start"]:c["end"]] == c["quote"]


@contextmanager
def captured():
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        yield out, err


@pytest.fixture(scope="module")
def bees():
    return fake_assistant()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# -- the question ------------------------------------------------------------------------------
@given(question=st.one_of(text, leaves, values))
def test_a_question_is_clean_text_or_one_input_error(bees, question):
    try:
        checked = bees.check_question(question)
    except InputError as exc:
        one_line(str(exc))
        return
    checked.encode("utf-8")  # what a tokenizer needs
    assert checked == " ".join(checked.split()) and 0 < len(checked) <= 2000
    assert any(ch.isalnum() for ch in checked)


@given(question=text, turns=st.lists(good_message, max_size=4))
def test_any_question_and_history_is_answered_or_one_input_error(bees, question, turns):
    """Through every stage (the fake embedding encodes strictly, as tokenizers do)."""
    try:
        answer = bees.ask(question, parse_history(turns))
    except InputError as exc:
        one_line(str(exc))
        return
    valid_answer(answer.to_json(), bees.article)


# -- a history file ----------------------------------------------------------------------------
@given(raw=documents(history))
def test_a_history_document_is_messages_or_one_input_error(raw):
    try:
        messages = parse_history(load_json(raw, "history.json"), "history.json")
    except InputError as exc:
        assert one_line(str(exc)).startswith("history.json")
        return
    for m in messages:
        assert m["role"] in ("user", "assistant")
        m["content"].encode("utf-8")


@given(raw=documents(history), question=text.filter(lambda q: "\x00" not in q))
def test_the_cli_with_any_history_file_exits_2_with_one_error_line(scratch, raw, question):
    """`ask --history FILE QUESTION` with no index: whatever the file and the question,
    one `error:` line and status 2 (an index to build is the error for good input)."""
    path = scratch / "history.json"
    path.write_bytes(raw)
    with captured() as (out, err):
        code = main(["ask", "--data-dir", str(scratch / "data"), "--no-build", "--history",
                     str(path), "--", question])
    assert code == 2 and out.getvalue() == ""
    assert one_line(err.getvalue().removesuffix("\n")).startswith("error: ")
    try:
        read_history_file(path)
    except InputError as exc:
        assert err.getvalue() == f"error: {exc}\n"


# -- batch lines -------------------------------------------------------------------------------
GOOD_LINES = {json.dumps({"question": q}).encode(): q for q in GOOD}
line = st.one_of(
    st.sampled_from(sorted(GOOD_LINES)),
    documents(st.fixed_dictionaries({"question": st.one_of(text, leaves)},
                                    optional={"history": history})),
).map(lambda raw: raw.replace(b"\n", b" "))


@pytest.fixture(scope="module")
def alone(bees):
    """Each good question's answer asked on its own."""
    return {q: _comparable(bees.ask(q).to_json()) for q in GOOD}


def _comparable(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


@given(lines=st.lists(line, min_size=1, max_size=8))
def test_each_batch_line_gets_its_own_output_line_whatever_the_others_hold(
        bees, alone, scratch, lines):
    path = scratch / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = io.StringIO()
    code = batch(bees, str(path), out)
    results = [json.loads(text) for text in out.getvalue().splitlines()]
    assert len(results) == len(lines)
    for number, (raw, result) in enumerate(zip(lines, results, strict=True), 1):
        if "error" in result:
            assert set(result) == {"line", "error"} and result["line"] == number
            assert one_line(result["error"]).startswith(f"line {number}")
            continue
        valid_answer(result, bees.article)
        if raw in GOOD_LINES:
            assert _comparable(result) == alone[GOOD_LINES[raw]]  # as if asked alone
    assert code == (2 if any("error" in r for r in results) else 0)


@given(lines=st.lists(line, min_size=1, max_size=5))
def test_the_batch_cli_answers_every_line_and_exits_2_on_a_bad_one(scratch, lines):
    """The whole command, with no index: every line fails, each with its own line."""
    path = scratch / "batch-cli.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with captured() as (out, err):
        code = main(["ask", "--data-dir", str(scratch / "data"), "--no-build", "--batch",
                     str(path)])
    assert code == 2 and err.getvalue() == ""
    results = [json.loads(text) for text in out.getvalue().splitlines()]
    assert [r["line"] for r in results] == list(range(1, len(lines) + 1))
    assert all(one_line(r["error"]) for r in results)


# -- the web app's ask function -----------------------------------------------------------------
@pytest.fixture(scope="module")
def web_ask(bees):
    import ui

    demo = ui.build_app(bees)
    return next(fn.fn for fn in demo.fns.values() if getattr(fn, "api_name", None) == "ask")


@given(question=st.one_of(text, leaves), history_json=st.one_of(
    documents(history).map(lambda raw: raw.decode("utf-8", "surrogateescape")), text,
    leaves))
def test_the_web_ask_function_answers_or_returns_one_error(bees, web_ask, question,
                                                           history_json):
    result = web_ask(question, history_json)
    if "error" in result:
        assert set(result) == {"error"}
        one_line(result["error"])
    else:
        valid_answer(result, bees.article)


# -- the chat API's body ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(bees):
    from fastapi.testclient import TestClient

    from assistant.serving.api import build_api

    with TestClient(build_api(bees), raise_server_exceptions=False) as client:
        yield client


chat_body = st.fixed_dictionaries(
    {"model": st.one_of(st.sampled_from(MODELS), text, leaves),
     "messages": st.one_of(st.lists(st.one_of(good_message, message), min_size=1,
                                    max_size=4).map(lambda ms: [*ms, {"role": "user",
                                                                      "content": GOOD[0]}]),
                           st.lists(st.one_of(good_message, message), max_size=4), values)},
    optional={"stream": st.one_of(st.booleans(), leaves),
              "stream_options": st.one_of(st.fixed_dictionaries(
                  {"include_usage": st.one_of(st.booleans(), leaves)}), leaves),
              "temperature": leaves})


@given(body=documents(chat_body))
def test_the_chat_api_answers_or_says_what_is_wrong_never_500(bees, api, body):
    got = api.post("/v1/chat/completions", content=body,
                   headers={"Content-Type": "application/json"})
    assert got.status_code in (200, 400, 404, 413), (got.status_code, got.text)
    if got.status_code != 200:
        error = got.json()["error"]
        assert error["type"] == "invalid_request_error" and one_line(error["message"])
        return
    if got.headers["content-type"].startswith("application/json"):
        reply = got.json()
        assert reply["object"] == "chat.completion" and reply["choices"][0]["message"]
        return
    events = [e.removeprefix("data: ") for e in got.text.split("\n\n") if e]
    assert events[-1] == "[DONE]"
    for event in map(json.loads, events[:-1]):
        if "error" in event:  # a question found bad once the stream had begun
            assert event["error"]["type"] == "invalid_request_error"
            one_line(event["error"]["message"])


# -- settings from env vars ---------------------------------------------------------------------
def _fields() -> list[str]:
    from assistant.serving.api import ServeSettings
    from assistant.settings import Settings

    return sorted({*Settings.model_fields, *ServeSettings.model_fields})


env_value = st.one_of(
    st.sampled_from([b"", b" ", b"0", b"-1", b"1", b"0.5", b"2000", b"nan", b"-inf", b"inf",
                     b"1e309", b"9" * 5000, b"true", b"no", b"/", b"/etc", b"/nonexistent",
                     b"coverage", b"extractive", b"endpoint", b"local:/x", b"http://x/v1",
                     b"ftp://x", b"http://[", b"~nobody/x", b"\xff\xfe", b"a\nb", b"rules",
                     b"onnx"]),
    st.binary(max_size=30), text.map(lambda t: t.encode("utf-8", "surrogatepass")),
).map(lambda raw: raw.replace(b"\x00", b""))


@given(env=st.dictionaries(st.sampled_from(_fields()), env_value, min_size=1, max_size=3))
def test_settings_from_env_load_finite_or_fail_in_one_line_naming_one(env):
    from assistant.serving.api import ServeSettings
    from assistant.settings import Settings

    keys = {f"ATA_{name.upper()}".encode(): value for name, value in env.items()}
    saved = {key: os.environb.get(key) for key in keys}
    try:
        os.environb.update(keys)
        for kind in (Settings, ServeSettings):
            try:
                loaded = kind.load()
            except ConfigError as exc:
                assert any(f"ATA_{name.upper()}" in one_line(str(exc)) for name in env), exc
                continue
            for value in loaded.model_dump().values():
                assert not isinstance(value, float) or math.isfinite(value)
    finally:
        for key, value in saved.items():
            if value is None:
                del os.environb[key]
            else:
                os.environb[key] = value


# -- as a shell sees it ---------------------------------------------------------------------------
# Slow: two processes of their own. Their in-process twins are the batch and history-file
# properties above and tests/test_bad_input.py's argv that is not UTF-8.
@pytest.mark.slow
def test_the_cli_exit_status_and_output_as_a_shell_sees_them(tmp_path):
    """A few of the inputs above through a real process: status 2, one line per batch
    line, no traceback, nothing but the error line on stderr."""
    lines = [b'{"question": "Why?", "history": [{"role": "user", "content": "\\ud800"}]}',
             b'{"question": ' + b"9" * 5000 + b"}", b"[" * 50_000 + b"]" * 50_000,
             b'{"question": "caf\xe9?"}', b"", json.dumps({"question": GOOD[0]}).encode()]
    path = tmp_path / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    env = {**os.environ, "ATA_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--no-build", "--batch",
                          str(path)], env=env, capture_output=True, timeout=120)
    assert out.returncode == 2 and out.stderr == b"", out.stderr
    results = [json.loads(text) for text in out.stdout.decode("utf-8").splitlines()]
    assert [r["line"] for r in results] == [1, 2, 3, 4, 5, 6]
    history = tmp_path / "history.json"
    history.write_bytes(b'[{"role": "user", "content": "\\udcff"}, ' + b"9" * 4400 + b"]")
    out = subprocess.run([sys.executable, "-m", "assistant", "ask", "--no-build", "--history",
                          str(history), b"Why \xff?"], env=env, capture_output=True,
                         timeout=120)
    assert out.returncode == 2 and out.stdout == b""
    assert one_line(out.stderr.decode("utf-8").removesuffix("\n")).startswith("error: ")

