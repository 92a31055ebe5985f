"""Where the vectors live: Chroma embedded in each build folder, or a Chroma server.

Either way the build folder under `data_dir` holds the manifest, the saved sentences
and the `current` symlink, so building aside and swapping work the same; with a
server, each build's vectors are a collection named after its folder.
"""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from index.settings import IndexSettings as Settings
from source.article import Article
from source.errors import ConfigError, StoreUnavailableError

log = logging.getLogger(__name__)
_CHROMA = ChromaSettings(anonymized_telemetry=False, allow_reset=False)



class VectorBackend(Protocol):
    name: str

    def open(self, build: Path, article: Article, embeddings: Embeddings,
             metadata: dict | None = None) -> Chroma:
        """The build's collection; created (with `metadata`) only when `metadata` is given."""
        ...

    def drop(self, build: Path) -> None:
        """Forget a build's vectors (its folder is removed by the caller)."""
        ...


def _chroma(client: chromadb.ClientAPI, name: str, embeddings: Embeddings,
            metadata: dict | None) -> Chroma:
    return Chroma(collection_name=name, embedding_function=embeddings, client=client,
                  collection_metadata=metadata,
                  collection_configuration={"hnsw": {"space": "cosine"}},
                  create_collection_if_not_exists=metadata is not None)


class EmbeddedBackend:
    """Chroma's files inside each build folder: nothing to run, nothing shared."""

    name = "embedded"

    def open(self, build: Path, article: Article, embeddings: Embeddings,
             metadata: dict | None = None) -> Chroma:
        client = chromadb.PersistentClient(path=str(build / "chroma"), settings=_CHROMA)
        return _chroma(client, f"article-{article.article_id}"[:60], embeddings, metadata)

    def drop(self, build: Path) -> None:
        pass  # the files go with the folder


class ServerBackend:
    """A Chroma server (`chroma run`), one collection per build."""

    def __init__(self, url: str) -> None:
        parts = urlparse(url)
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            parts = parts._replace(scheme="")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"--chroma-url {url!r} is not an http(s)://HOST:PORT URL")
        self.url = url
        self.name = f"server {url}"

    @property
    def client(self) -> chromadb.ClientAPI:
        return _http_client(self.url)

    def open(self, build: Path, article: Article, embeddings: Embeddings,
             metadata: dict | None = None) -> Chroma:
        try:
            self.client.heartbeat()  # the client connects when made, too
        except Exception as exc:  # httpx and chromadb raise many kinds when it is down
            raise StoreUnavailableError(f"cannot reach the Chroma server at {self.url}: "
                                        f"{' '.join(str(exc).split())[:160]}") from None
        return _chroma(self.client, collection_name(build), embeddings, metadata)

    def drop(self, build: Path) -> None:
        try:
            self.client.delete_collection(collection_name(build))
        except Exception as exc:  # already gone, or the server is down: nothing to free now
            log.info("could not drop collection %s: %s", collection_name(build), exc)


def collection_name(build: Path) -> str:
    """`<article_id>-build-<stamp>-<uuid>`: unique per build, valid for Chroma."""
    return f"ata-{build.parent.name[:40]}-{build.name}"


@cache
def _http_client(url: str) -> chromadb.ClientAPI:
    parts = urlparse(url)
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    return chromadb.HttpClient(host=parts.hostname, port=port, ssl=parts.scheme == "https",
                               settings=_CHROMA)


def make_backend(settings: Settings) -> VectorBackend:
    return ServerBackend(settings.chroma_url) if settings.chroma_url else EmbeddedBackend()
