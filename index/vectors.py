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
from source.files import open_data_file

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
        unit: np.ndarray = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True),
                                               1e-12)
        return unit

    words = vocabulary(article.text)
    return SentenceVectors(embed([s.text for s in sentences]),
                           embed(context_text(article, sentences)), tuple(words), embed(words))


def save(vectors: SentenceVectors, build: Path) -> None:
    """Plain arrays only (the words as fixed-width text, not pickled objects), so loading
    never runs code from the data folder."""
    tmp = build / f"{VECTORS_FILE}.tmp.npz"
    words = np.asarray(vectors.words, dtype=np.str_).reshape(len(vectors.words))
    np.savez(tmp, plain=vectors.plain, context=vectors.context, words=words,
             word_vectors=vectors.word_vectors)
    tmp.replace(build / VECTORS_FILE)


def load(build: Path, sentences: int) -> SentenceVectors:
    """The saved vectors, checked against the sentences. Loaded without pickle: a file
    that needs it (or is cut short, or does not match) raises, and the caller
    (`index.damage.reading`) calls the index damaged."""
    with open_data_file(build / VECTORS_FILE) as fh, np.load(fh, allow_pickle=False) as data:
        vectors = SentenceVectors(data["plain"], data["context"],
                                  tuple(str(w) for w in data["words"]), data["word_vectors"])
    dims = {m.shape[1] for m in (vectors.plain, vectors.context, vectors.word_vectors)
            if m.ndim == 2}
    if (len(vectors.plain) != sentences or len(vectors.context) != sentences
            or len(vectors.word_vectors) != len(vectors.words) or len(dims) != 1
            or any(m.ndim != 2 for m in (vectors.plain, vectors.context, vectors.word_vectors))):
        raise ValueError(f"the vectors do not match the {sentences} sentences")
    return vectors
