"""The embedding model behind Chroma, loaded from a packaged directory, never from a hub."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from langchain_core.embeddings import Embeddings

from index.models import resolve_model
from index.settings import IndexSettings
from source.errors import ModelError

log = logging.getLogger("index")


def force_offline() -> None:
    """Make any attempt by Hugging Face libraries to reach a hub fail at once.

    Called before the first model import: huggingface_hub reads these on import.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def make_embeddings(spec: str, compiled_in: Path | None = None) -> Embeddings:
    """LangChain `Embeddings` for a packaged model or model folder; loads the weights now.

    With `compiled_in` (the model cache), the model compiled to ONNX there
    (compiled on first use): a fresh process then starts without importing torch. If it
    cannot be compiled, the sentence-transformers model itself, with a warning.
    """
    path = resolve_model(spec)
    force_offline()
    if compiled_in is not None:
        from index.compiled import load_compiled

        try:
            return load_compiled(compiled_in, path)
        except ModelError as exc:
            log.warning("%s; using the model through sentence-transformers", exc)
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )


def embeddings_for(settings: IndexSettings) -> Embeddings:
    """The configured model, compiled into the model cache unless the runtime is torch."""
    cache = settings.model_cache if settings.embedding_runtime == "onnx" else None
    return make_embeddings(settings.embedding_model, cache)
