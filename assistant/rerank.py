"""Scoring (query, passage) pairs: a cross-encoder where one is packaged, else embeddings.

Scores decide both the order of evidence and refusal, so each scorer carries the
refusal threshold calibrated for its own scale (see the README's calibration notes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from langchain_core.embeddings import Embeddings

from index.embed import force_offline
from index.models import resolve_model


class Scorer(Protocol):
    name: str
    min_support: float  # below this, a passage is taken not to answer the query
    spread: float  # evidence scoring under spread × the best score is left out

    def score(self, query: str, passages: Sequence[str]) -> list[float]: ...


class CrossEncoderScorer:
    """A sentence-transformers cross-encoder read from a packaged model folder."""

    def __init__(self, spec: str, min_support: float, spread: float = 0.5) -> None:
        force_offline()
        from sentence_transformers import CrossEncoder

        self.name = spec
        self.min_support = min_support
        self.spread = spread
        self._model = CrossEncoder(str(resolve_model(spec)), device="cpu",
                                   local_files_only=True)

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        scores = self._model.predict([(query, p) for p in passages], batch_size=32,
                                     show_progress_bar=False, convert_to_numpy=True)
        return [float(s) for s in scores]


class EmbeddingScorer:
    """Cosine similarity of normalised embeddings: the fallback when no cross-encoder is set."""

    def __init__(self, embeddings: Embeddings, min_support: float = 0.35,
                 spread: float = 0.8) -> None:
        self.name = "embedding-cosine"
        self.min_support = min_support
        self.spread = spread
        self._embeddings = embeddings

    def score(self, query: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        q = self._embeddings.embed_query(query)
        docs = self._embeddings.embed_documents(list(passages))
        return [float(sum(a * b for a, b in zip(q, d, strict=True))) for d in docs]
