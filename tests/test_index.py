"""Index lifecycle: build, reopen without work, rebuild on change, survive bad folders.

These use langchain's DeterministicFakeEmbedding (an honest fake: hash-seeded
vectors) because they test the store's bookkeeping, not retrieval quality.
"""

import json
import shutil
import subprocess
import sys

import pytest
from chromadb.api.client import SharedSystemClient
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.settings import load_settings
from index.store import (
    IndexCorruptError,
    IndexMissingError,
    article_dir,
    build_index,
    current_manifest,
    ensure_index,
    open_index,
)
from source import parse_article


@pytest.fixture
def fake_embeddings():
    return DeterministicFakeEmbedding(size=16)


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path / "data")


def test_build_then_reopen_without_rebuilding(settings, article, fake_embeddings):
    built = ensure_index(settings, article, fake_embeddings)
    assert built.manifest.windows == len(built.windows) > 50
    assert built.vectorstore._collection.count() == built.manifest.windows
    meta = built.vectorstore._collection.metadata
    assert meta["article_sha256"] == article.content_hash
    assert meta["embedding_model"] == settings.embedding_model
    assert meta["segmenter_version"] == built.manifest.segmenter_version
    again = ensure_index(settings, article, fake_embeddings)
    assert again.path == built.path and again.manifest.built_at == built.manifest.built_at


def test_rebuilds_when_article_changes(settings, article, fake_embeddings):
    first = ensure_index(settings, article, fake_embeddings)
    edited = parse_article((article.text + "\n\nA new closing paragraph.").encode(),
                           article.article_id)
    with pytest.raises(IndexMissingError, match="stale.*article_sha256"):
        open_index(settings, edited, fake_embeddings)
    second = ensure_index(settings, edited, fake_embeddings)
    assert second.path != first.path
    assert second.manifest.article_sha256 == edited.content_hash


def test_rebuilds_when_settings_change(settings, article, fake_embeddings):
    first = ensure_index(settings, article, fake_embeddings)
    wider = settings.model_copy(update={"window_size": 3})
    second = ensure_index(wider, article, fake_embeddings)
    assert second.path != first.path and second.manifest.window_size == 3


def test_no_build_when_not_allowed(tmp_path, article, fake_embeddings):
    settings = load_settings(data_dir=tmp_path, auto_build=False)
    with pytest.raises(IndexMissingError, match="python -m index build"):
        ensure_index(settings, article, fake_embeddings)


def test_corrupt_manifest_is_rebuilt(settings, article, fake_embeddings):
    first = ensure_index(settings, article, fake_embeddings)
    (first.path / "manifest.json").write_text("{not json")
    second = ensure_index(settings, article, fake_embeddings)
    assert second.path != first.path
    assert json.loads((second.path / "manifest.json").read_text())["windows"] > 0


@pytest.mark.slow
def test_foreign_chroma_store_is_detected_and_rebuilt(settings, article, fake_embeddings):
    first = ensure_index(settings, article, fake_embeddings)
    # Same manifest, but another program replaced the Chroma store with its own.
    shutil.rmtree(first.path / "chroma")
    subprocess.run([sys.executable, "-c", "import chromadb, sys; chromadb.PersistentClient("
                    "path=sys.argv[1]).create_collection('something-else')",
                    str(first.path / "chroma")], check=True)
    SharedSystemClient.clear_system_cache()  # this process had the old files open
    with pytest.raises(IndexCorruptError, match="chroma.sqlite3 is damaged"):
        open_index(settings, article, fake_embeddings)
    second = ensure_index(settings, article, fake_embeddings)
    assert second.path != first.path and second.vectorstore._collection.count() > 0


def test_leftover_half_build_is_ignored_and_cleaned(settings, article, fake_embeddings):
    root = article_dir(settings, article)
    half = root / "build-19990101T000000-1"
    (half / "chroma").mkdir(parents=True)
    assert current_manifest(settings, article) is None
    index = build_index(settings, article, fake_embeddings)
    assert not half.exists() and (root / "current").resolve() == index.path


def test_previous_build_kept_while_new_one_serves(settings, article, fake_embeddings):
    first = build_index(settings, article, fake_embeddings)
    second = build_index(settings, article, fake_embeddings)
    third = build_index(settings, article, fake_embeddings)
    assert second.path.exists() and third.path.exists() and not first.path.exists()


def test_an_os_error_opening_the_store_is_reported_not_rebuilt(settings, article,
                                                                fake_embeddings, monkeypatch):
    """Any exception while opening once became a silent full rebuild; a permission or disk
    error is now one error with its cause, and the index in service is left alone."""
    from index import store
    from source.errors import IndexUnreadableError

    built = build_index(settings, article, fake_embeddings, progress=False)

    class Unreadable:
        def describe(self, build):
            return str(build / "chroma")

        def check(self, build):
            pass

        def open(self, *args, **kwargs):
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(store, "make_backend", lambda _settings: Unreadable())
    with pytest.raises(IndexUnreadableError, match="Permission denied"):
        ensure_index(settings, article, fake_embeddings)
    builds = sorted(p.name for p in article_dir(settings, article).glob("build-*"))
    assert builds == [built.path.name]  # nothing was rebuilt


@pytest.mark.parametrize("order", ["before", "after"])
def test_index_flags_go_before_or_after_the_command(tmp_path, capsys, order):
    """`index --data-dir D status` and `index status --data-dir D` mean the same; a flag
    left out after the command does not undo one given before it."""
    from index.cli import main

    flags = ["--data-dir", str(tmp_path / "d")]
    argv = [*flags, "status", "--json"] if order == "before" else ["status", "--json", *flags]
    assert main(argv) == 1  # nothing built there yet
    assert json.loads(capsys.readouterr().out)["data_dir"] == str(tmp_path / "d")
