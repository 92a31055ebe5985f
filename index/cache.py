"""Vectors kept by the sha256 of the text they embed (and the model), so adding many
articles that share text (a licence in every project, a reissued report, an `add` rerun
after it was killed) embeds each text once. A cache only: losing it costs time, never
correctness; a damaged one is set aside and started afresh.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

log = logging.getLogger(__name__)
CACHE_FILE = "vector-cache.sqlite3"


class CachedEmbeddings(Embeddings):
    """`inner`'s vectors for texts not seen before; the stored ones (float32) otherwise."""

    def __init__(self, inner: Embeddings, path: Path, model: str) -> None:
        self.inner, self.path, self.model = inner, path, model
        self._db: sqlite3.Connection | None = None
        self.hits = self.misses = 0

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as exc:
                aside = self.path.with_suffix(".damaged")
                log.warning("the vector cache %s is damaged (%s); set aside as %s", self.path,
                            exc, aside.name)
                self.path.replace(aside)
                self._db = self._open()
        return self._db

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, check_same_thread=False)
        db.execute("CREATE TABLE IF NOT EXISTS v (key BLOB PRIMARY KEY, vector BLOB)")
        return db

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model}\0{text}".encode("utf-8", "surrogatepass")).digest()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        db = self._connect()
        keys = [self._key(t) for t in texts]
        found: dict[bytes, list[float]] = {}
        for first in range(0, len(keys), 500):
            part = keys[first : first + 500]
            rows = db.execute(f"SELECT key, vector FROM v WHERE key IN "  # noqa: S608 - marks only
                              f"({','.join('?' * len(part))})", part).fetchall()
            found.update((k, np.frombuffer(b, np.float32).tolist()) for k, b in rows)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(keys) - len(missing)
        self.misses += len(missing)
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            made = self.inner.embed_documents([text_of[k] for k in missing])
            with db:
                db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)",
                               [(k, np.asarray(v, np.float32).tobytes())
                                for k, v in zip(missing, made, strict=True)])
            found.update(zip(missing, (np.asarray(v, np.float32).tolist() for v in made),
                             strict=True))
        return [found[k] for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
