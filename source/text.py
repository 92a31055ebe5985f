"""Normalisation shared by every format reader, so equal articles give equal text."""

import re
import unicodedata

_SPACES = re.compile(r"[^\S\n]+")  # any whitespace but newline, NBSP and friends included
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2060\ufeff]")


def is_utf8(text: str) -> bool:
    """False for text holding lone surrogates: bytes that were not UTF-8 in argv, the
    environment or a terminal (Python's surrogateescape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def some_of(names: list[str], most: int = 10) -> str:
    """Names for an error line, at most `most` of them and how many more: a library of
    1,000 articles must not make a 1,000-name line."""
    if not names:
        return "none"
    more = len(names) - most
    return ", ".join(names[:most]) + (f" and {more} more" if more > 0 else "")


def normalize(text: str) -> str:
    """NFC, no control or zero-width characters, one plain space between words."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))


# A finite verb: what makes a line a sentence (or a sentence's start), not a title.
FINITE = re.compile(r"\b(is|are|was|were|be|been|will|would|can|could|may|might|shall|"
                    r"should|must|has|have|had|does|do|did|means|includes?)\b", re.IGNORECASE)
