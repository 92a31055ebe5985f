"""The persistent Chroma index of one article, built aside and swapped in atomically.

Layout under `data_dir/indexes/<article_id>/`:
    current -> build-<stamp>/      symlink, replaced in one rename when a build finishes
    build-<stamp>/chroma/          Chroma's files (chroma.sqlite3)
    build-<stamp>/vectors.npz      sentence and word vectors (index/vectors.py)
    build-<stamp>/sentences.json   the sentences' spans
    build-<stamp>/manifest.json    written last: a build without it never became current
A killed build leaves only a `build-*` folder that `current` does not point to; the
next build removes it. The previous index stays in service until the swap. Whatever
goes wrong reading or writing these files is sorted in one place, `index.damage`.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from index import vectors as sentence_vectors
from index.backends import VectorBackend, make_backend
from index.damage import reading, writing
from index.segment import SEGMENTER_VERSION, Segment, Window, segment, windows
from index.settings import IndexSettings as Settings
from source.article import Article
from source.errors import IndexCorruptError, IndexMissingError
from source.files import read_regular, write_json_atomic

if TYPE_CHECKING:
    from chromadb.api.types import PyEmbedding

log = logging.getLogger(__name__)
EMBED_BATCH = 32  # windows per embedding call: one step of the progress bar
WRITE_BATCH = 4096  # windows per Chroma write; each write has a fixed cost of tens of ms
BUILD_HINT = "run: python -m index build"
MANIFEST_FILE = "manifest.json"
SENTENCES_FILE = "sentences.json"
MAX_JSON_BYTES = 1 << 20  # a manifest is a few hundred bytes
MAX_SENTENCES_BYTES = 256 << 20  # about 25 bytes a sentence





@dataclass(frozen=True, slots=True)
class Manifest:
    """What an index was built from; any difference from the wanted one means rebuild."""

    article_id: str
    article_sha256: str
    embedding_model: str
    segmenter_version: str
    window_size: int
    sentences: int = 0
    windows: int = 0
    built_at: float = 0.0
    build_seconds: float = 0.0

    def key(self) -> dict[str, str | int]:
        return {"article_id": self.article_id, "article_sha256": self.article_sha256,
                "embedding_model": self.embedding_model,
                "segmenter_version": self.segmenter_version, "window_size": self.window_size}


@dataclass(slots=True)
class Index:
    """An opened index: the article it indexes, its sentences and windows, and the vectors."""

    article: Article
    sentences: list[Segment]
    windows: list[Window]
    vectorstore: Chroma
    manifest: Manifest
    path: Path
    vectors: sentence_vectors.SentenceVectors


def wanted_manifest(settings: Settings, article: Article) -> Manifest:
    return Manifest(article.article_id, article.content_hash, settings.embedding_model,
                    SEGMENTER_VERSION, settings.window_size)


def article_dir(settings: Settings, article: Article) -> Path:
    return settings.data_dir / "indexes" / article.article_id


def read_manifest(build: Path) -> Manifest:
    """The manifest of a finished build (`build` may be the `current` link)."""
    if not os.path.lexists(build):
        raise IndexMissingError(f"no finished index at {build}")
    path = build / MANIFEST_FILE
    with reading(path, build.parent):
        return Manifest(**json.loads(read_regular(path, MAX_JSON_BYTES)))


def current_manifest(settings: Settings, article: Article) -> Manifest | None:
    """The manifest of the index in service, or None when none was ever made current;
    a damaged one raises (`IndexCorruptError`, `IndexUnreadableError`)."""
    try:
        return read_manifest(article_dir(settings, article) / "current")
    except IndexMissingError:
        return None


def require_current(settings: Settings, article: Article) -> Manifest:
    """The manifest in service if it matches; else the one-line error naming the fix."""
    have = current_manifest(settings, article)
    if have is None:
        raise IndexMissingError(f"no index for {article.article_id} in {settings.data_dir}")
    want = wanted_manifest(settings, article)
    if have.key() != want.key():
        changed = [k for k, v in want.key().items() if have.key().get(k) != v]
        raise IndexMissingError(f"the index in {settings.data_dir} is stale "
                                f"({', '.join(changed)} changed)")
    return have


def open_index(settings: Settings, article: Article, embeddings: Embeddings | None) -> Index:
    """Open the index in service; raise if it is missing, stale, foreign or damaged (every
    failure is sorted by `index.damage.reading`, the one place that does so)."""
    root = article_dir(settings, article)
    manifest = require_current(settings, article)
    wanted = wanted_manifest(settings, article)
    build = (root / "current").resolve()
    backend = make_backend(settings)
    store = backend.describe(build)
    with reading(store, root):
        backend.check(build)
        vectorstore = backend.open(build, article, embeddings)
        meta = vectorstore._collection.metadata or {}
        count = vectorstore._collection.count()
    if {k: meta.get(k) for k in wanted.key()} != wanted.key() or count != manifest.windows:
        raise IndexCorruptError(f"{store} does not match its manifest (another program's "
                                "store, or an unfinished one)")
    with reading(build / SENTENCES_FILE, root):
        sentences = _saved_sentences(build, article)
    with reading(build / sentence_vectors.VECTORS_FILE, root):
        vectors = sentence_vectors.load(build, len(sentences))
    return Index(article, sentences, windows(article, sentences, settings.window_size),
                 vectorstore, manifest, build, vectors)


def _saved_sentences(build: Path, article: Article) -> list[Segment]:
    """The sentences saved with the build (segmenting a long article takes seconds per
    MB); raises if the file is missing or does not fit the text."""
    spans = json.loads(read_regular(build / SENTENCES_FILE, MAX_SENTENCES_BYTES))
    out = []
    for i, (start, end, paragraph) in enumerate(spans):
        block = article.blocks[paragraph]
        if not block.start <= start < end <= block.end:
            raise ValueError(f"sentence {i} does not fit the article")
        out.append(Segment(i, start, end, article.text[start:end], paragraph,
                           block.section, block.kind))
    if not out:
        raise ValueError("no sentences")
    return out


def build_index(settings: Settings, article: Article, embeddings: Embeddings,
                force: bool = True, progress: bool = True) -> Index:
    """Embed the article into a new folder, then make it current in one rename.

    Without `force`, a good index that another process finished while this one
    waited for the lock is opened instead of being built again.
    """
    root = article_dir(settings, article)
    with writing(root):
        root.mkdir(parents=True, exist_ok=True)
    with writing(root), _build_lock(root):
        if not force:
            try:
                return open_index(settings, article, embeddings)
            except (IndexMissingError, IndexCorruptError):
                pass
        started = time.perf_counter()
        # Unique per build: Chroma caches clients by path, so a path is never reused.
        build = root / f"build-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        sentences = segment(article)
        units = windows(article, sentences, settings.window_size)
        wanted = wanted_manifest(settings, article)
        backend = make_backend(settings)
        build.mkdir()  # first, so a killed build's server collection is found and dropped
        vectorstore = backend.open(build, article, embeddings, metadata=wanted.key())
        log.info("embedding %d windows of %s with %s", len(units), article.article_id,
                 settings.embedding_model)
        window_vectors: list[PyEmbedding] = []
        for first in tqdm(range(0, len(units), EMBED_BATCH), desc="embedding", unit="batch",
                          disable=not progress):
            part = units[first : first + EMBED_BATCH]
            window_vectors += embeddings.embed_documents([w.search_text for w in part])
        for first in range(0, len(units), WRITE_BATCH):
            part = units[first : first + WRITE_BATCH]
            vectorstore._collection.upsert(
                ids=[str(w.id) for w in part],
                embeddings=window_vectors[first : first + WRITE_BATCH],
                documents=[w.search_text for w in part],
                metadatas=[window_metadata(w) for w in part])
        log.info("embedding %d sentences and the vocabulary", len(sentences))
        vectors = sentence_vectors.embed_sentences(article, sentences, embeddings)
        sentence_vectors.save(vectors, build)
        manifest = Manifest(**{**asdict(wanted), "sentences": len(sentences),
                               "windows": len(units), "built_at": time.time(),
                               "build_seconds": round(time.perf_counter() - started, 3)})
        write_json_atomic(build / SENTENCES_FILE,
                           [[x.start, x.end, x.paragraph] for x in sentences])
        pause_point("build:written")
        write_json_atomic(build / MANIFEST_FILE, asdict(manifest))  # last: build complete
        pause_point("build:manifest")
        _swap_current(root, build, backend)
        log.info("index ready at %s (%.1f s)", build, manifest.build_seconds)
        return Index(article, sentences, units, vectorstore, manifest, build, vectors)


def ensure_index(settings: Settings, article: Article, embeddings: Embeddings,
                 force: bool = False) -> Index:
    """Open the current index, building it first when missing, stale or corrupt (if allowed)."""
    if not force:
        try:
            return open_index(settings, article, embeddings)
        except (IndexMissingError, IndexCorruptError) as exc:
            if not settings.auto_build:
                raise IndexMissingError(f"{exc}; {BUILD_HINT}") from None
            log.warning("building the index: %s", exc)
    return build_index(settings, article, embeddings, force=force)


def pause_point(name: str) -> None:
    """Test hook: with ATA_TEST_PAUSE_AT=`name`, say so on stderr and wait to be killed,
    so a test kills a build at a known point instead of after a random sleep."""
    if os.environ.get("ATA_TEST_PAUSE_AT") == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)


def window_metadata(w: Window) -> dict[str, str | int]:
    """What Chroma stores beside each window, and what BM25's documents carry too."""
    return {"window_id": w.id, "sentence_ids": ",".join(map(str, w.sentence_ids)),
            "start": w.start, "end": w.end, "paragraph": w.paragraph,
            "section": w.section or ""}


def _swap_current(root: Path, build: Path, backend: VectorBackend) -> None:
    """Point `current` at `build` with one atomic rename.

    The build it replaces is kept (a process still serving from it keeps working);
    older ones and any left by killed builds are removed.
    """
    link = root / "current"
    previous = os.readlink(link) if link.is_symlink() else None
    tmp = root / f"current.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(build.name)
    os.replace(tmp, link)
    dir_fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    for old in root.glob("build-*"):
        if old.name not in (build.name, previous):
            backend.drop(old)
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One builder per article at a time; a second waits, then builds over the first's result."""
    with open(root / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
