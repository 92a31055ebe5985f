"""The orchestrator: condense a follow-up, then the answering stages
(`assistant.answering.pipeline`), then write, check and cite. One `Assistant` serves the
CLI, the UI and the eval, so they cannot answer differently. Constructing it is cheap;
`warm_up()` (called on first use) loads the embedding model and the indexes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from assistant.answerers import Answerer, make_answerer
from assistant.answerers.extractive import ExtractiveAnswerer
from assistant.answering.answerability import Policy, load_policy
from assistant.answering.pipeline import Candidate, Document, choose, consider
from assistant.answering.question import Question, analyse
from assistant.answering.reader import OnnxReader, Reader
from assistant.answering.routing import route
from assistant.answering.scoring import embed_query
from assistant.citations import MarkerStream, resolve
from assistant.history import Condenser, FollowUpCondenser, clean_text
from assistant.judging.check import check as check_support
from assistant.judging.judges import Judge, make_judge, statements
from assistant.settings import Settings
from assistant.shelf import Shelf, load_shelf
from assistant.types import Answer, Citation, Draft, Message, Plan, Support, Trace
from index.store import Index
from source.article import Article
from source.errors import InputError, TooLargeError
from source.text import some_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Result:
    answer: Answer
    trace: Trace


@dataclass(frozen=True, slots=True)
class Drafted:
    """A question taken through the stages up to the answerer's draft (None until written)."""

    question: str
    analysed: Question
    candidate: Candidate
    plan: Plan
    draft: Draft | None
    timings: dict[str, float]
    started: float
    considered: tuple[str, ...] = ()  # the titles of the articles it went to


class Assistant:
    """Answers questions about the main article (and any added with `python -m index add`)
    with citations; thread-safe once warmed up."""

    def __init__(self, settings: Settings, *, index: Index | Sequence[Index] | None = None,
                 answerer: Answerer | None = None, condenser: Condenser | None = None,
                 judge: Judge | None = None, policy: Policy | None = None,
                 reader: Reader | None = None, opener: Any = None,
                 shelf: Shelf | None = None, in_view: str | None = None) -> None:
        """`index`: indexes already open (the main article's first), else the settings'
        are loaded on warm-up; `opener` opens an added article's index then (default
        `index.store.ensure_index`); `shelf` and `in_view` are how siblings share one."""
        self.settings = settings
        indexes = [index] if isinstance(index, Index) else list(index or [])
        self._shelf = shelf or (Shelf([Document.of(i) for i in indexes]) if indexes else None)
        self._in_view = in_view
        self._opener = opener
        self._answerer = answerer
        self._judge = judge
        self._policy = policy
        self._reader = reader
        self._embeddings: Any = (indexes[0].vectorstore.embeddings if indexes else
                                 shelf.main.index.vectorstore.embeddings if shelf else None)
        self._fallback = ExtractiveAnswerer()
        self.condenser = condenser or FollowUpCondenser()
        self._ready = False
        self._lock = threading.Lock()

    # -- loading ---------------------------------------------------------------
    def warm_up(self) -> Assistant:
        """Load the indexes (building them if allowed), the model and the answerer, once."""
        with self._lock:
            if self._ready:
                return self
            if self._shelf is None:
                self._shelf, self._embeddings = load_shelf(self.settings, self._opener)
            if self._answerer is None:
                self._answerer = make_answerer(self.settings)
            if self._judge is None:
                self._judge = make_judge(self.settings.judge)
            if self._policy is None:
                self._policy = load_policy(min_score=self.settings.min_score)
            if self._reader is None and self.settings.reader != "rules":
                self._reader = OnnxReader().warm_up()
            self._ready = True
        return self

    @property
    def shelf(self) -> Shelf:
        self.warm_up()
        assert self._shelf is not None
        return self._shelf

    @property
    def in_view(self) -> str:
        """The article "the article" and "the author" mean: the main one unless a sibling
        made by `viewing` says otherwise."""
        return self._in_view or self.shelf.main_id

    @property
    def index(self) -> Index:
        """The index of the article in view (opened if it was not)."""
        return self.shelf.require(self.in_view).index

    @property
    def answerer(self) -> Answerer:
        self.warm_up()
        assert self._answerer is not None
        return self._answerer

    @property
    def min_score(self) -> float:
        """The evidence score under which the assistant refuses (calibrated, or
        --min-score); not `Policy.min_support`, the support judge's threshold."""
        self.warm_up()
        assert self._policy is not None
        return self._policy.min_score

    @property
    def article(self) -> Article:
        """The article in view (the main one unless made by `viewing`)."""
        return self.index.article

    @property
    def articles(self) -> Mapping[str, Article]:
        """Every article answers may cite, by id, the main one first; an article is
        opened only when looked up (iterating gives ids without opening any)."""
        return self.shelf.articles()

    @property
    def titles(self) -> dict[str, str]:
        """Every article's title by id, the main one first, without opening any."""
        return self.shelf.titles

    def with_answerer(self, answerer: Answerer, settings: Settings | None = None
                      ) -> Assistant:
        """The same indexes and settings with another answerer (for side-by-side runs)."""
        return self._sibling(answerer=answerer, settings=settings)

    def with_policy(self, policy: Policy) -> Assistant:
        """The same indexes and answerer under another refusal policy (for calibration)."""
        return self._sibling(policy=policy)

    def only(self, article_id: str) -> Assistant:
        """The same parts answering from one article alone."""
        self._known(article_id)
        return self._sibling(shelf=self.shelf.only(article_id))

    def viewing(self, article_id: str) -> Assistant:
        """The same parts and library with `article_id` in view: "the article" means it
        and it answers unless another clearly does better (the web app's picked article,
        the chat API's `model`). Opens nothing until asked."""
        self._known(article_id)
        return self._sibling(in_view=article_id)

    def _known(self, article_id: str) -> None:
        if article_id not in self.shelf:
            raise InputError(f"no article {article_id!r}; the indexed ones are: "
                             f"{some_of(list(self.titles))}")

    def _sibling(self, *, answerer: Answerer | None = None, settings: Settings | None = None,
                 policy: Policy | None = None, shelf: Shelf | None = None,
                 in_view: str | None = None) -> Assistant:
        """A warm assistant sharing this one's library (or `shelf`), with the given parts
        replaced."""
        self.warm_up()
        sibling = Assistant(settings or self.settings, answerer=answerer or self._answerer,
                            condenser=self.condenser, judge=self._judge,
                            policy=policy or self._policy, reader=self._reader,
                            shelf=shelf or self._shelf,
                            in_view=in_view if shelf is None else None)
        sibling._embeddings = self._embeddings
        return sibling.warm_up()

    # -- asking ------------------------------------------------------------------
    def run(self, question: str, history: Sequence[Message] = ()) -> Result:
        """Answer one question; `history` holds the earlier turns of the chat."""
        *_, result = self.stream(question, history)
        assert isinstance(result, Result)
        return result

    def ask(self, question: str, history: Sequence[Message] = ()) -> Answer:
        return self.run(question, history).answer

    def stream(self, question: str, history: Sequence[Message] = ()
               ) -> Generator[str | Result, None, None]:
        """Yield the answer's text as it is written, then the finished `Result` last."""
        yield from self.write(self.prepare(question, history))

    def write(self, drafted: Drafted) -> Generator[str | Result, None, None]:
        """Write, check and cite an answer from what `prepare` retrieved: its text as it is
        written, then the finished `Result` last (a LangChain run retrieves, reports the
        retrieved sentences to its callbacks, then writes)."""
        assert self._answerer is not None
        started = time.perf_counter()
        if not drafted.candidate.verdict.answerable:
            draft = self._refusal(drafted)
            yield draft.text
        else:
            pieces: list[str] = []
            shown = MarkerStream(len(drafted.plan.evidence))
            for piece in self._answerer.stream(drafted.question, drafted.plan):
                if not pieces:
                    drafted.timings["first_token"] = _ms_since(drafted.started)
                pieces.append(piece)
                if text := shown.feed(piece):
                    yield text
            if text := shown.finish():
                yield text
            draft = Draft("".join(pieces), verbatim=self._answerer.verbatim)
        drafted.timings["answer"] = _ms_since(started)
        yield self.finish(replace(drafted, draft=draft))

    def draft(self, question: str, history: Sequence[Message] = ()) -> Drafted:
        """The answerer's draft with what it was written from, before the support check
        (calibration re-checks one draft under several thresholds)."""
        drafted = self.prepare(question, history)
        assert self._answerer is not None
        started = time.perf_counter()
        draft = (self._refusal(drafted) if not drafted.candidate.verdict.answerable
                 else self._answerer.answer(drafted.question, drafted.plan))
        drafted.timings["answer"] = _ms_since(started)
        return replace(drafted, draft=draft)

    def prepare(self, question: str, history: Sequence[Message] = ()) -> Drafted:
        """The stages up to the plan: analyse, score, select, verify (no answer written)."""
        started = time.perf_counter()
        timings: dict[str, float] = {}

        def lap(name: str, since: float) -> float:
            timings[name] = _ms_since(since)
            return time.perf_counter()

        question = self.check_question(question)
        self.warm_up()
        assert self._policy is not None
        t = time.perf_counter()
        analysed = analyse(question, self.condenser.condense(question, history))
        t = lap("analyse", t)
        vectors = [embed_query(self._embeddings, text)
                   for text in dict.fromkeys([analysed.query, analysed.text])]
        t = lap("embed", t)
        shelf, in_view = self.shelf, self.in_view
        depth, words = self.settings.library_depth, shelf.title_words()

        policy = self._policy

        def considered(ids: Sequence[str]) -> list[Candidate]:
            return [consider(analysed, d, vectors, self._embeddings, policy,
                             self._reader, self.settings.reader, self.settings.reader_depth,
                             self.settings.rule_families)
                    for i in ids if (d := shelf.document(i)) is not None]

        # The article in view (and any the question names by title) first: when it
        # answers, no other can take the question (`choose`), so the library is not
        # searched at all; only a question it cannot answer looks further.
        first = route(analysed, in_view, words, lambda n: [], depth)
        candidates = considered(first)
        chosen = choose(analysed, candidates)
        if not chosen.verdict.answerable and len(shelf) > len(first):
            t = lap("select", t)
            wider = route(analysed, in_view, words,
                          lambda n: shelf.nearest(vectors[0], in_view, n), depth,
                          lambda: shelf.similarity(in_view, vectors[0]))
            candidates += considered([i for i in wider if i not in first])
            chosen = choose(analysed, candidates)
            lap("library", t)
        else:
            lap("select", t)
        plan = chosen.plan(named=len(shelf) > 1, yes_no=analysed.intent == "yesno")
        return Drafted(question, analysed, chosen, plan, None, timings, started,
                       tuple(c.document.index.article.title for c in candidates))

    def finish(self, drafted: Drafted, min_support: float | None = None) -> Result:
        """Check, cite and time a draft; `min_support` overrides the support judge's
        threshold (`Policy.min_support`)."""
        t = time.perf_counter()
        assert self._answerer is not None and self._judge is not None
        assert self._policy is not None and drafted.draft is not None
        question, plan, chosen, draft = (drafted.question, drafted.plan, drafted.candidate,
                                         drafted.draft)
        timings = dict(drafted.timings)  # one draft may be finished more than once
        name = self._answerer.name
        if self.settings.support_check:
            draft, replaced = check_support(
                draft, plan.evidence, self._judge, lambda: self._fallback.answer(question, plan),
                self._policy.min_support if min_support is None else min_support)
            name = f"{name} → extractive" if replaced else name
        articles = self.articles
        text, citations = resolve(draft, plan.evidence, articles)
        refused = draft.refused or not citations
        if refused and not draft.refused:
            draft = self._refusal(drafted)
            text, citations = resolve(draft, plan.evidence, articles)
        support = [] if refused or draft.verbatim else self._support(text, citations)
        timings["check"] = _ms_since(t)
        timings["total"] = _ms_since(drafted.started)
        answer = Answer(question, text, refused, citations, timings, support, name,
                        premise_rejected=not refused and chosen.verdict.premise_rejected)
        trace = Trace(drafted.analysed.query, chosen.ranked(), {
            "intent": drafted.analysed.intent, "layout": plan.layout,
            "verdict": chosen.verdict.reason,
            "best": round(chosen.selection.best, 4), "foreign": list(chosen.foreign),
            "foreign_share": chosen.foreign_share,
            "article": chosen.document.article_id})
        return Result(answer, trace)

    def _refusal(self, drafted: Drafted) -> Draft:
        """Names what was searched: the article, or the few articles the question went to."""
        if len(self.shelf) == 1 or len(drafted.considered) < 2:
            return Draft(f"The article doesn't say. It is about: {self.article.title}",
                         refused=True)
        titles = "; ".join(drafted.considered)
        return Draft(f"The articles don't say. They are about: {titles}", refused=True)

    def _support(self, text: str, citations: Sequence[Citation]) -> list[Support]:
        """Each sentence of a generated answer with its judge score against its quotes."""
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
        question = " ".join(clean_text(question).split())
        if not question:
            raise InputError("the question is empty; ask something about the article")
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise TooLargeError(f"the question is {len(question):,} characters; the limit is "
                                f"{limit:,}")
        if not any(ch.isalnum() for ch in question):
            raise InputError("the question has no words in it; ask something about the article")
        return question


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
