"""More articles beside the main one: `python -m index add PATH` copies each into the data
folder (so later edits to the original cannot shift citation offsets) and lists it in
`library.json`; the assistant retrieves across all of them."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from index.settings import IndexSettings as Settings
from source.article import Article
from source.errors import LibraryError
from source.load import load_article


@dataclass(frozen=True, slots=True)
class Entry:
    article_id: str
    file: str  # inside library_dir
    sha256: str
    source: str  # where it was added from, for people
    added_at: float


def library_dir(settings: Settings) -> Path:
    return settings.data_dir / "library"


def entries(settings: Settings) -> list[Entry]:
    path = library_dir(settings) / "library.json"
    try:
        return [Entry(**e) for e in json.loads(path.read_text("utf-8"))]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError) as exc:
        raise LibraryError(f"{path} is damaged ({exc}); fix or delete it and add the "
                           "articles again") from None


def paths(settings: Settings) -> list[Path]:
    """The added articles' files, in the order they were added."""
    return [library_dir(settings) / e.file for e in entries(settings)]


def add(settings: Settings, source: Path, replace: bool = False) -> Article:
    """Validate, copy in and list an article; its index is built by the caller."""
    article = load_article(source)  # a bad file fails here, before anything is written
    main = load_article(settings.article)
    if article.article_id == main.article_id:
        raise LibraryError(f"{source}: its id {article.article_id!r} is the main article's; "
                           "rename the file")
    with _locked(settings) as folder:
        have = {e.article_id: e for e in entries(settings)}
        old = have.get(article.article_id)
        if old and old.sha256 != article.content_hash and not replace:
            raise LibraryError(f"an article {article.article_id!r} is already added (from "
                               f"{old.source}); use --replace to replace it")
        file = f"{article.article_id}{source.suffix.lower()}"
        tmp = folder / f".{file}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, folder / file)
        have[article.article_id] = Entry(article.article_id, file, article.content_hash,
                                         str(source), time.time())
        _write(folder, list(have.values()))
    return load_article(folder / file)


def remove(settings: Settings, article_id: str) -> None:
    with _locked(settings) as folder:
        have = {e.article_id: e for e in entries(settings)}
        if article_id not in have:
            known = ", ".join(have) or "none"
            raise LibraryError(f"no added article {article_id!r} (added: {known})")
        gone = have.pop(article_id)
        _write(folder, list(have.values()))
        (folder / gone.file).unlink(missing_ok=True)
    shutil.rmtree(settings.data_dir / "indexes" / article_id, ignore_errors=True)


def _write(folder: Path, items: list[Entry]) -> None:
    tmp = folder / "library.json.tmp"
    tmp.write_text(json.dumps([asdict(e) for e in items], indent=2), "utf-8")
    os.replace(tmp, folder / "library.json")


@contextmanager
def _locked(settings: Settings) -> Iterator[Path]:
    folder = library_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
