"""`python -m assistant serve`: the assistant behind the OpenAI chat-completions API, so any
chat client or script (the `openai` SDK, LangChain's `ChatOpenAI`, Open WebUI) can ask it
and read the citations.

`build_api(assistant)` builds the app and serves nothing; `bind()` and `run()` serve it.
Answers are computed in worker threads, `concurrency` at a time with at most `max_queue`
waiting (429 beyond), like the web app's Gradio queue; the event loop never waits on one.
"""

from __future__ import annotations

import hmac
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import Field, SecretStr
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from assistant.chain import Assistant, Result
from assistant.history import MAX_JSON_BYTES, load_json
from assistant.serving import wire
from assistant.serving.streaming import as_shown
from assistant.serving.workers import ClientGone, QueueFull, WorkQueue, in_threads, while_connected
from index.settings import LayerSettings
from source.errors import AnswererError, AppError, ConfigError, InputError

log = logging.getLogger(__name__)


class ServeSettings(LayerSettings):
    """The chat API's own options (`python -m assistant serve`); flag > env > default."""

    host: str = Field("127.0.0.1", min_length=1, description="interface to serve on (empty "
                                                              "would mean every one)")
    port: int = Field(8000, ge=0, le=65535, description="port (0: any free one)")
    api_key: SecretStr | None = Field(None, description="bearer token every request must "
                                                         "carry; prefer the env var")
    concurrency: int = Field(2, ge=1, le=64, description="answers computed at once")
    max_queue: int = Field(64, ge=0, le=10_000, description="requests waiting at most; "
                                                             "more get 429")

    def check(self) -> None:
        if self.api_key is not None and not self.api_key.get_secret_value().strip():
            raise ConfigError("the API key is empty; give a key, or leave --api-key and "
                              "ATA_API_KEY out to serve without one")
ALL_ARTICLES = "every indexed article; the assistant picks the one that answers"


class _EventStream(StreamingResponse):
    """Server-sent events that close their source and give back the queue place however
    the response ends: finished, failed, or the client gone (waiting in the queue, or
    mid-stream), whatever ASGI version the server speaks."""

    def __init__(self, events: AsyncGenerator[bytes, None], leave: Callable[[], None]
                 ) -> None:
        super().__init__(events, media_type="text/event-stream",
                         headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        self._events, self._leave = events, leave

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await while_connected(receive, lambda: self.stream_response(send))
        except (ClientGone, OSError):  # OSError: gone mid-write (servers speaking ASGI 2.4)
            pass
        finally:
            with anyio.CancelScope(shield=True):
                await self._events.aclose()
            self._leave()


def build_api(assistant: Assistant, *, api_key: str | None = None, concurrency: int = 2,
              max_queue: int = 64) -> FastAPI:
    """The chat API over `assistant` (warmed up here); nothing is served."""
    titles = assistant.titles  # the model list: no article is opened to list it
    models: dict[str, tuple[str | None, str]] = {wire.MODEL_PREFIX: (None, ALL_ARTICLES)}
    for article_id, title in titles.items():
        models[f"{wire.MODEL_PREFIX}/{article_id}"] = (article_id, title)
    only: dict[str, Assistant] = {}  # made on first use: its index opens when asked

    def answering(model: str) -> Assistant:
        """The default model: the whole library, the main article in view; an article's
        model: that article alone."""
        article_id = models[model][0]
        if article_id is None or len(titles) == 1:
            return assistant
        if article_id not in only:
            only[article_id] = assistant.only(article_id)
        return only[article_id]
    queue = WorkQueue(concurrency, max_queue)
    started = int(time.time())
    app = FastAPI(title="ask-the-article chat API", docs_url=None, redoc_url=None,
                  openapi_url=None)  # the docs pages would load scripts from a CDN
    app.state.models, app.state.queue = list(models), queue

    @app.exception_handler(wire.ApiError)
    async def api_error(request: Request, exc: wire.ApiError) -> JSONResponse:
        headers = {"Retry-After": "1"} if exc.status == 429 else None
        return JSONResponse(exc.body(), exc.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        error = wire.ApiError(exc.status_code, f"{request.method} {request.url.path}: "
                              f"{exc.detail}")
        return JSONResponse(error.body(), exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:  # logged by Starlette
        return JSONResponse(_bug().body(), 500)

    def authorize(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise wire.ApiError(401, "no API key: send the header Authorization: Bearer KEY",
                                code="invalid_api_key")
        if not hmac.compare_digest(given.strip().encode(), api_key.encode()):
            raise wire.ApiError(401, "incorrect API key", code="invalid_api_key")

    def pick(model: str) -> tuple[str, Assistant]:
        """A model id, or an article id alone, to the assistant answering from it."""
        for name in (model, f"{wire.MODEL_PREFIX}/{model}"):
            if name in models:
                return name, answering(name)
        raise wire.ApiError(404, f"the model {model!r} does not exist; use one of: "
                            f"{', '.join(models)}", code="model_not_found", param="model")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "models": list(models), "queue": queue.stats()}

    # FastAPI takes a return annotation for a response model: plain dicts, so the objects
    # go out as built (its TypedDict models need typing_extensions' on Python 3.11)
    @app.get("/v1/models")
    async def list_models(request: Request) -> dict[str, Any]:
        authorize(request)
        return {**wire.model_list([(m, title) for m, (_, title) in models.items()], started)}

    @app.get("/v1/models/{model:path}")
    async def get_model(model: str, request: Request) -> dict[str, Any]:
        authorize(request)
        name, _ = pick(model)
        return {**wire.model_object(name, models[name][1], started)}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Any:
        authorize(request)
        try:
            return await complete(request)
        except wire.ApiError:
            raise
        except ClientDisconnect:  # gone before its body was whole: nobody to answer
            log.info("a client left before sending its whole request")
            return Response(status_code=400)
        except ClientGone:  # logged when it left; nobody reads this
            return Response(status_code=400)
        except Exception:  # a bug: a 500 for the client (on a connection that stays
            log.exception("a chat completion failed")  # usable), the traceback in the log
            raise _bug() from None

    async def complete(request: Request) -> Any:
        body = await _read_body(request)
        try:
            chat = wire.parse_request(load_json(body, "request body"))
        except InputError as exc:
            raise wire.ApiError.of(exc) from None
        model, answering = pick(chat.model)
        try:
            chat = wire.ChatRequest(model, answering.check_question(chat.question),
                                    chat.history, chat.stream, chat.include_usage)
        except InputError as exc:
            raise wire.ApiError.of(exc, "messages") from None
        try:
            leave = queue.admit()
        except QueueFull as exc:
            raise wire.ApiError(429, str(exc), kind="requests", code="rate_limit_exceeded"
                                ) from None
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if chat.stream:
            return _EventStream(_events(answering, chat, queue, cid, created), leave)
        try:
            result = await while_connected(request.receive,
                                            lambda: _answer(answering, chat, queue))
        except InputError as exc:
            raise wire.ApiError.of(exc, "messages") from None
        except AppError as exc:
            raise _failed(exc) from None
        finally:
            leave()
        return wire.completion(cid, created, model, chat, result.answer)

    return app


async def _answer(assistant: Assistant, chat: wire.ChatRequest, queue: WorkQueue) -> Result:
    """The whole answer, computed piece by piece in worker threads as a stream is, so a
    client that leaves stops it between two pieces (and its model call with it)."""
    async with queue.worker():
        pieces = assistant.stream(chat.question, chat.history)
        try:
            while not isinstance(piece := await anyio.to_thread.run_sync(next, pieces),
                                 Result):
                pass
            return piece
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(pieces.close)


async def _read_body(request: Request) -> bytes:
    """The body, refused (413) before it is read when it says it is over the limit, and
    as soon as it passes the limit when it does not say."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise _too_large(f"{int(declared):,} bytes")
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_JSON_BYTES:
            raise _too_large("over the limit")
        parts.append(part)
    return b"".join(parts)


def _too_large(size: str) -> wire.ApiError:
    return wire.ApiError(413, f"the request body is {size}; the limit is "
                         f"{MAX_JSON_BYTES:,} bytes", code="request_too_large")


def _failed(exc: AppError) -> wire.ApiError:
    """An answer that failed after the request was accepted (the answer model is down).
    The log gets the whole message; the client only how the model failed, never where it
    runs or the advice meant for the person running the server."""
    log.warning("an answer failed: %s", exc)
    if isinstance(exc, AnswererError):
        return wire.ApiError(500, f"the answer model {exc.reason}; retry later",
                             kind="server_error")
    return wire.ApiError(500, "the assistant cannot answer now; its log says why",
                         kind="server_error")


def _bug() -> wire.ApiError:
    """What a client learns of a bug: nothing of the internals."""
    return wire.ApiError(500, "internal error", kind="server_error")


async def _events(assistant: Assistant, chat: wire.ChatRequest, queue: WorkQueue, cid: str,
                  created: int) -> AsyncGenerator[bytes, None]:
    """The answer as SSE chunks with markers already renumbered (`Assistant.stream`, as the
    CLI prints it), the citations on the last chunk, then [DONE]."""
    model = chat.model
    async with queue.worker():
        pieces = as_shown(assistant.stream(chat.question, chat.history))
        try:
            yield _event(wire.chunk(cid, created, model, {"role": "assistant", "content": ""}))
            async for piece in in_threads(pieces):
                if isinstance(piece, Result):
                    answer = piece.answer
                    yield _event(wire.chunk(cid, created, model, {}, "stop",
                                            **wire.extension(answer)))
                    if chat.include_usage:
                        yield _event(wire.usage_chunk(cid, created, model, chat, answer))
                elif piece:
                    yield _event(wire.chunk(cid, created, model, {"content": piece}))
        except InputError as exc:
            yield _event(wire.ApiError.of(exc, "messages").body())
        except AppError as exc:
            yield _event(_failed(exc).body())
        except Exception:  # a bug: the client gets an error event, the log the traceback
            log.exception("answering %r failed", chat.question)
            yield _event(_bug().body())
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(pieces.close)
    yield b"data: [DONE]\n\n"


def _event(payload: Mapping[str, object]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


# -- serving -------------------------------------------------------------------------------
def bind(host: str, port: int) -> socket.socket:
    """A listening socket, taken before any model loads so a busy port fails at once."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is not a port number (0-65535)")
    sock = None
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # connections wait in the backlog until uvicorn accepts them
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def run(app: FastAPI, sock: socket.socket) -> None:
    """Serve until Ctrl-C (uvicorn, which stops gracefully on SIGINT/SIGTERM)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning",
                                           timeout_graceful_shutdown=10))
    server.run(sockets=[sock])
