"""The one place that decides what a failure while reading or writing an index means.

Reading the files of a build (manifest, saved sentences, vectors, Chroma's SQLite) can
fail in many ways: Python errors, NumPy and zipfile errors, SQLite errors, and panics
from Chroma's Rust code, which arrive as `pyo3_runtime.PanicException`, a
`BaseException` that `except Exception` lets through. `reading()` sorts them:

    permissions, a full or failing disk       IndexUnreadableError  (a rebuild would not help)
    a data folder we cannot write             IndexUnreadableError  (nor could a rebuild)
    the Chroma server timing out or refusing  StoreUnavailableError
    anything else, native panics included     IndexCorruptError     (rebuilt when allowed)

Ctrl-C and `sys.exit` always pass through.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from source.errors import (
    IndexCorruptError,
    IndexUnreadableError,
    StoreError,
    StoreUnavailableError,
)
from source.files import existing_part

# errnos that say "not this user" or "not this disk": rebuilding would fail the same way
ENVIRONMENT = {errno.EACCES, errno.EPERM, errno.EROFS, errno.EIO, errno.ENOSPC,
               errno.EDQUOT}
WRITABLE_HINT = "make it writable or pass another folder with --data-dir or ATA_DATA_DIR"


def _cause(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) if isinstance(exc, OSError) else None
    text = text or " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def writable(folder: Path) -> bool:
    """Whether files can be made in `folder` (or, if it does not exist yet, its parent)."""
    return os.access(existing_part(folder), os.W_OK | os.X_OK)


@contextmanager
def reading(what: str | Path, root: Path) -> Iterator[None]:
    """Sort any failure inside the block into the `StoreError` that says what to do.

    `what` is the file (or folder) being read, named in the message; `root` is where a
    rebuild would be written (the article's folder under `indexes/`)."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit, StoreError):
        raise
    except BaseException as exc:  # noqa: BLE001 - native panics are BaseExceptions
        if type(exc).__module__.split(".")[0] in ("httpx", "httpcore"):
            raise StoreUnavailableError(f"the Chroma server failed: {_cause(exc)}") from None
        if isinstance(exc, OSError) and exc.errno in ENVIRONMENT:
            raise IndexUnreadableError(
                f"cannot read {what}: {_cause(exc)}; fix its permissions (or free disk "
                "space), or run: python -m index build --force") from None
        if not writable(root):
            raise IndexUnreadableError(
                f"cannot open {what} ({_cause(exc)}) and {root} is read-only; "
                f"{WRITABLE_HINT}") from None
        raise IndexCorruptError(f"{what} is damaged ({_cause(exc)})") from None


@contextmanager
def writing(root: Path) -> Iterator[None]:
    """A failure to write an index or the library (permissions, a full disk, a path through
    a file, Chroma's own write errors) is one line naming the folder."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit, GeneratorExit, StoreError):
        raise
    except BaseException as exc:  # noqa: BLE001 - see reading()
        origin = type(exc).__module__.split(".")[0]
        if origin in ("httpx", "httpcore"):
            raise StoreUnavailableError(f"the Chroma server failed: {_cause(exc)}") from None
        if isinstance(exc, OSError):
            if exc.errno in (errno.ENOTDIR, errno.EEXIST) and not root.is_dir():
                raise IndexUnreadableError(
                    f"cannot write in {root}: a part of that path is a file, not a folder; "
                    "pass another folder with --data-dir or ATA_DATA_DIR") from None
        elif origin not in ("chromadb", "pyo3_runtime", "sqlite3"):
            raise  # not the disk's doing: a bug to see, not to word as a write failure
        raise IndexUnreadableError(f"cannot write in {root}: {_cause(exc)}; "
                                   f"{WRITABLE_HINT}") from None
