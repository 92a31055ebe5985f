"""Where the vectors live: Chroma embedded in each build folder, or a Chroma server.

Either way the build folder under `data_dir` holds the manifest, the saved sentences
and the `current` symlink, so building aside and swapping work the same; with a
server, each build's vectors are a collection named after its folder.
"""

from __future__ import annotations

import errno
import logging
import sqlite3
import threading
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from index.settings import IndexSettings as Settings
from source.article import Article
from source.errors import ConfigError, StoreUnavailableError

log = logging.getLogger(__name__)


def _chroma_settings() -> ChromaSettings:
    """A fresh object per client: Chroma's client factories write into the one they get
    (an HTTP client once turned the shared one into server settings for every later
    embedded store in the process)."""
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


SQLITE_FILE = "chroma.sqlite3"


class VectorBackend(Protocol):
    name: str

    def open(self, build: Path, article: Article, embeddings: Embeddings | None,
             metadata: dict[str, str | int] | None = None) -> Chroma:
        """The build's collection; created (with `metadata`) only when `metadata` is given."""
        ...

    def drop(self, build: Path) -> None:
        """Forget a build's vectors (its folder is removed by the caller)."""
        ...

    def describe(self, build: Path) -> str:
        """Where a build's vectors are, for messages."""
        ...

    def check(self, build: Path) -> None:
        """Raise if the build's vectors are visibly damaged, before Chroma reads them."""
        ...


def _chroma(client: ClientAPI, name: str, embeddings: Embeddings | None,
            metadata: dict[str, str | int] | None) -> Chroma:
    return Chroma(collection_name=name, embedding_function=embeddings, client=client,
                  collection_metadata=metadata,
                  collection_configuration={"hnsw": {"space": "cosine"}},
                  create_collection_if_not_exists=metadata is not None)


class EmbeddedBackend:
    """Chroma's files inside each build folder: nothing to run, nothing shared."""

    name = "embedded"

    def open(self, build: Path, article: Article, embeddings: Embeddings | None,
             metadata: dict[str, str | int] | None = None) -> Chroma:
        client = chromadb.PersistentClient(path=str(build / "chroma"), settings=_chroma_settings())
        return _chroma(client, f"article-{article.article_id}"[:60], embeddings, metadata)

    def drop(self, build: Path) -> None:
        pass  # the files go with the folder

    def describe(self, build: Path) -> str:
        return str(build / "chroma" / SQLITE_FILE)

    def check(self, build: Path) -> None:
        """SQLite's own page check, read-only: Chroma's Rust code panics on a damaged page
        (and prints a Rust backtrace) where SQLite reports it as an error."""
        path = build / "chroma" / SQLITE_FILE
        if not path.is_file():
            raise FileNotFoundError(errno.ENOENT, "no such file", str(path))
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            result = db.execute("PRAGMA quick_check").fetchall()
        if result != [("ok",)]:
            raise ValueError(f"SQLite quick_check: {result[0][0]}")


class ServerBackend:
    """A Chroma server (`chroma run`), one collection per build."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        parts = urlparse(url)
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            parts = parts._replace(scheme="")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--chroma-url {url!r} is not an http(s)://HOST:PORT URL")
        self.url = url
        self.timeout = timeout
        self.name = f"server {url}"

    @property
    def client(self) -> ClientAPI:
        return _http_client(self.url, self.timeout)

    def connected(self) -> ClientAPI:
        """The client, once the server has answered; else one line saying why not."""
        try:
            client = self.client  # the client connects when made, too
            client.heartbeat()
        except Exception as exc:  # httpx and chromadb raise many kinds when it is down
            cause = ' '.join(str(exc).split())[:160] or type(exc).__name__
            if isinstance(exc, httpx.TimeoutException):
                cause = f"no answer within {self.timeout:g} s (ATA_CHROMA_TIMEOUT)"
            raise StoreUnavailableError(f"cannot reach the Chroma server at {self.url}: "
                                        f"{cause}") from None
        return client

    def open(self, build: Path, article: Article, embeddings: Embeddings | None,
             metadata: dict[str, str | int] | None = None) -> Chroma:
        return _chroma(self.connected(), collection_name(build), embeddings, metadata)

    def drop(self, build: Path) -> None:
        try:
            self.client.delete_collection(collection_name(build))
        except Exception as exc:  # already gone, or the server is down: nothing to free now
            log.info("could not drop collection %s: %s", collection_name(build), exc)

    def describe(self, build: Path) -> str:
        return f"collection {collection_name(build)} on the Chroma server {self.url}"

    def check(self, build: Path) -> None:
        pass  # the server keeps its own files


def collection_name(build: Path) -> str:
    """`<article_id>-build-<stamp>-<uuid>`: unique per build, valid for Chroma."""
    return f"ata-{build.parent.name[:40]}-{build.name}"


@cache
def _http_client(url: str, timeout: float) -> ClientAPI:
    """A client whose every request times out. Chroma makes its httpx client with
    `timeout=None` and talks to the server while it is made, so a server that accepts and
    never answers hung us for ever: the client is made in a thread we stop waiting for,
    then its httpx client gets the timeout for every later request."""
    parts = urlparse(url)
    if not parts.hostname:  # ServerBackend checked it; this keeps the client honest alone
        raise ConfigError(f"--chroma-url {url!r} is not an http(s)://HOST:PORT URL")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    made: list[ClientAPI | BaseException] = []

    def connect() -> None:
        try:
            made.append(chromadb.HttpClient(host=host, port=port,
                                            ssl=parts.scheme == "https",
                                            settings=_chroma_settings()))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            made.append(exc)

    worker = threading.Thread(target=connect, name="chroma-connect", daemon=True)
    worker.start()
    worker.join(timeout)
    if not made:
        raise httpx.ReadTimeout(f"no answer within {timeout:g} s")
    if isinstance(made[0], BaseException):
        raise made[0]
    # Chroma's private httpx session: ClientAPI (the type) does not declare it
    made[0]._server._session.timeout = httpx.Timeout(timeout)  # type: ignore[attr-defined]
    return made[0]


def make_backend(settings: Settings) -> VectorBackend:
    if settings.chroma_url:
        return ServerBackend(settings.chroma_url, settings.chroma_timeout)
    return EmbeddedBackend()
