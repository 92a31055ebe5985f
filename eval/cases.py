"""The eval set: versioned JSONL cases written by reading the article."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from assistant.history import parse_history
from assistant.types import Message
from index.segment import Segment
from source.errors import AppError

CASES_FILE = Path(__file__).resolve().parent / "cases.jsonl"
CATEGORIES = ("fact", "list", "reason", "stance", "contrast", "definition", "follow-up",
              "unanswerable", "false-premise", "chrome-trap")


class CaseError(AppError):
    """A case file line that is malformed or whose gold quote is not in the article."""


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
    gold_sentence_ids: tuple[int, ...] = field(default=())


def load_cases(sentences: list[Segment], path: Path = CASES_FILE) -> list[Case]:
    """Parse and validate every case; a gold quote must be exactly one article sentence."""
    by_text: dict[str, int] = {}
    for s in sentences:
        by_text.setdefault(s.text, s.id)
    cases: list[Case] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name}:{number}"
        try:
            raw = json.loads(line)
            case = Case(
                id=str(raw["id"]), category=raw["category"], question=raw["question"],
                answerable=bool(raw["answerable"]),
                gold_quotes=tuple(raw.get("gold_quotes", [])),
                key_points=tuple(tuple(p) for p in raw.get("key_points", [])),
                history=tuple(parse_history(raw.get("history", []), where)),
                note=raw.get("note", ""))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise CaseError(f"{where}: malformed case ({exc})") from None
        if case.id in seen:
            raise CaseError(f"{where}: duplicate id {case.id}")
        if case.category not in CATEGORIES:
            raise CaseError(f"{where}: unknown category {case.category!r}")
        if case.answerable != bool(case.gold_quotes):
            raise CaseError(f"{where}: answerable cases need gold quotes, others none")
        missing = [q for q in case.gold_quotes if q not in by_text]
        if missing:
            raise CaseError(f"{where}: gold quote is not an article sentence: {missing[0]!r}")
        seen.add(case.id)
        cases.append(replace(case, gold_sentence_ids=tuple(by_text[q] for q in case.gold_quotes)))
    return cases
