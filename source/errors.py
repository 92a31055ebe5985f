"""The error tree every layer shares; it lives here because `source` is the lowest layer.

Each message is one line a person can act on: it names what is wrong and, where
there is one, the command that fixes it. CLIs print `error: <message>` and exit 2.
"""

import sys
from collections.abc import Callable


class AppError(Exception):
    """Root of everything the app reports to a user instead of a traceback."""


class ArticleError(AppError):
    """The article file is missing, unreadable, not text, or empty once cleaned."""


def run_cli(body: Callable[[], int], interrupted: str = "interrupted") -> int:
    """Run a CLI's body; a user-facing error becomes one `error:` line and exit status 2."""
    try:
        return body()
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"error: {interrupted}", file=sys.stderr)
        return 130
