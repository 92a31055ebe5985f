"""The values the CLI, the UI and the eval all speak; `dataclasses.asdict` gives the JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict


class Message(TypedDict):
    """One earlier chat turn, as in `--history` files and the UI's state."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True, slots=True)
class Citation:
    """An exact quote from the article backing one [n] marker."""

    id: int
    quote: str  # always article.text[start:end]
    start: int
    end: int
    section: str | None
    article: str | None = None  # the article_id the offsets index; the main one if None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A retrieved sentence offered to an answerer, with the reranker's score for it."""

    sentence_id: int
    text: str
    start: int
    end: int
    section: str | None
    kind: str
    score: float
    article_id: str = ""  # empty: the main article


@dataclass(frozen=True, slots=True)
class Plan:
    """What an answerer is given: the evidence (markers [n] number it from 1) and how the
    selection stage grouped it. `groups` hold evidence numbers, one group per point."""

    evidence: tuple[Evidence, ...]
    layout: str = "quotes"  # quote | quotes | list | summary | correction
    lead: tuple[int, ...] = ()  # evidence numbers of a lead-in or claim quoted first
    groups: tuple[tuple[int, ...], ...] = ()
    source: str | None = None  # the title, when more than one article is loaded
    confident: bool = True  # False: the evidence is only the closest the article comes
    verdict: Literal["yes", "no"] | None = None  # a yes/no question's answer, if read


@dataclass(frozen=True, slots=True)
class Draft:
    """An answerer's output: prose whose [n] markers number `Evidence` items from 1."""

    text: str
    refused: bool = False
    verbatim: bool = False  # every claim is a quote sliced from the article: nothing to check


@dataclass(frozen=True, slots=True)
class Support:
    """How well one answer sentence is backed by the quotes it cites (the judge's score)."""

    sentence: str
    citations: tuple[int, ...]
    score: float


class Decision(TypedDict, total=False):
    """What the stages decided for one answer (`Trace.decision`; empty until they ran)."""

    intent: str  # the question's intent (assistant.answering.question.Intent)
    layout: str  # the plan's layout
    verdict: str  # why the verdict stage answered or declined
    best: float  # the best sentence score, rounded
    foreign: list[str]  # the question's words the article lacks
    foreign_share: float  # their share of the question's focus words
    article: str  # the article_id that answered


@dataclass(frozen=True, slots=True)
class Trace:
    """How an answer was found: for the UI's disclosure and for debugging."""

    standalone_query: str
    evidence: Sequence[Evidence] = ()  # the chosen document's best sentences, best first
    decision: Decision = field(default_factory=lambda: Decision())


class CitationJSON(TypedDict):
    id: int
    quote: str
    start: int
    end: int
    section: str | None
    article: str | None


class SupportJSON(TypedDict):
    sentence: str
    citations: list[int]
    score: float


class AnswerJSON(TypedDict):
    """`Answer.to_json()`: the CLI's `--json` object, the LangChain runnable's output and the
    chat API's citations."""

    question: str
    answer: str
    refused: bool
    citations: list[CitationJSON]
    support: list[SupportJSON]
    answerer: str
    premise_rejected: bool
    timings_ms: dict[str, float]


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    support: list[Support] = field(default_factory=list)
    answerer: str = ""
    premise_rejected: bool = False  # the question took for granted what the article denies

    def to_json(self) -> AnswerJSON:
        """The `--json` object: exactly the documented keys."""
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [
                {"id": c.id, "quote": c.quote, "start": c.start, "end": c.end,
                 "section": c.section, "article": c.article}
                for c in self.citations
            ],
            "support": [{"sentence": s.sentence, "citations": list(s.citations),
                         "score": round(s.score, 3)} for s in self.support],
            "answerer": self.answerer,
            "premise_rejected": self.premise_rejected,
            "timings_ms": self.timings_ms,
        }
