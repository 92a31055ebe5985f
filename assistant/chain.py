"""The retrieval chain: condense → hybrid retrieve → rerank → answer → cite.

One `Assistant` serves the CLI, the UI and the eval, so they cannot answer differently.
Constructing it is cheap; `warm_up()` (called on first use) loads models and the index.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.documents import Document
from langchain_core.runnables import Runnable, RunnableLambda

from assistant.answerers import Answerer, make_answerer
from assistant.answerers.extractive import ExtractiveAnswerer
from assistant.citations import MARKER, MarkerStream, resolve
from assistant.history import Condenser, FollowUpCondenser, InputError
from assistant.rerank import CrossEncoderScorer, EmbeddingScorer, Scorer
from assistant.retrieval import hybrid_retriever
from assistant.support import ENTAILED, Judge, Statement, make_judge, statements
from assistant.types import Answer, Citation, Draft, Evidence, Message, Support, Trace
from index.settings import Settings
from index.store import Index

log = logging.getLogger(__name__)

# Calibrated on the eval set's answerable vs. unanswerable questions (README: Refusal).
RERANKERS: dict[str, float] = {"ms-marco-MiniLM-L6-v2": 0.02}


@dataclass(frozen=True, slots=True)
class Result:
    answer: Answer
    trace: Trace


class Assistant:
    """Answers questions about the main article (and any added with `python -m index add`)
    with citations; thread-safe once warmed up."""

    def __init__(self, settings: Settings, *, index: Index | Sequence[Index] | None = None,
                 scorer: Scorer | None = None, answerer: Answerer | None = None,
                 condenser: Condenser | None = None, judge: Judge | None = None) -> None:
        self.settings = settings
        indexes = [index] if isinstance(index, Index) else list(index or [])
        # main article first; others are the library's
        self._indexes: dict[str, Index] = {i.article.article_id: i for i in indexes}
        self._index = indexes[0] if indexes else None
        self._scorer = scorer
        self._answerer = answerer
        self._judge = judge
        self._fallback = ExtractiveAnswerer(max_citations=settings.max_citations)
        self.condenser = condenser or FollowUpCondenser()
        self._chain: Runnable | None = None
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------
    def warm_up(self) -> Assistant:
        """Load the index (building it if allowed), the scorer and the answerer, once."""
        with self._lock:
            if self._chain is not None:
                return self
            from index import library
            from index.embed import make_embeddings
            from index.store import (
                BUILD_HINT,
                IndexMissingError,
                ensure_index,
                require_current,
            )
            from source.load import load_article

            embeddings = None
            if self._index is None:
                articles = [load_article(p)
                            for p in [self.settings.article, *library.paths(self.settings)]]
                if not self.settings.auto_build:  # fail before loading any model
                    try:
                        for article in articles:
                            require_current(self.settings, article)
                    except IndexMissingError as exc:
                        raise IndexMissingError(f"{exc}; {BUILD_HINT}") from None
                embeddings = make_embeddings(self.settings.embedding_model)
                for article in articles:
                    self._indexes[article.article_id] = ensure_index(self.settings, article,
                                                                     embeddings)
                self._index = next(iter(self._indexes.values()))
            if self._scorer is None:
                self._scorer = self._make_scorer(embeddings)
            if self._answerer is None:
                self._answerer = make_answerer(self.settings)
            if self._judge is None:
                self._judge = make_judge(self.settings.judge)
            self._chain = self._build_chain()
        return self

    def _make_scorer(self, embeddings: Any) -> Scorer:
        spec = self.settings.reranker
        threshold = self.settings.min_support or RERANKERS.get(spec, 0.5)
        if spec == "none":
            return EmbeddingScorer(embeddings or self.index.vectorstore.embeddings,
                                   self.settings.min_support or 0.35)
        return CrossEncoderScorer(spec, threshold)

    @property
    def index(self) -> Index:
        if self._index is None:
            self.warm_up()
        assert self._index is not None
        return self._index

    def with_answerer(self, answerer: Answerer, settings: Settings | None = None
                      ) -> Assistant:
        """The same index, scorer and settings with another answerer (for side-by-side runs)."""
        self.warm_up()
        return Assistant(settings or self.settings, index=list(self._indexes.values()),
                         scorer=self._scorer,
                         answerer=answerer, condenser=self.condenser,
                         judge=self._judge).warm_up()

    @property
    def answerer(self) -> Answerer:
        self.warm_up()
        assert self._answerer is not None
        return self._answerer

    @property
    def min_support(self) -> float:
        """The score under which the assistant refuses (the scorer's calibrated threshold)."""
        self.warm_up()
        assert self._scorer is not None
        return self._scorer.min_support

    @property
    def article(self):  # noqa: ANN201 - source.Article
        """The main article."""
        return self.index.article

    @property
    def articles(self) -> dict[str, Any]:
        """Every article answers may cite, by id, the main one first."""
        self.warm_up()
        return {aid: index.article for aid, index in self._indexes.items()}

    # -- the chain ---------------------------------------------------------------
    def _build_chain(self) -> Runnable:
        retrievers = {aid: hybrid_retriever(index, self.settings.candidates)
                      for aid, index in self._indexes.items()}

        def retrieve(query: str) -> list[Document]:
            """Each article's candidates, tagged with where they come from."""
            return [Document(d.page_content, metadata={**d.metadata, "article_id": aid})
                    for aid, retriever in retrievers.items() for d in retriever.invoke(query)]

        def step(name: str, fn: Callable[[dict], dict]) -> Runnable:
            """A timed chain step that adds `fn`'s keys to the state it passes on."""
            def run(x: dict) -> dict:
                started = time.perf_counter()
                out = fn(x)
                x["timings"][name] = round((time.perf_counter() - started) * 1000, 1)
                return {**x, **out}
            return RunnableLambda(run, name=name)

        return (
            step("condense", lambda x: {
                "query": self.condenser.condense(x["question"], x["history"])})
            | step("retrieve", lambda x: {"windows": retrieve(x["query"])})
            | step("rerank", self._rerank)
        )

    def _rerank(self, x: dict) -> dict:
        """Score retrieved windows, then the sentences of the best ones, best first."""
        windows: list[Document] = x["windows"]
        ranked = sorted(zip(windows, self._score(x, [d.page_content for d in windows]),
                            strict=True), key=lambda p: -p[1])
        top = ranked[: self.settings.rerank_top]
        ids = list(dict.fromkeys((doc.metadata["article_id"], int(i)) for doc, _ in top
                                 for i in str(doc.metadata["sentence_ids"]).split(",")))
        sentences = [(aid, self._indexes[aid].sentences[i]) for aid, i in ids]
        scores = self._score(x, [s.search_text for _, s in sentences])
        evidence = [Evidence(s.id, s.text, s.start, s.end, s.section, s.kind, score, aid)
                    for (aid, s), score in zip(sentences, scores, strict=True)]
        return {"window_scores": top, "evidence": sorted(evidence, key=lambda e: -e.score)}

    def _score(self, x: dict, passages: list[str]) -> list[float]:
        """Relevance to the standalone query; for a follow-up, averaged with relevance to
        the question as asked, so what is new in it ("and in the Arctic?") counts."""
        assert self._scorer is not None
        scores = self._scorer.score(x["query"], passages)
        if x["query"] == x["question"]:
            return scores
        own = self._scorer.score(x["question"], passages)
        return [(a + b) / 2 for a, b in zip(scores, own, strict=True)]

    # -- asking ------------------------------------------------------------------
    def run(self, question: str, history: Sequence[Message] = ()) -> Result:
        """Answer one question; `history` holds the earlier turns of the chat."""
        state = self._retrieve(question, history)
        answerer = self._answerer
        assert answerer is not None
        started = time.perf_counter()
        draft = self._refusal() if state["refuse"] else answerer.answer(
            state["question"], state["supported"])
        state["timings"]["answer"] = round((time.perf_counter() - started) * 1000, 1)
        return self._finish(state, draft)

    def ask(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return self.run(question, history).answer

    def stream(self, question: str, history: Sequence[Message] = ()
               ) -> Iterator[str | Result]:
        """Yield the draft's text as it is written, then the finished `Result` last."""
        state = self._retrieve(question, history)
        answerer = self._answerer
        assert answerer is not None
        started = time.perf_counter()
        if state["refuse"]:
            draft = self._refusal()
            yield draft.text
        else:
            parts: list[str] = []
            shown = MarkerStream(len(state["supported"]))
            for piece in answerer.stream(state["question"], state["supported"]):
                if not parts:
                    state["timings"]["first_token"] = round(
                        (time.perf_counter() - state["started"]) * 1000, 1)
                parts.append(piece)
                if text := shown.feed(piece):
                    yield text
            if text := shown.finish():
                yield text
            draft = Draft("".join(parts))
        state["timings"]["answer"] = round((time.perf_counter() - started) * 1000, 1)
        yield self._finish(state, draft)

    def _retrieve(self, question: str, history: Sequence[Message]) -> dict:
        question = self.check_question(question)
        self.warm_up()
        assert self._chain is not None and self._scorer is not None
        state = self._chain.invoke({"question": question, "history": list(history),
                                    "timings": {}, "started": time.perf_counter()})
        best = max((e.score for e in state["evidence"]), default=float("-inf"))
        state["refuse"] = best < self._scorer.min_support
        floor = max(self._scorer.min_support, best * self._scorer.spread)
        state["supported"] = [e for e in state["evidence"] if e.score >= floor]
        return state

    def _refusal(self) -> Draft:
        if len(self._indexes) == 1:
            return Draft(f"The article doesn't say. It is about: {self.article.title}",
                         refused=True)
        titles = "; ".join(index.article.title for index in self._indexes.values())
        return Draft(f"The articles don't say. They are about: {titles}", refused=True)

    def _finish(self, state: dict, draft: Draft) -> Result:
        started = time.perf_counter()
        draft, answered_by = self._checked(state, draft)
        articles = self.articles
        text, citations = resolve(draft, state["supported"], articles)
        refused = draft.refused or not citations
        if refused and not draft.refused:
            draft = self._refusal()
            text, citations = resolve(draft, state["supported"], articles)
        support = [] if refused else self._support(text, citations)
        timings = state["timings"]
        timings["check"] = round((time.perf_counter() - started) * 1000, 1)
        timings["total"] = round((time.perf_counter() - state["started"]) * 1000, 1)
        answer = Answer(state["question"], text, refused, citations, timings, support,
                        answered_by)
        trace = Trace(state["query"], [
            {"article_id": d.metadata["article_id"], "window_id": d.metadata["window_id"],
             "score": round(s, 4), "text": d.page_content}
            for d, s in state["window_scores"]], state["evidence"])
        return Result(answer, trace)

    def _checked(self, state: dict, draft: Draft) -> tuple[Draft, str]:
        """Keep only the sentences their cited sentences support.

        A sentence the model left uncited gets the evidence sentence that supports it,
        if one does (small models often answer right but forget the number). If no
        supported sentence is left, the model saying the article does not say is a
        refusal; anything else (wrong citations, words the judge cannot match to the
        article, the model's own knowledge) is replaced by the extractive answer.
        """
        assert self._answerer is not None and self._judge is not None
        name = self._answerer.name
        if draft.refused or not self.settings.support_check:
            return draft, name
        evidence = state["supported"]
        claims = statements(_markers_last(draft.text))
        scores = self._judge.entailment([(_premise(s.cites, evidence), s.claim) for s in claims])
        kept: list[Statement] = []
        for claim, score in zip(claims, scores, strict=True):
            if score >= ENTAILED:
                kept.append(claim)
            elif not claim.cites and (n := self._best_support(claim.claim, evidence)):
                kept.append(Statement(claim.claim, (n,), f"{claim.text.rstrip()} [{n}]"))
        if [k.text for k in kept] == [c.text for c in claims]:
            return Draft(_markers_last(draft.text)), name
        log.info("support check kept %d of %d sentences", len(kept), len(claims))
        if kept:
            return Draft(" ".join(_rebuild(s) for s in kept)), name
        if _DECLINED.search(draft.text) and not any(s.cites for s in claims):
            return self._refusal(), name
        return self._fallback.answer(state["question"], evidence), f"{name} → extractive"

    def _best_support(self, claim: str, evidence: Sequence[Evidence]) -> int | None:
        """The number of the evidence sentence that supports `claim` best, if any does."""
        assert self._judge is not None
        scores = self._judge.entailment([(e.text, claim) for e in evidence])
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        return best + 1 if best is not None and scores[best] >= ENTAILED else None

    def _support(self, text: str, citations: Sequence[Citation]) -> list[Support]:
        """Each answer sentence with its judge score against the quotes it cites."""
        assert self._judge is not None
        quotes = {c.id: c.quote for c in citations}
        claims = statements(text)
        pairs = [(" ".join(quotes[i] for i in s.cites if i in quotes), s.claim) for s in claims]
        scores = self._judge.entailment(pairs) if pairs else []
        return [Support(s.claim, s.cites, score)
                for s, score in zip(claims, scores, strict=True)]

    def check_question(self, question: object) -> str:
        """Normalise a question or raise `InputError` saying what is wrong with it."""
        if not isinstance(question, str):
            raise InputError("the question must be text")
        question = unicodedata.normalize("NFC", question)
        question = "".join(ch for ch in question
                           if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
        question = " ".join(question.split())
        if not question:
            raise InputError("the question is empty; ask something about the article")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InputError(f"the question is {len(question):,} characters; the limit is "
                             f"{limit:,}")
        if not any(ch.isalnum() for ch in question):
            raise InputError("the question has no words in it; ask something about the article")
        return question


_DECLINED = re.compile(r"\b(?:doesn't|does not|do not|don't) (?:say|answer|mention)|"
                       r"\bnot (?:in|mentioned in) the (?:article|sentences)", re.IGNORECASE)
_LEADING_MARKERS = re.compile(r"(^|(?<=[.!?]) )((?:\[\d{1,3}\])+) *([^\[]*[.!?])(?= *(?:\[|$))")


def _markers_last(text: str) -> str:
    """`[2] Claim.` (a common small-model habit) becomes `Claim [2].`"""
    return _LEADING_MARKERS.sub(lambda m: f"{m[1]}{m[3][:-1]} {m[2]}{m[3][-1]}", text.strip())


def _premise(cites: Sequence[int], evidence: Sequence[Evidence]) -> str:
    return " ".join(evidence[n - 1].text for n in cites if 1 <= n <= len(evidence))


def _rebuild(statement: Statement) -> str:
    """A kept statement in the model's own words, as a sentence with its markers."""
    body = MARKER.sub("", statement.text).strip().lstrip(".,;:!? ")
    end = body[-1] if body[-1] in ".!?" else "."
    body = body.rstrip(".!?")
    markers = "".join(f"[{n}]" for n in statement.cites)
    return f"{body[:1].upper()}{body[1:]} {markers}{end}"
