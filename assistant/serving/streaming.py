"""An answer as it is shown while it streams: what the CLI prints and the chat API sends,
so the two cannot differ.

`Assistant.stream` yields text with markers already renumbered; the support check runs
after the last piece, so a generated answer can still lose a sentence. Then what was
shown is followed by a note and the answer that stands, whose markers match its citations.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable

from assistant.chain import Result

CHECKED_NOTE = "\n\n(checked against the article; the answer that stands:)\n"


def as_shown(pieces: Iterable[str | Result]) -> Generator[str | Result, None, None]:
    """The streamed pieces; then, if the checked answer is not what was shown, the note
    and that answer as one more piece; the `Result` last."""
    shown = ""
    for piece in pieces:
        if isinstance(piece, Result):
            if shown.strip() != piece.answer.answer:
                yield CHECKED_NOTE + piece.answer.answer
            yield piece
            return
        shown += piece
        yield piece
