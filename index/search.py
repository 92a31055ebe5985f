"""The library's first-stage search: every article's sentences in ONE Chroma collection,
each row carrying its article's id, so a question finds the few articles worth taking
through the full answering stages without opening the others. A question's cost then
grows with the few articles it goes to, not with the library.

Embedded, the collection lives under `data_dir/library/search/`; with `--chroma-url` it is
a collection on that server (named after the data folder), so several app processes, or
a library larger than one machine's memory, share it. The rows are the sentence vectors
each article's build already computed (`index.vectors`): adding them embeds nothing.
Rows are written before an article is listed and dropped when it is removed; a search
only ever returns listed articles (the caller passes them), so a row left by a killed
`add` is never an answer.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.backends import ServerBackend, _chroma_settings
from index.settings import IndexSettings as Settings

if TYPE_CHECKING:
    from chromadb import Collection as ChromaCollection

    from index.store import Index

log = logging.getLogger(__name__)
COLLECTION = "ata-library"
ROWS = 96  # sentences fetched per question; the articles they belong to are ranked
WRITE_BATCH = 4096


def search_dir(settings: Settings) -> Path:
    return settings.data_dir / "library" / "search"


def collection_name(settings: Settings) -> str:
    """Embedded: one name in the library's own folder. On a server: one per data folder,
    so two data folders sharing one server never mix their libraries."""
    if not settings.chroma_url:
        return COLLECTION
    where = str(settings.data_dir.resolve()).encode()
    return f"{COLLECTION}-{hashlib.sha256(where).hexdigest()[:16]}"


class LibrarySearch:
    """Which articles a question is nearest to, by their sentences' vectors."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._collection: ChromaCollection | None = None

    @property
    def collection(self) -> ChromaCollection:
        if self._collection is None:
            settings = self._settings
            if settings.chroma_url:
                client = ServerBackend(settings.chroma_url, settings.chroma_timeout).connected()
            else:
                import chromadb

                folder = search_dir(settings)
                folder.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(folder),
                                                   settings=_chroma_settings())
            self._collection = client.get_or_create_collection(
                collection_name(settings), configuration={"hnsw": {"space": "cosine"}})
        return self._collection

    def put(self, article_id: str, sha256: str, vectors: np.ndarray) -> None:
        """Replace an article's rows with one per sentence vector."""
        self.drop(article_id)
        ids = [f"{article_id}#{i}" for i in range(len(vectors))]
        meta = {"article": article_id, "sha256": sha256}
        for first in range(0, len(ids), WRITE_BATCH):
            part = slice(first, first + WRITE_BATCH)
            self.collection.add(ids=ids[part], embeddings=vectors[part].astype(np.float32),
                                metadatas=[meta] * len(ids[part]))

    def include(self, index: Index) -> None:
        """Put a built article's rows in when they are missing (an article relisted, a
        library from before the search, the main article the first time)."""
        article = index.article
        if not self.has(article.article_id, article.content_hash):
            self.put(article.article_id, article.content_hash, index.vectors.context)

    def has(self, article_id: str, sha256: str) -> bool:
        """Whether the rows of this article's text are in (a changed text's are not)."""
        got = self.collection.get(where={"$and": [{"article": article_id},
                                                  {"sha256": sha256}]}, limit=1, include=[])
        return bool(got["ids"])

    def drop(self, article_id: str) -> None:
        self.collection.delete(where={"article": article_id})

    def nearest(self, vector: Sequence[float] | np.ndarray, among: Collection[str],
                limit: int) -> list[tuple[str, float]]:
        """Up to `limit` articles of `among` with their nearest sentence's cosine
        similarity, nearest first, among the question's `ROWS` nearest sentences in the
        whole library."""
        if limit <= 0 or not among:
            return []
        query = np.asarray(vector, np.float32).reshape(1, -1)
        found = self.collection.query(query_embeddings=query, n_results=ROWS,
                                      include=["metadatas", "distances"])
        metadatas, distances = found["metadatas"] or [[]], found["distances"] or [[]]
        ranked: dict[str, float] = {}
        for meta, distance in zip(metadatas[0], distances[0], strict=True):
            article = str(meta.get("article"))
            if article in among and article not in ranked:
                ranked[article] = round(1.0 - float(distance), 6)
                if len(ranked) == limit:
                    break
        return list(ranked.items())
