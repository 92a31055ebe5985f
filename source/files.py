"""The one reader for files: regular files only, never more than a limit. Files a user
names (articles, --history, --batch, eval reports) go through `read_user_file` or
`open_regular`, which fail with one `AppError` line; the app's own data files go through
`read_regular`, whose `OSError`s the index sorts into damage or permissions.

A size check on `st_size` is no guard by itself: a device (`/dev/zero`) or a FIFO reports
0 bytes and then never ends, or never starts. So a file is opened without blocking (a
FIFO with no writer would hang the open), checked to be a regular file *after* symlinks
are resolved (on the opened descriptor, so nothing can be swapped in between), and read
with a hard cap whatever its size claims.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

from source.errors import AppError, InputError, TooLargeError

CHUNK = 1 << 20


class NotRegularFileError(OSError):
    """A directory, device, FIFO or socket where a regular file was expected."""


class FileTooLargeError(OSError):
    """More bytes than the reader's limit."""


def existing_part(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists: where making it would start."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def open_data_file(path: str | Path) -> BinaryIO:
    """Open a regular file (following symlinks) for reading; any problem is an `OSError`."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = _kind(mode)
            raise NotRegularFileError(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read(stream: BinaryIO, limit: int, path: str | Path) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(min(CHUNK, limit + 1 - size)):
        parts.append(chunk)
        size += len(chunk)
        if size > limit:
            raise FileTooLargeError(errno.EFBIG, f"over the {limit:,}-byte limit", str(path))
    return b"".join(parts)


def read_regular(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file, at most `limit`; any problem is an `OSError`
    (`NotRegularFileError`, `FileTooLargeError`, or the system's own)."""
    with open_data_file(path) as fh:
        return _read(fh, limit, path)


def _user_error(path: str | Path, what: str, exc: OSError, error: type[AppError],
                too_large: type[AppError]) -> AppError:
    if isinstance(exc, FileTooLargeError):
        return too_large(f"{path}: {exc.strerror}")
    if isinstance(exc, NotRegularFileError):
        return error(f"{path}: {exc.strerror}; give a {what} that is a regular file")
    if isinstance(exc, FileNotFoundError):
        return error(f"{path}: no such {what}")
    return error(f"{path}: cannot read {what}: {exc.strerror or exc}")


def open_regular(path: str | Path, what: str = "file",
                 error: type[AppError] = InputError) -> BinaryIO:
    """Open a file the user named, if it is (or links to) a regular file; else one
    `error` line. `what` names the file in messages ("batch file")."""
    try:
        return open_data_file(path)
    except OSError as exc:
        raise _user_error(path, what, exc, error, error) from None


def read_user_file(path: str | Path, limit: int, what: str = "file",
                   error: type[AppError] = InputError,
                   too_large: type[AppError] = TooLargeError) -> bytes:
    """The bytes of a file the user named: a regular file of at most `limit` bytes."""
    try:
        return read_regular(path, limit)
    except OSError as exc:
        raise _user_error(path, what, exc, error, too_large) from None


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON beside `path`, flush it to disk, then rename it over `path`: a reader
    sees the old file or the new one, never half of one, even after a crash."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
