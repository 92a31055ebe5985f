"""The answering stages wired for one question: analyse → score → select → verify, per
document, then the choice of which document answers. Each stage is its own module with
typed input and output; this module only passes values between them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answering.answerability import Policy, Verdict, verdict
from assistant.answering.evidence import RULES, Selection, select, shape
from assistant.answering.question import Question
from assistant.answering.reader import Reader, ReaderMode, Reading, chosen, read
from assistant.answering.scoring import Lexicon, Scores, foreign_terms, score
from assistant.answering.structure import DocumentMap, map_document
from assistant.terms import STOP, tokenize
from assistant.types import Evidence, Plan
from index.segment import context_text
from index.store import Index

TRACE_SENTENCES = 10


@dataclass(frozen=True, slots=True)
class Document:
    """An opened index with what the stages precompute for it once."""

    index: Index
    lexicon: Lexicon
    map: DocumentMap
    passages: tuple[str, ...]  # each sentence in its context, as the reader reads it

    @classmethod
    def of(cls, index: Index) -> Document:
        return cls(index, Lexicon.of(index), map_document(
            index.sentences, [b.marker for b in index.article.blocks]),
            tuple(context_text(index.article, index.sentences)))

    @property
    def article_id(self) -> str:
        return self.index.article.article_id


@dataclass(frozen=True, slots=True)
class Candidate:
    """One document's answer to a question, before any text is written."""

    document: Document
    selection: Selection
    verdict: Verdict
    foreign: tuple[str, ...]
    foreign_share: float  # of the question's focus words
    reading: Reading | None = None  # the learned reader's scores, unless mode "rules"

    def evidence(self, ids: Sequence[int]) -> tuple[Evidence, ...]:
        sentences = self.document.index.sentences
        return tuple(Evidence(i, sentences[i].text, sentences[i].start, sentences[i].end,
                              sentences[i].section, sentences[i].kind,
                              float(self.selection.adjusted[i]), self.document.article_id)
                     for i in ids)

    def plan(self, named: bool, yes_no: bool = False) -> Plan:
        """`named`: say which article answers (more than one is loaded); `yes_no`: the
        question asks yes or no, so the reader's verdict on the best quote leads."""
        ids = list(dict.fromkeys(self.selection.sentence_ids))
        number = {i: n for n, i in enumerate(ids, 1)}
        layout = "correction" if self.verdict.premise_rejected else self.selection.layout
        return Plan(self.evidence(ids), layout,
                    tuple(number[i] for i in self.selection.lead),
                    tuple(tuple(number[i] for i in g) for g in self.selection.groups),
                    self.document.index.article.title if named else None,
                    self.reading is None or self.reading.confident,
                    self._verdict(ids) if yes_no else None)

    def _verdict(self, ids: Sequence[int]) -> Literal["yes", "no"] | None:
        """Yes or no, as the reader reads the quoted sentence it ranks highest."""
        reading = self.reading
        if reading is None or self.verdict.premise_rejected or not self.verdict.answerable:
            return None
        read = [i for i in ids if i in reading.ids]
        if not read:
            return None
        best = max(read, key=lambda i: reading.answers[reading.ids.index(i)])
        says = reading.says_yes(best)
        return None if says is None else ("yes" if says else "no")

    def ranked(self) -> tuple[Evidence, ...]:
        """The best sentences by adjusted score: the trace's candidates."""
        order = np.argsort(-self.selection.adjusted)[:TRACE_SENTENCES]
        return self.evidence([int(i) for i in order])


def consider(question: Question, document: Document, vectors: Sequence[np.ndarray],
             embeddings: Embeddings, policy: Policy, reader: Reader | None = None,
             mode: ReaderMode = "rules", depth: int = 12,
             rules: frozenset[str] = RULES) -> Candidate:
    """`vectors`: the standalone query's embedding, then (for a follow-up) the question's
    as asked, so what is new in it ("and in winter?") counts as much as the topic.

    `mode`: "rules" ranks and refuses by the hand-written stages alone; "both" lets the
    reader rank the first stage's `depth` best sentences and decide answerability and
    premises, with the structure rules choosing what to quote around its best; "gate"
    keeps the rules' ranking and lets the reader decide only answerability and premises;
    "model" quotes what the reader chose (ranked with the first stage's score, see
    `Reading.ranking`), shaped only by the document's structure (`evidence.shape`).
    `rules`: the rule families that run beside the reader (all of them in "rules"; in
    "model" only the structure families "units", "pointers" and "document" shape the
    quote, and "refusals" adds its number check and keeps a question about the whole
    document from the reader's refusal; on the dev data it changed no pass rate)."""
    rules = RULES if mode == "rules" or reader is None else rules
    scores = score(question, document.index, document.lexicon, vectors[0])
    if len(vectors) > 1:
        own = score(replace(question, focus=question.own_focus or question.focus),
                    document.index, document.lexicon, vectors[1])
        scores = Scores((scores.dense + own.dense) / 2, (scores.lexical + own.lexical) / 2,
                        (scores.fused + own.fused) / 2)
    reading = None
    if reader is not None and mode != "rules":
        reading = read(reader, question.query, document.passages, scores.fused, depth)
        if mode != "gate":  # "gate": the rules rank, the reader only judges
            learned = reading.probabilities(len(document.index.sentences))
            scores = Scores(scores.dense, scores.lexical, learned)
    if mode == "model" and reading is not None:
        selection = shape(question, document.index, document.map, scores.fused,
                          chosen(reading), rules)
        foreign: list[str] = []
    else:
        selection = select(question, document.index, document.map, scores, document.lexicon,
                           rules)
        foreign = (foreign_terms(question, document.index, document.lexicon, embeddings)
                   if "refusals" in rules else [])
    if reading is not None and (denied := reading.contradiction()) is not None:
        selection = Selection(((denied,),), "quote", (), selection.best, selection.adjusted)
    text = " ".join(document.index.sentences[i].text for i in selection.sentence_ids)
    share = round(len(foreign) / len(question.focus), 4) if question.focus else 0.0
    return Candidate(document, selection,
                     verdict(question, selection, foreign, policy, text, reading,
                             refusals="refusals" in rules),
                     tuple(foreign), share, reading)


def choose(question: Question, candidates: Sequence[Candidate]) -> Candidate:
    """The document in view (first) answers unless it cannot or the question names
    another one's title. Evidence scores are not compared across documents: another
    document "answering better" by them took questions the one in view answered right
    (on the reader corpus's dev documents with 99 others loaded, 0.844 answered from their
    own document that way, 0.890 without; `eval bench --library`)."""
    main, others = candidates[0], [c for c in candidates[1:] if c.verdict.answerable]
    if not others:
        return main
    if question.intent == "document":  # "the article" is the main one
        return main

    def named(c: Candidate) -> int:
        title = set(tokenize(c.document.index.article.title)) - STOP
        return len(title & set(question.focus))

    best = max(others, key=lambda c: (named(c), c.selection.best))
    return best if not main.verdict.answerable or named(best) > named(main) else main
