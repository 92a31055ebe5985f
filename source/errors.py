"""The error tree every layer shares; it lives here because `source` is the lowest layer.

Each message is one line a person can act on: it names what is wrong and, where
there is one, the command that fixes it. CLIs print `error: <message>` and exit 2.
"""


class AppError(Exception):
    """Root of everything the app reports to a user instead of a traceback."""


class ArticleError(AppError):
    """The article file is missing, unreadable, not text, or empty once cleaned."""
