"""Honest fakes for stage tests: a bag-of-stems embedding (similar texts share words, so
cosine means word overlap) and a tiny in-memory index over any Markdown text."""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np

from assistant.terms import STOP, tokenize
from index.segment import Segment, context_text, segment
from index.vectors import SentenceVectors, vocabulary
from source import parse_article
from source.article import Article
from source.errors import AnswererError
from source.markdown import read_markdown

DIM = 512


class BagOfWordsEmbeddings:
    """Not a language model: each content stem is a fixed random direction; a text is the
    normalised sum of its stems. Deterministic, and a paraphrase with new words is a miss."""

    def _vector(self, text: str) -> list[float]:
        text.encode("utf-8")  # as a real tokenizer: a lone surrogate is an error
        v = np.zeros(DIM)
        for stem in tokenize(text):
            if stem not in STOP:
                rng = np.random.default_rng(zlib.crc32(stem.encode()))
                v += rng.standard_normal(DIM)
        n = np.linalg.norm(v)
        return list(v / n) if n else list(v)

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]


@dataclass
class FakeIndex:
    """What the answering stages read of an `index.store.Index`, without Chroma."""

    article: Article
    sentences: list[Segment]
    vectors: SentenceVectors
    vectorstore: Any = field(  # only its embedding model is read
        default_factory=lambda: SimpleNamespace(embeddings=BagOfWordsEmbeddings()))


def fake_index(markdown: str, article_id: str = "doc") -> FakeIndex:
    article = parse_article(markdown.encode(), article_id, read_markdown)
    sentences = segment(article)
    emb = BagOfWordsEmbeddings()

    def matrix(texts: list[str]) -> np.ndarray:
        return np.asarray(emb.embed_documents(texts), dtype=np.float32).reshape(len(texts), DIM)

    words = vocabulary(article.text)
    return FakeIndex(article, sentences, SentenceVectors(
        matrix([s.text for s in sentences]), matrix(context_text(article, sentences)),
        tuple(words), matrix(words)))


class KeywordReaderFake:
    """Not a trained reader: a passage's 'answers' logit is 4.0 when it holds one of
    `answers` (else -6.0), its 'contradicts' logit 4.0 when it holds one of `denies`.
    With `affirms`, a third output: 4.0 ("yes") when the passage holds one of them.
    Lets a stage test say exactly what the reader judged."""

    def __init__(self, answers: tuple[str, ...] = (), denies: tuple[str, ...] = (),
                 answer_threshold: float = 0.0, confident_threshold: float = 0.0,
                 affirms: tuple[str, ...] | None = None) -> None:
        self.answers, self.denies, self.affirms = answers, denies, affirms
        self.answer_threshold = answer_threshold
        self.premise_threshold = 0.0
        self.confident_threshold = confident_threshold
        self.calls: list[tuple[str, int]] = []

    def logits(self, query: str, passages):  # noqa: ANN001, ANN201
        self.calls.append((query, len(passages)))

        def hit(words: tuple[str, ...], p: str) -> float:
            return 4.0 if any(w in p for w in words) else -6.0

        columns = [[hit(self.answers, p) for p in passages],
                   [hit(self.denies, p) for p in passages]]
        if self.affirms is not None:
            columns.append([hit(self.affirms, p) for p in passages])
        return np.asarray(columns, dtype=np.float32).T.reshape(len(passages), len(columns))


class FailingOn:
    """The extractive answerer, except that a question naming `down` finds its model down
    (AnswererError) and one naming `bug` hits a bug (RuntimeError)."""

    name, verbatim = "failing-extractive", True

    def __init__(self, down: str = "winter", bug: str = "varroa") -> None:
        from assistant.answerers.extractive import ExtractiveAnswerer

        self.inner, self.down, self.bug = ExtractiveAnswerer(), down, bug

    def answer(self, question, plan):  # noqa: ANN001, ANN201
        from assistant.types import Draft

        return Draft("".join(self.stream(question, plan)), verbatim=True)

    def stream(self, question, plan):  # noqa: ANN001, ANN201
        if self.down in question:
            raise AnswererError("the answer model (http://10.0.0.7/v1) failed: Request timed "
                                "out.; or use --answerer extractive", reason="timed out")
        if self.bug in question:
            raise RuntimeError("a bug")
        yield from self.inner.stream(question, plan)


class GatedAnswerer:
    """The extractive answer, held at a gate before its first piece, so a test can keep a
    request working without timing anything. Records each question it was asked and each
    it wrote to the end (a stream closed early is asked, not finished)."""

    name, verbatim = "gated-extractive", True

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)
        self.asked: list[str] = []
        self.finished: list[str] = []

    def answer(self, question, plan):  # noqa: ANN001, ANN201
        from assistant.types import Draft

        return Draft("".join(self.stream(question, plan)), verbatim=True)

    def stream(self, question, plan):  # noqa: ANN001, ANN201
        from assistant.answerers.extractive import ExtractiveAnswerer

        self.asked.append(question)
        self.entered.release()
        assert self.gate.wait(timeout=300), "the test never opened the gate"
        yield from ExtractiveAnswerer().stream(question, plan)
        self.finished.append(question)


BEES = """# Keeping Bees in a City Garden

Urban beekeeping is growing fast. Is it safe for the neighbours?

## Why Hives Fail

Most new hives fail in their first winter. There are three reasons for this.
First, the colony is too small to keep warm. Secondly, varroa mites weaken the bees.
Third, beginners open the hive too often in the cold.

## Honey

Each hive gives about twelve kilograms of honey a year. The honey is sold at local
markets.
"""


def fake_assistant(markdown: str = BEES, answerer: Any = None, **settings: Any):  # noqa: ANN201
    """A real `Assistant` (every stage, the support check, citations) over a fake index
    with the bag-of-words embedding: no model, no Chroma, milliseconds per question.
    `answerer` defaults to the extractive one; `settings` override the defaults."""
    from assistant.answerers.extractive import ExtractiveAnswerer
    from assistant.chain import Assistant
    from assistant.judging.judges import CoverageJudge
    from assistant.settings import load_settings

    return Assistant(load_settings(**settings), index=[fake_index(markdown, "bees")],
                     answerer=answerer or ExtractiveAnswerer(), judge=CoverageJudge()
                     ).warm_up()
