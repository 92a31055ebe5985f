"""Sentence and word vectors saved with each build, so answering a question costs one
query embedding and a few dot products instead of a model call per candidate.

`plain` embeds each sentence alone; `context` embeds it with what a reader has in mind
when reading it (its section heading, the lead-in a list item continues, the role of a
title or byline). The vocabulary's vectors let the assistant tell a word the document
never uses but has a near neighbour for ("Holland" beside "Netherlands") from one that is
foreign to it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from index.segment import Segment, context_text
from source.article import Article

VECTORS_FILE = "vectors.npz"
MAX_VOCABULARY = 20_000  # most frequent words kept; a 5 MB text has far more rare ones
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]{3,}")


@dataclass(frozen=True, slots=True)
class SentenceVectors:
    plain: np.ndarray  # (sentences, dim), unit length
    context: np.ndarray  # (sentences, dim), unit length
    words: tuple[str, ...]  # the document's vocabulary, lower case
    word_vectors: np.ndarray  # (words, dim), unit length


def vocabulary(text: str) -> list[str]:
    """The document's words (lower case, 3+ letters), most frequent first."""
    counts = Counter(w.lower() for w in _WORD.findall(text) if len(w) >= 3)
    return [w for w, _ in counts.most_common(MAX_VOCABULARY)]


def embed_sentences(article: Article, sentences: list[Segment], embeddings: Embeddings,
                    batch: int = 256) -> SentenceVectors:
    def embed(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, len(embeddings.embed_query("x"))), dtype=np.float32)
        rows = [v for i in range(0, len(texts), batch)
                for v in embeddings.embed_documents(texts[i : i + batch])]
        matrix = np.asarray(rows, dtype=np.float32)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    words = vocabulary(article.text)
    return SentenceVectors(embed([s.text for s in sentences]),
                           embed(context_text(article, sentences)), tuple(words), embed(words))


def save(vectors: SentenceVectors, build: Path) -> None:
    tmp = build / f"{VECTORS_FILE}.tmp.npz"
    np.savez(tmp, plain=vectors.plain, context=vectors.context,
             words=np.asarray(vectors.words, dtype=object), word_vectors=vectors.word_vectors)
    tmp.replace(build / VECTORS_FILE)


def load(build: Path, sentences: int) -> SentenceVectors | None:
    """The saved vectors, or None when missing or not matching the sentences."""
    try:
        with np.load(build / VECTORS_FILE, allow_pickle=True) as data:
            vectors = SentenceVectors(data["plain"], data["context"],
                                      tuple(str(w) for w in data["words"]),
                                      data["word_vectors"])
    except (OSError, ValueError, KeyError):
        return None
    if len(vectors.plain) != sentences or len(vectors.context) != sentences:
        return None
    return vectors
