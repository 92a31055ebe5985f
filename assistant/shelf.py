"""The articles answers may cite, opened as they are needed. The library's list gives
every added article's id and title from the start; an article's index is opened, and
what the stages precompute for it (`Document.of`) made, once, the first time a question
goes to it. So the CLI, the chat API and the web app start as fast with a thousand added
articles as with none, and a question costs what its few articles cost.

`load_shelf` is the loading: the main article's index (built if allowed), the list, and
the library search; an added article that cannot serve is left out with a warning
naming the fix, and never stops the main article from answering.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.answering.pipeline import Document
from assistant.terms import STOP, tokenize
from source.article import Article

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Shelved:
    """An article the shelf knows by name; `path` is None for one given already open."""

    article_id: str
    title: str
    path: Path | None = None


class Search(Protocol):
    """The library's first-stage search (`index.search.LibrarySearch`)."""

    def nearest(self, vector: Any, among: Any, limit: int) -> list[tuple[str, float]]: ...


Opener = Callable[[Shelved], Document]


class Shelf:
    """Every article answers may cite, by id, the main one first: known by title from the
    start, opened on first use and then kept. Thread-safe."""

    def __init__(self, opened: Sequence[Document], listed: Sequence[Shelved] = (),
                 opener: Opener | None = None, search: Search | None = None) -> None:
        self._opened = {d.article_id: d for d in opened}
        self._listed = {s.article_id: s for s in listed if s.article_id not in self._opened}
        self.titles: dict[str, str] = {d.article_id: d.index.article.title for d in opened}
        self.titles.update((s.article_id, s.title) for s in self._listed.values())
        self.main_id = next(iter(self.titles))
        self._opener, self.search = opener, search
        self._failed: set[str] = set()
        self._lock = threading.Lock()
        self._words: dict[str, frozenset[str]] | None = None

    def __len__(self) -> int:
        return len(self.titles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self.titles

    @property
    def main(self) -> Document:
        document = self.document(self.main_id)
        assert document is not None  # opened by load_shelf
        return document

    def is_open(self, article_id: str) -> bool:
        return article_id in self._opened

    def document(self, article_id: str) -> Document | None:
        """The article's opened document, opening it on first use; None when it cannot
        serve (said once in the log)."""
        if (document := self._opened.get(article_id)) is not None:
            return document
        with self._lock:
            if article_id in self._opened or article_id in self._failed:
                return self._opened.get(article_id)
            shelved = self._listed.get(article_id)
            if shelved is None or self._opener is None:
                return None
            from source.errors import AppError

            try:
                self._opened[article_id] = self._opener(shelved)
            except AppError as exc:
                log.warning("%s; answering without %s until: python -m index build", exc,
                            article_id)
                self._failed.add(article_id)
            return self._opened.get(article_id)

    def title_words(self) -> dict[str, frozenset[str]]:
        """Each article's title as content stems (for questions that name one)."""
        if self._words is None:
            self._words = {i: frozenset(tokenize(t)) - STOP for i, t in self.titles.items()}
        return self._words

    def nearest(self, vector: np.ndarray, exclude: str, limit: int
                ) -> list[tuple[str, float]]:
        """Up to `limit` articles other than `exclude` with the similarity of their
        nearest sentence, nearest first, by the library search; without one (indexes
        given open, as tests and the eval do) the others in library order, each taken
        as near as can be (every one is considered, as before the search)."""
        among = [i for i in self.titles if i != exclude and i not in self._failed]
        if self.search is None or limit <= 0:
            return [(i, float("inf")) for i in among[: max(limit, 0)]]
        try:
            return self.search.nearest(vector, set(among), limit)
        except Exception as exc:  # noqa: BLE001 - the server is down: titles still route
            log.warning("the library search failed (%s); routing by titles alone", exc)
            return []

    def similarity(self, article_id: str, vector: np.ndarray) -> float:
        """Cosine similarity of an opened article's nearest sentence to `vector`, on the
        same vectors the library search holds."""
        document = self.document(article_id)
        if document is None or not len(document.index.vectors.context):
            return -1.0
        return float(np.max(document.index.vectors.context @ vector))

    def require(self, article_id: str) -> Document:
        """The article's opened document, or one error line naming the fix (an added
        article whose index is gone or damaged, asked for by name)."""
        document = self.document(article_id)
        if document is None:
            from source.errors import IndexMissingError

            raise IndexMissingError(f"the article {article_id!r} cannot be opened; run: "
                                    "python -m index build")
        return document

    def only(self, article_id: str) -> Shelf:
        """This one article alone, sharing its opened document."""
        return Shelf([self.require(article_id)])

    def articles(self) -> Mapping[str, Article]:
        return _Articles(self)


class _Articles(Mapping[str, Article]):
    """The shelf's articles by id; an article is opened only when it is looked up."""

    def __init__(self, shelf: Shelf) -> None:
        self._shelf = shelf

    def __getitem__(self, article_id: str) -> Article:
        document = self._shelf.document(article_id)
        if document is None:
            raise KeyError(article_id)
        return document.index.article

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._shelf

    def __iter__(self) -> Iterator[str]:
        return iter(self._shelf.titles)

    def __len__(self) -> int:
        return len(self._shelf)


def load_shelf(settings: Any, opener: Callable[[Any, Article, Any], Any] | None = None
               ) -> tuple[Shelf, Any]:
    """The main article's index (or its error), the library's list and search; returns
    the shelf and the embedding model. `opener(settings, article, embeddings)` opens an
    added article's index (default `index.store.ensure_index`; a test counts the calls)."""
    from index import library
    from index.embed import embeddings_for
    from index.search import LibrarySearch
    from index.store import BUILD_HINT, ensure_index, require_current
    from source.errors import ArticleError, IndexCorruptError, IndexMissingError, LibraryError
    from source.load import load_article

    opener = opener or ensure_index
    try:
        listed = library.entries(settings)
        unlisted = library.unlisted(settings, listed)
    except LibraryError as exc:
        log.warning("%s; answering from the main article only", exc)
        listed, unlisted = [], []
    for path in unlisted:
        log.warning("%s is not listed in %s; answering without it; %s", path,
                    library.LIST_FILE, library.RELIST_HINT)
    main = load_article(settings.article)
    if not settings.auto_build:  # fail before loading any model
        try:
            require_current(settings, main)
        except (IndexMissingError, IndexCorruptError) as exc:
            raise IndexMissingError(f"{exc}; {BUILD_HINT}") from None
    embeddings = embeddings_for(settings)
    first = Document.of(ensure_index(settings, main, embeddings))
    folder = library.library_dir(settings)
    shelved = []
    for entry in listed:
        title = entry.title
        if not title:  # a list made before titles were kept: read once, at start
            try:
                title = load_article(folder / entry.file).title
            except ArticleError as exc:
                log.warning("%s; answering without %s until: python -m index build", exc,
                            entry.article_id)
                continue
        shelved.append(Shelved(entry.article_id, title, folder / entry.file))

    def open_added(item: Shelved) -> Document:
        assert item.path is not None
        article = load_article(item.path)
        if not settings.auto_build:
            require_current(settings, article)
        return Document.of(opener(settings, article, embeddings))

    search = None
    if shelved:
        search = LibrarySearch(settings)
        _searchable(search, first)
    return Shelf([first], shelved, open_added, search), embeddings


def _searchable(search: Any, document: Document) -> None:
    """The main article's rows in the library search (written by `index build` or here
    the first time): a question asked with another article in view can go to it. A
    store that cannot be written (a read-only data folder) only loses that."""
    try:
        search.include(document.index)
    except Exception as exc:  # noqa: BLE001 - the main article answers regardless
        log.warning("the main article is not in the library search: %s", exc)
