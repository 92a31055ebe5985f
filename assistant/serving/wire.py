"""The OpenAI chat-completions wire format: a request in; a completion, stream chunks or an
error object out. Plain functions over JSON values; `assistant.serving.api` does the HTTP.

Fields OpenAI defines but an article assistant has no use for (temperature, max_tokens,
tools, n …) are ignored, as OpenAI ignores unknown ones. So are system, developer and tool
messages: what the assistant says is decided by the article, not by instructions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, TypeVar

from assistant.history import MAX_MESSAGE_CHARS, parse_history
from assistant.types import Answer, CitationJSON, Message
from source.errors import InputError, TooLargeError

MODEL_PREFIX = "ask-the-article"  # models are "ask-the-article/<article id>"
IGNORED_ROLES = ("system", "developer", "tool", "function")
T = TypeVar("T")


class ErrorDetail(TypedDict):
    message: str
    type: str  # invalid_request_error, server_error …
    param: str | None
    code: str | None


class ErrorBody(TypedDict):
    """OpenAI's error object, the body of every error response."""

    error: ErrorDetail


class Extension(TypedDict):
    """The fields a completion (or the last chunk) has beyond OpenAI's."""

    citations: list[CitationJSON]
    refused: bool


class Usage(TypedDict):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ModelObject(TypedDict):
    id: str
    object: str  # "model"
    created: int
    owned_by: str
    title: str  # the article's title (ours, beyond OpenAI's fields)


class ModelList(TypedDict):
    object: str  # "list"
    data: list[ModelObject]


class ApiError(Exception):
    """An HTTP error with OpenAI's error object, which the `openai` SDK maps to its
    exception types (400 BadRequestError, 401 AuthenticationError, 404 NotFoundError,
    429 RateLimitError, others APIStatusError)."""

    def __init__(self, status: int, message: str, *, kind: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.code, self.param = (
            status, message, kind, code, param)

    def body(self) -> ErrorBody:
        return {"error": {"message": self.message, "type": self.kind, "param": self.param,
                          "code": self.code}}

    @classmethod
    def of(cls, exc: InputError, param: str | None = None) -> ApiError:
        """Bad input is 400; input over a size limit is 413."""
        if isinstance(exc, TooLargeError):
            return cls(413, str(exc), code="request_too_large", param=param)
        return cls(400, str(exc), param=param)


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """What the assistant needs from a chat-completions request."""

    model: str
    question: str  # the last user message, not yet checked (`Assistant.check_question`)
    history: list[Message]  # the user and assistant turns before it
    stream: bool = False
    include_usage: bool = False  # stream_options.include_usage: a last chunk with usage


def parse_request(body: object) -> ChatRequest:
    """Check a request body; an `ApiError` (400, or 413 for a message over the limit)
    says what is wrong."""
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "you must provide a model parameter (GET /v1/models lists them)",
                       param="model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list of {role, content} objects",
                       param="messages")
    turns = [turn for i, m in enumerate(messages) if (turn := _turn(i, m))]
    if not turns or turns[-1]["role"] != "user":
        raise ApiError(400, "the last message (system messages aside) must be the user's "
                       "question, with role 'user'", param="messages")
    try:
        history = parse_history(turns[:-1], "messages")
    except InputError as exc:
        raise ApiError.of(exc, "messages") from None
    stream = _optional(body, "stream", bool, False)
    options = _optional(body, "stream_options", dict, {})
    include_usage = _optional(options, "include_usage", bool, False, "stream_options.")
    return ChatRequest(model, turns[-1]["content"], history, stream, include_usage)


def _turn(i: int, message: object) -> Message | None:
    """A user or assistant message as a `Message`; None for a role that is ignored."""
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        raise ApiError(400, f"{where} must be an object with role and content", param=where)
    role = message.get("role")
    if role not in ("user", "assistant", *IGNORED_ROLES):
        raise ApiError(400, f"{where} has role {role!r}; use 'user' or 'assistant' "
                       "('system' is accepted and ignored)", param=f"{where}.role")
    text = _text(message.get("content"), where)
    if len(text) > MAX_MESSAGE_CHARS:
        raise ApiError(413, f"{where} is {len(text):,} characters; the limit is "
                       f"{MAX_MESSAGE_CHARS:,}", code="request_too_large", param=where)
    return Message(role=role, content=text) if role in ("user", "assistant") else None


def _text(content: object, where: str) -> str:
    """Message content: a string, a list of text parts (as OpenAI allows), or null."""
    if content is None or isinstance(content, str):
        return content or ""
    if not isinstance(content, list):
        raise ApiError(400, f"{where}.content must be a string or a list of text parts",
                       param=f"{where}.content")
    texts = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind != "text" or not isinstance(part.get("text"), str):
            raise ApiError(400, f"{where}.content has a part of type {kind!r}; only text "
                           "parts ({\"type\": \"text\", \"text\": …}) are supported",
                           param=f"{where}.content")
        texts.append(part["text"])
    return "\n".join(texts)


def _optional(body: dict[str, object], name: str, kind: type[T], default: T, prefix: str = ""
              ) -> T:
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise ApiError(400, f"{prefix}{name} must be a {kind.__name__}",
                       param=f"{prefix}{name}")
    return value


# -- responses ---------------------------------------------------------------------------
def extension(answer: Answer) -> Extension:
    """The fields OpenAI's format lacks: the quotes behind the [n] markers, and whether the
    assistant declined (the article does not say)."""
    return {"citations": answer.to_json()["citations"], "refused": answer.refused}


def usage(request: ChatRequest, answer: Answer) -> Usage:
    """Approximate: whitespace-separated words, not model tokens (nothing is billed)."""
    prompt = sum(len(m["content"].split()) for m in request.history)
    prompt += len(request.question.split())
    done = len(answer.answer.split())
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def completion(cid: str, created: int, model: str, request: ChatRequest, answer: Answer
               ) -> dict[str, Any]:
    """A `chat.completion` object with the answer and its citations."""
    return {"id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": answer.answer}}],
            "usage": usage(request, answer), **extension(answer)}


def chunk(cid: str, created: int, model: str, delta: dict[str, str],
          finish: str | None = None, **extra: object) -> dict[str, Any]:
    """A `chat.completion.chunk`; the last one carries the citations as `extra`."""
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                         "logprobs": None}], **extra}


def usage_chunk(cid: str, created: int, model: str, request: ChatRequest, answer: Answer
                ) -> dict[str, Any]:
    """The extra last chunk `stream_options: {"include_usage": true}` asks for."""
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [], "usage": usage(request, answer)}


def model_list(models: Sequence[tuple[str, str]], created: int) -> ModelList:
    """`GET /v1/models`: (id, article title) pairs as OpenAI model objects."""
    return {"object": "list", "data": [model_object(m, title, created) for m, title in models]}


def model_object(model: str, title: str, created: int) -> ModelObject:
    return {"id": model, "object": "model", "created": created, "owned_by": MODEL_PREFIX,
            "title": title}
