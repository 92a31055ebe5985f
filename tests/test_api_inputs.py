"""What a chat API client can send and learn, over every answering stage with a fake index
(no model): bad bodies, a client that leaves, a failing answer model."""

import json
import logging
import socket
import time

import httpx
import pytest

from assistant.api import build_api
from tests.fakes import FailingOn, fake_assistant
from tests.loopback import ServedApp

MODEL = "ask-the-article"


@pytest.fixture(scope="module")
def failing_url():
    with ServedApp(build_api(fake_assistant(answerer=FailingOn()))) as served:
        yield served.url


def post(url, body, **kwargs):  # noqa: ANN001, ANN201
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=60, **kwargs)


def ask_body(question, stream=False):  # noqa: ANN001, ANN201
    return {"model": MODEL, "stream": stream, "messages": [{"role": "user",
                                                            "content": question}]}


@pytest.mark.parametrize("stream", [False, True])
def test_a_failing_model_tells_the_client_how_not_where(failing_url, stream):
    """The error once carried the model's internal URL and the CLI's advice (`use
    --answerer extractive`) to any client; the server log keeps them."""
    got = post(failing_url, ask_body("What happens to hives in their first winter?", stream))
    if stream:
        events = [json.loads(line.removeprefix("data: ")) for line in got.text.splitlines()
                  if line.startswith("data: {")]
        error = next(e["error"] for e in events if "error" in e)
    else:
        assert got.status_code == 500
        error = got.json()["error"]
    assert error["message"] == "the answer model timed out; retry later"
    assert error["type"] == "server_error"


def test_a_client_leaving_mid_body_logs_no_traceback(failing_url, caplog):
    """The body is cut off: starlette's ClientDisconnect was logged as a bug, traceback
    and all."""
    host, port = failing_url.removeprefix("http://").split(":")
    caplog.set_level(logging.INFO, logger="assistant.api")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                     b'{"model": "ask-the-arti')
    deadline = time.monotonic() + 60
    while not [r for r in caplog.records if r.name == "assistant.api"]:
        assert time.monotonic() < deadline, "the server never noticed the client left"
        time.sleep(0.02)
    records = [r for r in caplog.records if r.name == "assistant.api"]
    assert [r.getMessage() for r in records] == [
        "a client left before sending its whole request"]
    assert not any(r.exc_info for r in records)
    assert post(failing_url, ask_body("Why do hives fail?")).status_code == 200  # still up
