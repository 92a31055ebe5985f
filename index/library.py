"""More articles beside the main one: `python -m index add PATH` copies each into the data
folder (so later edits to the original cannot shift citation offsets) and lists it in
`library.json`; the assistant retrieves across all of them.

Listing is the commit: an article is written to `library.json` only after its copy and
its index are complete, so a killed `add` leaves at most files nobody lists (a `.tmp`
copy, a half build), never a listed article without an index. A copy never gets wider
permissions than its original, and its index folder is as private as the copy.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from langchain_core.embeddings import Embeddings

from index.damage import writing
from index.search import LibrarySearch
from index.settings import IndexSettings as Settings
from index.store import Index, article_dir, build_index, pause_point
from source.errors import ArticleError, LibraryError
from source.files import read_regular, write_json_atomic
from source.load import READERS, load_article, read_article
from source.text import some_of

log = logging.getLogger(__name__)
LIST_FILE = "library.json"
MAX_LIST_BYTES = 16 << 20
RELIST_HINT = "run: python -m index build to list the added articles again"


@dataclass(frozen=True, slots=True)
class Entry:
    article_id: str
    file: str  # inside library_dir
    sha256: str
    source: str  # where it was added from, for people
    added_at: float
    title: str = ""  # so listing and picking read no article ("" in lists made before)


def library_dir(settings: Settings) -> Path:
    return settings.data_dir / "library"


def entries(settings: Settings) -> list[Entry]:
    path = library_dir(settings) / LIST_FILE
    if not os.path.lexists(path):
        return []
    try:
        items = [Entry(**e) for e in json.loads(read_regular(path, MAX_LIST_BYTES))]
    except (OSError, ValueError, TypeError) as exc:
        raise LibraryError(f"{path} is damaged ({getattr(exc, 'strerror', None) or exc}); "
                           f"{RELIST_HINT}") from None
    if any(Path(e.file).name != e.file or e.file.startswith(".") for e in items):
        raise LibraryError(f"{path} is damaged (a file outside the library); {RELIST_HINT}")
    return items


def paths(settings: Settings) -> list[Path]:
    """The added articles' files, in the order they were added."""
    return [library_dir(settings) / e.file for e in entries(settings)]


def unlisted(settings: Settings, listed: list[Entry]) -> list[Path]:
    """Article copies in the library that `library.json` does not list: left by a
    deleted or damaged list (or an `add` killed between its last two steps)."""
    names = {e.file for e in listed}
    folder = library_dir(settings)
    try:
        found = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    return [p for p in found if p.name not in names and not p.name.startswith(".")
            and p.suffix.lower() in READERS and p.is_file()]


def files_in(sources: Sequence[Path]) -> list[Path]:
    """The article files named, a folder standing for the article files in it (and in its
    subfolders, hidden ones left out), each once, in name order within a folder."""
    found: list[Path] = []
    for source in sources:
        if source.is_dir():
            found += sorted(p for p in source.rglob("*") if p.suffix.lower() in READERS
                            and p.is_file() and not any(part.startswith(".") for part
                                                        in p.relative_to(source).parts))
        else:
            found.append(source)
    return list(dict.fromkeys(found))


def add(settings: Settings, source: Path, embeddings: Callable[[], Embeddings],
        replace: bool = False, *, main_id: str | None = None,
        search: LibrarySearch | None = None, progress: bool = True) -> Index | Entry:
    """Validate, copy in, index, put in the library search, and only then list an
    article. The same text already listed under its id is left as it is: its `Entry` is
    returned instead of an index (so a rerun after an interrupted `add` goes on where
    it stopped)."""
    article, data = read_article(source)  # a bad file fails here, before anything is written
    original = os.stat(source)
    main_id = main_id or load_article(settings.article).article_id
    if article.article_id == main_id:
        raise LibraryError(f"{source}: its id {article.article_id!r} is the main article's; "
                           "rename the file")
    with _locked(settings) as folder:
        have = {e.article_id: e for e in entries(settings)}
        old = have.get(article.article_id)
        if old and old.sha256 == article.content_hash and (folder / old.file).is_file():
            return old  # unchanged: listed, so its index and search rows are complete
        if old and old.sha256 != article.content_hash and not replace:
            raise LibraryError(f"an article {article.article_id!r} is already added (from "
                               f"{old.source}); use --replace to replace it")
        mode = _copy_mode(original)
        file = f"{article.article_id}{source.suffix.lower()}"
        tmp = folder / f".{file}.tmp"
        with writing(folder):
            _write_private(tmp, data, mode)
            root = article_dir(settings, article)
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, _folder_mode(mode))
        index = build_index(settings, article, embeddings(), force=False, progress=progress)
        pause_point("add:indexed")
        (search or LibrarySearch(settings)).put(article.article_id, article.content_hash,
                                                index.vectors.context)
        pause_point("add:searchable")
        with writing(folder):
            os.replace(tmp, folder / file)
            have[article.article_id] = Entry(article.article_id, file, article.content_hash,
                                             str(source), time.time(), article.title)
            _write(folder, list(have.values()))  # last: the article is added
            if old and old.file != file:
                (folder / old.file).unlink(missing_ok=True)
    return index


def relist(settings: Settings) -> list[Entry]:
    """Repair the list: a damaged `library.json` is kept aside (never deleted) and every
    copy in the library that no entry lists is listed again. Returns what was relisted."""
    folder = library_dir(settings)
    if not folder.is_dir():
        return []
    with _locked(settings) as folder:
        try:
            have = entries(settings)
        except LibraryError as exc:
            aside = folder / f"{LIST_FILE}.damaged-{time.strftime('%Y%m%dT%H%M%S')}"
            with writing(folder):
                os.replace(folder / LIST_FILE, aside)
            log.warning("%s; kept it as %s", str(exc).split(";")[0], aside.name)
            have = []
        ids = {e.article_id for e in have}
        found = []
        for path in unlisted(settings, have):
            try:
                article = load_article(path)
            except ArticleError as exc:
                log.warning("not relisting %s: %s", path, exc)
                continue
            if article.article_id in ids:
                continue  # an older copy of an article that is listed
            ids.add(article.article_id)
            found.append(Entry(article.article_id, path.name, article.content_hash,
                               "(relisted by python -m index build)", path.stat().st_mtime,
                               article.title))
        if found:
            with writing(folder):
                _write(folder, have + found)
        return found


def remove(settings: Settings, article_id: str) -> None:
    with _locked(settings) as folder:
        have = {e.article_id: e for e in entries(settings)}
        if article_id not in have:
            raise LibraryError(f"no added article {article_id!r} (added: "
                               f"{some_of(list(have))})")
        gone = have.pop(article_id)
        with writing(folder):
            _write(folder, list(have.values()))
            (folder / gone.file).unlink(missing_ok=True)
    try:  # unlisted, it is never a search's answer; its rows only take room
        LibrarySearch(settings).drop(article_id)
    except Exception as exc:  # noqa: BLE001 - the server is down: dropped by the next add
        log.warning("could not drop %s from the library search: %s", article_id, exc)
    shutil.rmtree(settings.data_dir / "indexes" / article_id, ignore_errors=True)


def _copy_mode(original: os.stat_result) -> int:
    """The original's permissions, never wider: no execute bits, the umask applied, and
    no group access when the copy's group would not be the original's."""
    umask = os.umask(0)
    os.umask(umask)
    mode = stat.S_IMODE(original.st_mode) & 0o666 & ~umask
    if original.st_gid != os.getegid():
        mode &= ~0o070
    return mode | 0o600  # the owner (us) must read it back


def _folder_mode(file_mode: int) -> int:
    """A folder as private as a file of `file_mode`: who may read the file may list it."""
    return (0o700 | (0o050 if file_mode & 0o040 else 0)
            | (0o005 if file_mode & 0o004 else 0))


def _write_private(path: Path, data: bytes, mode: int) -> None:
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
        os.fchmod(fh.fileno(), mode)


def _write(folder: Path, items: list[Entry]) -> None:
    write_json_atomic(folder / LIST_FILE, [asdict(e) for e in items])


@contextmanager
def _locked(settings: Settings) -> Iterator[Path]:
    folder = library_dir(settings)
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / ".lock", "w")  # noqa: SIM115 - held for the block
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
