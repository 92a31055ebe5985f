"""The app's one error tree. It lives in `source/` because that is the lowest layer: every
other layer raises these and nothing else reaches a user.

    AppError                 one line a person can act on; CLIs print `error: …`, exit 2
    ├── InputError           a question, history, batch line or case file the app cannot take
    │   └── TooLargeError    over a size limit (the chat API answers 413, not 400)
    ├── ConfigError          a flag or env var value the app cannot use
    │   └── ModelError       a configured model is missing, unreadable or cannot be compiled
    ├── ArticleError         an article file is missing, unreadable, not text, or empty
    │   └── LibraryError     the list of added articles: a clash, an unknown id, damage
    ├── StoreError           the index in the data folder
    │   ├── IndexMissingError      none, or stale for the article and settings
    │   ├── IndexCorruptError      damaged (rebuilt when building is allowed)
    │   ├── IndexUnreadableError   permissions, the disk, a read-only data folder (never
    │   │                          rebuilt over; index.damage sorts which is which)
    │   └── StoreUnavailableError  the Chroma server cannot be reached
    └── AnswererError        the answer model failed while answering

Each message names what is wrong and, where there is one, the command that fixes it.
"""

import argparse
import re
import sys
from collections.abc import Callable
from typing import NoReturn


class AppError(Exception):
    """Root of everything the app reports to a user instead of a traceback."""


class InputError(AppError):
    """A question, history, batch line or case file the app cannot take."""


class TooLargeError(InputError):
    """Input over one of the size limits (the chat API answers it 413, not 400)."""


class ConfigError(AppError):
    """A flag or env var has a value the app cannot use."""


class ModelError(ConfigError):
    """A configured model is not installed, not a model file, or cannot be compiled."""


class ArticleError(AppError):
    """The article file is missing, unreadable, not text, or empty once cleaned."""


class LibraryError(ArticleError):
    """The added-articles list: an id clash, an unknown id, or a damaged list file."""


class StoreError(AppError):
    """The index in the data folder cannot serve."""


class IndexMissingError(StoreError):
    """No finished index, or one built for another article or settings."""


class IndexCorruptError(StoreError):
    """The index is damaged: rebuilt when building is allowed."""


class IndexUnreadableError(StoreError):
    """The index cannot be read or written for a reason a rebuild would not fix
    (permissions, the disk, a read-only data folder)."""


class StoreUnavailableError(StoreError):
    """The Chroma server cannot be reached."""


class AnswererError(AppError):
    """The answer model failed (endpoint down, timed out, refused the request). The message
    says where and what to do; `reason` only how it failed ("timed out"), which is all a
    remote client of the chat API is told."""

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


def run_cli(body: Callable[[], int], interrupted: str = "interrupted") -> int:
    """Run a CLI's body; a user-facing error becomes one `error:` line and exit status 2."""
    try:
        return body()
    except AppError as exc:  # one line, whatever a path or a value in the message holds
        print(f"error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"error: {interrupted}", file=sys.stderr)
        return 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse whose usage mistakes read like every other error here: one `error:` line
    naming `--help`, exit status 2, instead of the usage block. Subcommands' parsers are of
    this class too (argparse makes them with the parent's class)."""

    def error(self, message: str) -> NoReturn:
        hint = ""
        flag = re.match(r"argument (--[\w-]+)", message)
        if flag and "expected one argument" in message:  # missing, or it began with "-"
            hint = f" (a value that starts with '-' goes as {flag[1]}=VALUE)"
        elif "required: question" in message or "unrecognized arguments: -" in message:
            hint = " (a question that starts with '-' goes after --)"
        self.exit(2, f"error: {self.prog}: {message}{hint}; see: {self.prog} --help\n")
