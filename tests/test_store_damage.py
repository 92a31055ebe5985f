"""Damage the index layer once let through: a Rust panic from Chroma (a BaseException),
a cut-short or pickled vectors file, and a Chroma server that accepts and never answers."""

from __future__ import annotations

import os
import socket
import threading

import numpy as np
import pytest

from index.store import build_index, ensure_index, open_index
from source import parse_article
from source.errors import IndexCorruptError, IndexMissingError
from source.markdown import read_markdown
from tests.damage_kit import MAIN, error_lines, fake_embedder, run_in_process, write_articles
from tests.fakes import BagOfWordsEmbeddings

ARTICLE = parse_article(MAIN.encode(), "bees", read_markdown)


@pytest.fixture
def settings(tmp_path):
    from assistant.settings import load_settings

    return load_settings(data_dir=tmp_path / "data")


@pytest.fixture
def built(settings):
    return build_index(settings, ARTICLE, BagOfWordsEmbeddings(), progress=False)


def garble(path, offset=4096, size=4096):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(np.random.default_rng(4).bytes(size))


def test_garbage_in_chroma_sqlite_is_damage_not_a_panic(settings, built, tmp_path):
    """4 KB of random bytes at offset 4096 made Chroma's Rust code panic: a
    pyo3 PanicException, which `except Exception` does not catch."""
    sqlite = built.path / "chroma" / "chroma.sqlite3"
    garble(sqlite)
    with pytest.raises(IndexCorruptError, match="chroma.sqlite3 is damaged"):
        open_index(settings, ARTICLE, BagOfWordsEmbeddings())
    strict = settings.model_copy(update={"auto_build": False})
    with pytest.raises(IndexMissingError, match="chroma.sqlite3 .*run: python -m index build"):
        ensure_index(strict, ARTICLE, BagOfWordsEmbeddings())
    rebuilt = ensure_index(settings, ARTICLE, BagOfWordsEmbeddings())
    assert rebuilt.path != built.path and rebuilt.vectorstore._collection.count() > 0


def test_a_rust_panic_while_opening_is_damage_but_ctrl_c_is_not(settings, built,
                                                                 monkeypatch):
    """Whatever Chroma's native code raises is sorted in one place (index.damage); a
    BaseException from it is damage, Ctrl-C and exit still stop the program."""
    from index import backends

    class PanicException(BaseException):  # what pyo3 raises for a Rust panic
        pass

    def panics(*args, **kwargs):
        raise PanicException("Expect it to be fetched")

    monkeypatch.setattr(backends.EmbeddedBackend, "open", panics)
    with pytest.raises(IndexCorruptError, match="Expect it to be fetched"):
        open_index(settings, ARTICLE, BagOfWordsEmbeddings())
    for stop in (KeyboardInterrupt, SystemExit):
        monkeypatch.setattr(backends.EmbeddedBackend, "open",
                            lambda *a, stop=stop, **k: (_ for _ in ()).throw(stop()))
        with pytest.raises(stop):
            open_index(settings, ARTICLE, BagOfWordsEmbeddings())


def test_a_cut_short_vectors_file_is_rebuilt(settings, built):
    vectors = built.path / "vectors.npz"
    os.truncate(vectors, vectors.stat().st_size // 2)  # was zipfile.BadZipFile, uncaught
    with pytest.raises(IndexCorruptError, match="vectors.npz is damaged"):
        open_index(settings, ARTICLE, BagOfWordsEmbeddings())
    again = ensure_index(settings, ARTICLE, BagOfWordsEmbeddings())
    assert again.path != built.path and len(again.vectors.plain) == len(again.sentences)


class _Planted:
    """Unpickling this writes a file: proof that loading ran code from the data folder."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_vectors_are_loaded_without_unpickling(settings, built, tmp_path):
    marker = tmp_path / "pickle-ran"
    vectors = built.path / "vectors.npz"
    with np.load(vectors) as good:
        arrays = {k: good[k] for k in ("plain", "context", "word_vectors")}
    words = np.empty(1, dtype=object)
    words[0] = _Planted(str(marker))
    np.savez(vectors, **{**arrays, "words": words})
    with pytest.raises(IndexCorruptError, match="vectors.npz is damaged"):
        open_index(settings, ARTICLE, BagOfWordsEmbeddings())
    assert not marker.exists()
    with np.load(ensure_index(settings, ARTICLE, BagOfWordsEmbeddings()).path / "vectors.npz",
                 allow_pickle=False) as saved:
        assert saved["words"].dtype.kind == "U"  # words saved as text, loadable without pickle


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    worker = threading.Thread(target=accept, daemon=True)
    worker.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    worker.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_chroma_server_that_never_answers_times_out(tmp_path, capsys, monkeypatch,
                                                      silent_server):
    fake_embedder(monkeypatch)
    monkeypatch.setenv("ATA_CHROMA_TIMEOUT", "1")
    main, _ = write_articles(tmp_path / "articles")
    code = run_in_process("assistant", ["ask", "--data-dir", str(tmp_path / "data"),
                                        "--article", str(main), "--chroma-url",
                                        silent_server, "How many eggs?"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    [line] = error_lines(err)
    assert f"cannot reach the Chroma server at {silent_server}: no answer within 1 s" in line


def test_status_opens_the_store_so_ready_means_it_serves(tmp_path, capsys, monkeypatch):
    """`index status` read only the manifest: it said ready (exit 0) over a store that
    `ask --no-build` then called damaged."""
    fake_embedder(monkeypatch)
    main, _ = write_articles(tmp_path / "articles")
    flags = ["--data-dir", str(tmp_path / "data"), "--article", str(main)]
    assert run_in_process("index", ["build", *flags]) == 0
    assert run_in_process("index", ["status", *flags]) == 0
    garble(tmp_path / "data" / "indexes" / "bees" / "current" / "chroma" / "chroma.sqlite3")
    capsys.readouterr()
    assert run_in_process("index", ["status", *flags]) == 1
    report = capsys.readouterr().out
    assert "damaged: bees" in report and "chroma.sqlite3 is damaged" in report
    assert "run: python -m index build" in report
