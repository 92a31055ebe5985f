"""Corpus questions → (query, passage, labels) pairs for the reader, and the candidate
lists it is evaluated on. Documents go through the project's own loader and segmenter,
so the model sees exactly the passages the assistant will show it."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from training.corpus import Document, Question

_MARKUP = re.compile(r"\*\*|__|(?<!\w)[*_](?=\w)|(?<=\w)[*_](?!\w)|`")


@dataclass(frozen=True, slots=True)
class Example:
    query: str
    passage: str
    answers: float  # 1: this passage belongs to the answer
    contradicts: float  # 1: it contradicts what the question takes for granted
    question_id: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question with its candidate passages (the first stage's best), for evaluation."""

    question: Question
    query: str
    passages: tuple[str, ...]
    gold: frozenset[int]  # positions in `passages` that are gold sentences


@dataclass(frozen=True, slots=True)
class Prepared:
    """A corpus document as the assistant would see it."""

    document: Document
    passages: tuple[str, ...]  # per sentence, the text with its context
    vectors: np.ndarray  # per sentence, the bi-encoder's normalised context vector
    gold: dict[str, frozenset[int]]  # question id -> its gold sentence ids
    unmapped: int  # gold quotes not found in the cleaned text


def prepare(documents: Sequence[Document], embeddings) -> list[Prepared]:  # noqa: ANN001
    from index.segment import context_text, segment
    from source.load import load_article

    out = []
    for doc in documents:
        article = load_article(doc.path)
        sentences = segment(article)
        passages = tuple(context_text(article, sentences))
        vectors = np.asarray(embeddings.embed_documents(list(passages)), dtype=np.float32)
        gold: dict[str, frozenset[int]] = {}
        unmapped = 0
        for q in doc.questions:
            ids: set[int] = set()
            for quote in q.gold:
                span = find_quote(article.text, quote)
                if span is None:
                    unmapped += 1
                    continue
                ids |= {s.id for s in sentences if s.start < span[1] and span[0] < s.end}
            gold[q.id] = frozenset(ids)
        out.append(Prepared(doc, passages, vectors, gold, unmapped))
    return out


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """Where a gold quote sits in the cleaned text (Markdown emphasis is gone there)."""
    for candidate in (quote, _MARKUP.sub("", quote).strip()):
        at = text.find(candidate) if candidate else -1
        if at >= 0:
            return at, at + len(candidate)
    return None


def query_of(question: Question) -> str:
    """The text the reader is asked with: a follow-up condensed as the assistant does."""
    from assistant.history import FollowUpCondenser

    return FollowUpCondenser().condense(question.question, list(question.history))


def queried(p: Prepared, embeddings) -> Iterator[tuple[Question, str, list[int]]]:  # noqa: ANN001
    """Each question of a document with its reader query and the first stage's ranking of
    the document's sentences for it (all queries embedded in one batch)."""
    queries = [query_of(q) for q in p.document.questions]
    vectors = normalised(embeddings.embed_documents(queries))
    for q, query, vector in zip(p.document.questions, queries, vectors, strict=True):
        yield q, query, first_stage(p, vector)


def first_stage(prepared: Prepared, query_vector: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-(prepared.vectors @ query_vector))]


def examples(prepared: Sequence[Prepared], embeddings, hard: int, easy: int,  # noqa: ANN001
             seed: int) -> list[Example]:
    """Gold sentences as positives; the first stage's best other sentences (`hard`) and a
    few random ones (`easy`) as negatives. An unanswerable question gives negatives only;
    a false premise's gold sentences are its 'contradicts' positives."""
    rng = random.Random(seed)
    out: list[Example] = []
    for p in prepared:
        for q, query, order in queried(p, embeddings):
            gold = p.gold[q.id]
            if q.gold and not gold:
                continue  # a label we could not place: never guess
            ranked = [i for i in order if i not in gold]
            rest = ranked[hard:]
            negatives = ranked[:hard] + rng.sample(rest, min(easy, len(rest)))
            for i in sorted(gold):
                if q.answerable:
                    out.append(Example(query, p.passages[i], 1.0, 0.0, q.id))
                else:  # false premise: related, but it answers the opposite
                    out.append(Example(query, p.passages[i], 0.0, 1.0, q.id))
            out += [Example(query, p.passages[i], 0.0, 0.0, q.id) for i in negatives]
    rng.shuffle(out)
    return out


def items(prepared: Sequence[Prepared], embeddings, depth: int) -> list[Item]:  # noqa: ANN001
    """Each question with the first stage's `depth` best sentences, for ranking metrics."""
    out = []
    for p in prepared:
        for q, query, order in queried(p, embeddings):
            if q.gold and not p.gold[q.id]:
                continue
            top = order[:depth]
            gold = frozenset(n for n, i in enumerate(top) if i in p.gold[q.id])
            out.append(Item(q, query, tuple(p.passages[i] for i in top), gold))
    return out


def normalised(rows: list[list[float]]) -> np.ndarray:
    a = np.asarray(rows, dtype=np.float32)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
