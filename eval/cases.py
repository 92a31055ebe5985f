"""Eval cases: versioned JSONL, one question per line, written by reading the document.

Gold quotes are exact substrings of the clean document text; the sentences they overlap
are the gold sentences. Every case carries `split`: thresholds are fitted on
`calibrate` cases only (`python -m eval calibrate`) and reported on both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.history import parse_history
from assistant.types import Message
from index.segment import Segment
from source.errors import InputError
from source.files import read_user_file

HERE = Path(__file__).resolve().parent
CASES_FILE = HERE / "cases.jsonl"
CATEGORIES = ("fact", "list", "reason", "stance", "contrast", "definition", "follow-up",
              "document", "pointer", "direction", "paraphrase", "yes-no",
              "unanswerable", "false-premise", "chrome-trap")
SPLITS = ("calibrate", "test")
KEYS = {"id", "category", "question", "answerable", "gold_quotes", "key_points", "history",
        "note", "split"}


MAX_CASES_BYTES = 64 << 20  # a cases file; the bundled ones are well under 1 MB

class CaseError(InputError):
    """A case file line that is malformed or whose gold quote is not in the document."""


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    category: str
    question: str
    answerable: bool
    gold_quotes: tuple[str, ...] = ()
    key_points: tuple[tuple[str, ...], ...] = ()  # each point: acceptable alternatives
    history: tuple[Message, ...] = ()
    note: str = ""
    split: str = "test"
    gold_sentence_ids: tuple[int, ...] = field(default=())
    # per gold quote, the sentences it overlaps (a quote may span two)
    gold_groups: tuple[tuple[int, ...], ...] = field(default=())


def load_cases(sentences: list[Segment], path: Path = CASES_FILE, text: str | None = None
               ) -> list[Case]:
    """Parse and validate every case against the document's sentences (and its text)."""
    text = text if text is not None else _text_of(sentences)
    cases: list[Case] = []
    seen: set[str] = set()
    data = read_user_file(path, MAX_CASES_BYTES, "cases file", CaseError, CaseError)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise CaseError(f"{path}: cannot read cases: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{Path(path).name}:{number}"
        try:
            raw = json.loads(line)
            unknown = set(raw) - KEYS
            if unknown:
                raise KeyError(f"unknown keys {sorted(unknown)}")
            case = Case(
                id=str(raw["id"]), category=raw["category"], question=raw["question"],
                answerable=bool(raw["answerable"]),
                gold_quotes=tuple(raw.get("gold_quotes", [])),
                key_points=tuple(tuple(p) for p in raw.get("key_points", [])),
                history=tuple(parse_history(raw.get("history", []), where)),
                note=raw.get("note", ""), split=raw.get("split", "test"))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CaseError(f"{where}: malformed case ({exc})") from None
        if case.id in seen:
            raise CaseError(f"{where}: duplicate id {case.id}")
        if case.category not in CATEGORIES:
            raise CaseError(f"{where}: unknown category {case.category!r}; use one of "
                            f"{', '.join(CATEGORIES)}")
        if case.split not in SPLITS:
            raise CaseError(f"{where}: split must be one of {', '.join(SPLITS)}")
        if case.answerable and not case.gold_quotes:
            raise CaseError(f"{where}: answerable cases need gold quotes")
        if not case.answerable and case.key_points:
            raise CaseError(f"{where}: cases the document does not answer have no key points")
        groups = []
        for quote in case.gold_quotes:
            start = text.find(quote)
            if start < 0:
                raise CaseError(f"{where}: gold quote is not in the document: {quote[:80]!r}")
            end = start + len(quote)
            groups.append(tuple(s.id for s in sentences if s.start < end and start < s.end))
        seen.add(case.id)
        cases.append(replace(case, gold_groups=tuple(groups), gold_sentence_ids=tuple(
            dict.fromkeys(i for g in groups for i in g))))
    return cases


def _text_of(sentences: list[Segment]) -> str:
    """The document text as far as the sentences know it (tests pass sentences only)."""
    if not sentences:
        return ""
    out = [" "] * max(s.end for s in sentences)
    for s in sentences:
        out[s.start : s.end] = s.text
    return "".join(out)
