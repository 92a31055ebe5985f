"""FakeOpenAIServer: an honest fake of an OpenAI-compatible chat endpoint on loopback.

It speaks the real wire format (`POST /v1/chat/completions`, JSON or SSE stream) so the
real `ChatOpenAI` client is exercised end to end, but its "model" is a Python function
of the prompt, scripted per test. It records every request it gets.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[[list[dict]], str]


def numbered_sentences(messages: list[dict]) -> dict[int, str]:
    """The `[n] sentence` lines of the prompt, as the real model would read them."""
    user = messages[-1]["content"]
    return {int(n): text for n, text in re.findall(r"^\[(\d+)\] (.*)$", user, re.MULTILINE)}


def restate_first(messages: list[dict]) -> str:
    """A well-behaved model: restates the best sentence and cites it."""
    sentences = numbered_sentences(messages)
    if not sentences:
        return "The article doesn't say."
    return f"The article says that {sentences[1].rstrip('.')} [1]."


class FakeOpenAIServer:
    def __init__(self, reply: Reply = restate_first, *, chunk_chars: int = 3,
                 delay_s: float = 0.0) -> None:
        self.reply = reply
        self.chunk_chars = chunk_chars  # small chunks split markers mid-way, as real ones do
        self.delay_s = delay_s
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body,
                                        "auth": self.headers.get("Authorization")})
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self.send_error(404)
                    return
                text = server.reply(body["messages"])
                if body.get("stream"):
                    self._stream(body["model"], text)
                else:
                    self._json(200, _completion(body["model"], text))

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, text: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                step = server.chunk_chars
                for i in range(0, len(text), step):
                    time.sleep(server.delay_s)
                    self._event(_chunk(model, {"content": text[i : i + step]}, None))
                self._event(_chunk(model, {}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")

            def _event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _completion(model: str, text: str) -> dict:
    return {"id": "fake", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}}


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {"id": "fake", "object": "chat.completion.chunk", "created": 0, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
