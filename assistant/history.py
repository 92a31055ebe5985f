"""Chat history: validating what users hand us, and turning a follow-up into a standalone query."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from assistant.answering.question import is_reversal, reverse
from assistant.types import Message
from source.errors import InputError, TooLargeError
from source.files import read_user_file

MAX_TURNS = 50  # older turns are dropped: a follow-up refers to what was just said
# Size limits, checked before any parsing or model work (README: Limits and guarantees).
MAX_JSON_BYTES = 1_000_000  # a --history file, a --batch line, the web API's history_json
MAX_MESSAGE_CHARS = 20_000  # one earlier message
MAX_INT_DIGITS = 4_300  # Python's own limit on converting digits to an int

# Terminal control sequences (colours, cursor moves, titles): dropped whole, not just
# their ESC byte, so "\x1b[31mWho?" is "Who?", not "[31mWho?".
_TERMINAL_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|"
                               r"\x1b[@-Z\\-_]")


def clean_text(text: str) -> str:
    """User text as the stages may read it: terminal sequences, control and format
    characters, lone surrogates (JSON may escape them: "\\ud800") and
    unassigned code points dropped, newlines and tabs kept, NFC. The one cleaning of a
    question and of every history message."""
    text = _TERMINAL_CONTROL.sub("", text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    return unicodedata.normalize("NFC", text)


def load_json(text: str | bytes, origin: str) -> object:
    """JSON from a user, with its size limited before parsing and nesting that would
    exhaust Python's recursion reported as an input error, not a crash."""
    if not isinstance(text, str | bytes):
        raise InputError(f"{origin}: must be JSON text, not {type(text).__name__}")
    # a str may hold lone surrogates (a JSON client's "\ud800"); they are cleaned later
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_JSON_BYTES:
        raise TooLargeError(f"{origin}: {size:,} bytes is over the {MAX_JSON_BYTES:,}-byte "
                            "limit")
    try:
        return json.loads(text, parse_int=_int)
    except _TooManyDigits as exc:
        raise InputError(f"{origin}: a number with {exc.args[0]:,} digits; at most "
                         f"{MAX_INT_DIGITS:,} are taken") from None
    except RecursionError:
        raise InputError(f"{origin}: JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise InputError(f"{origin}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{origin}: not valid JSON (line {exc.lineno}: {exc.msg})") from None


class _TooManyDigits(Exception):  # noqa: N818 - raised inside json.loads, caught above
    pass


def _int(digits: str) -> int:
    """A JSON integer; more digits than Python converts (its ValueError would escape as a
    crash) is refused by `load_json`."""
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        raise _TooManyDigits(len(digits.lstrip("-")))
    return int(digits)


def parse_history(data: object, origin: str = "history") -> list[Message]:
    """Check a JSON value is a list of {"role": "user"|"assistant", "content": str}."""
    if not isinstance(data, list):
        raise InputError(f"{origin}: must be a JSON list of {{\"role\", \"content\"}} messages")
    out: list[Message] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) - {"role", "content"}:
            raise InputError(f"{origin}: message {i} must be an object with only role and content")
        role, content = item.get("role"), item.get("content")
        if role not in ("user", "assistant"):
            raise InputError(f"{origin}: message {i} has role {role!r}; use 'user' or 'assistant'")
        if not isinstance(content, str):
            raise InputError(f"{origin}: message {i} content must be a string")
        if len(content) > MAX_MESSAGE_CHARS:
            raise TooLargeError(f"{origin}: message {i} is {len(content):,} characters; the "
                                f"limit is {MAX_MESSAGE_CHARS:,}")
        out.append(Message(role=role, content=clean_text(content)))
    return out[-MAX_TURNS:]


def read_history_file(path: str | Path) -> list[Message]:
    raw = read_user_file(path, MAX_JSON_BYTES, "history file")
    return parse_history(load_json(raw, str(path)), str(path))


class Condenser(Protocol):
    """Rewrites the latest question so it can be retrieved for without the chat."""

    def condense(self, question: str, history: Sequence[Message]) -> str: ...


_ANAPHORA = re.compile(
    r"\b(it|its|it's|they|them|their|theirs|he|him|his|she|her|this|that|these|those|"
    r"there|such|former|latter|same|else|other|more|why|how so|example|examples)\b",
    re.IGNORECASE,
)
_OPENERS = re.compile(r"^(and|but|or|so|also|then|what about|how about|why|how|and why)\b",
                      re.IGNORECASE)


class FollowUpCondenser:
    """Prefixes a follow-up with the user's earlier questions it depends on; needs no model.

    A question is a follow-up when it is short or leans on the earlier turn (a
    pronoun, "what about …", "why?"). Retrieval then sees both the topic of the
    earlier question and what is asked now.
    """

    def __init__(self, max_context_questions: int = 2) -> None:
        self.max_context_questions = max_context_questions

    def is_follow_up(self, question: str) -> bool:
        words = re.findall(r"\w+", question)
        return (len(words) <= 3 or bool(_OPENERS.match(question.strip()))
                or (len(words) <= 12 and bool(_ANAPHORA.search(question))))

    def condense(self, question: str, history: Sequence[Message]) -> str:
        if not self.is_follow_up(question):
            return question
        asked = [m["content"] for m in history if m["role"] == "user"]
        if asked and is_reversal(question) and (flipped := reverse(asked[-1])):
            return flipped  # "And the other way round?" asks the last question reversed
        context: list[str] = []
        for message in reversed(history):
            if message["role"] != "user":
                continue
            context.insert(0, message["content"].strip())
            if len(context) >= self.max_context_questions or not self.is_follow_up(
                    message["content"]):
                break
        return " ".join([*context, question]) if context else question
