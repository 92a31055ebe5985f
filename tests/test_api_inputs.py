"""What a chat API client can send and learn, over every answering stage with a fake index
(no model): bad bodies, a client that leaves, a failing answer model."""

import json
import logging
import socket
import threading
import time

import httpx
import pytest

from assistant.serving.api import build_api
from tests.fakes import FailingOn, GatedAnswerer, fake_assistant
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
    caplog.set_level(logging.INFO, logger="assistant")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                     b'{"model": "ask-the-arti')
    deadline = time.monotonic() + 60
    while not [r for r in caplog.records if r.name == "assistant.serving.api"]:
        assert time.monotonic() < deadline, "the server never noticed the client left"
        time.sleep(0.02)
    records = [r for r in caplog.records if r.name == "assistant.serving.api"]
    assert [r.getMessage() for r in records] == [
        "a client left before sending its whole request"]
    assert not any(r.exc_info for r in records)
    assert post(failing_url, ask_body("Why do hives fail?")).status_code == 200  # still up


# -- a client that leaves ------------------------------------------------------------------
def queue_of(url):  # noqa: ANN001, ANN201
    return httpx.get(f"{url}/health").json()["queue"]


def wait_until(check, what):  # noqa: ANN001, ANN201
    """Poll `check` (no time is asserted: the deadline only ends a hung test)."""
    deadline = time.monotonic() + 120
    while not (value := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.02)
    return value


def send_and_leave_later(url, body):  # noqa: ANN001, ANN201
    """A raw client: the request sent whole; closing the socket is leaving."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    data = json.dumps(body).encode()
    sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(data), data))
    return sock


def left(caplog):  # noqa: ANN001, ANN201
    return [r for r in caplog.records if r.getMessage() == "a client left; its answer is stopped"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_leaves_the_queue_frees_its_place_and_nothing_is_computed(stream, caplog):
    """A non-streaming client that left while queued kept its place (new requests got 429)
    and its answer was computed for nobody."""
    caplog.set_level(logging.INFO, logger="assistant")
    gated = GatedAnswerer()
    api = build_api(fake_assistant(answerer=gated), concurrency=1, max_queue=1)
    first, gone, third = ("Why do hives fail?", "How much honey does a hive give?",
                          "Where is the honey sold?")
    with ServedApp(api) as served:
        replies = {}
        working = threading.Thread(target=lambda: replies.update(a=post(served.url,
                                                                       ask_body(first))))
        working.start()
        assert gated.entered.acquire(timeout=120)  # the one worker is busy
        client = send_and_leave_later(served.url, ask_body(gone, stream))
        wait_until(lambda: queue_of(served.url)["waiting"] == 1, "never queued")
        client.close()
        wait_until(lambda: queue_of(served.url)["waiting"] == 0, "the place was kept")
        waiting = threading.Thread(target=lambda: replies.update(c=post(served.url,
                                                                      ask_body(third))))
        waiting.start()
        wait_until(lambda: queue_of(served.url)["waiting"] == 1 or "c" in replies,
                   "the third request was not admitted")
        gated.gate.set()
        working.join(timeout=300)
        waiting.join(timeout=300)
        assert replies["a"].status_code == 200 and replies["c"].status_code == 200, replies
        assert gated.asked == [first, third]  # the one who left was never answered
        assert len(left(caplog)) == 1
        wait_until(lambda: queue_of(served.url)["working"] == 0, "a place was kept")


def test_a_client_that_leaves_mid_answer_stops_it(caplog):
    """Its answer stops between two pieces, and the answerer's stream (a model call) is
    closed instead of written to the end for nobody."""
    caplog.set_level(logging.INFO, logger="assistant")
    gated = GatedAnswerer()
    api = build_api(fake_assistant(answerer=gated), concurrency=1, max_queue=0)
    with ServedApp(api) as served:
        client = send_and_leave_later(served.url, ask_body("Why do hives fail?"))
        assert gated.entered.acquire(timeout=120)  # being answered
        client.close()
        wait_until(lambda: left(caplog), "the server never noticed the client left")
        gated.gate.set()
        wait_until(lambda: queue_of(served.url)["working"] == 0, "the place was kept")
        assert gated.asked == ["Why do hives fail?"] and gated.finished == []
        assert post(served.url, ask_body("Why do hives fail?")).status_code == 200
        assert gated.finished == ["Why do hives fail?"]
