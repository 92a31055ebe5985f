"""The embedding model behind Chroma, loaded from a packaged directory, never from a hub."""

from __future__ import annotations

import os

from langchain_core.embeddings import Embeddings

from index.models import resolve_model


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


def make_embeddings(spec: str) -> Embeddings:
    """A LangChain `Embeddings` over a sentence-transformers model; loads the weights now."""
    path = resolve_model(spec)
    force_offline()
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )
