"""The assistant inside a LangChain app: `ArticleRetriever`, a `BaseRetriever` returning the
sentences the assistant would cite, and `AssistantRunnable`, the whole assistant as a
`Runnable` returning `Answer.to_json()`. Both run the same stages as the CLI
(`Assistant.prepare`, then `Assistant.write`); nothing here ranks or quotes on its own.

    retriever = ArticleRetriever(assistant=Assistant(load_settings()))
    create_retrieval_chain(retriever, create_stuff_documents_chain(llm, prompt))

Constructing either is cheap: the models and indexes load on first use (`warm_up`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForChainRun,
    AsyncCallbackManagerForRetrieverRun,
    CallbackManager,
    CallbackManagerForChainRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig, RunnableSerializable
from langchain_core.runnables.config import run_in_executor
from langchain_core.runnables.utils import AddableDict
from pydantic import ConfigDict, PrivateAttr

from assistant.chain import Assistant, Drafted, Result
from assistant.history import parse_history
from assistant.serving.streaming import as_shown
from assistant.types import Message
from source.errors import InputError

AssistantInput = str | dict[str, Any]


class ArticleRetriever(BaseRetriever):
    """The sentences the assistant would cite for a question, best evidence first, as
    `Document`s: `page_content` is exactly `article.text[start:end]`; metadata holds
    `article_id`, `title`, `start`, `end`, `section`, `score`, `sentence_id`, `kind`,
    `answerable` and `premise_rejected`. A question the assistant would refuse gets no
    documents. `article_id` limits it to one article of the library (default: all of them,
    as the assistant answers). `retriever.invoke(question, history=[...])` takes the
    earlier chat turns, so a follow-up is condensed as in the chat."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    article_id: str | None = None
    _scoped: Assistant | None = PrivateAttr(default=None)

    def scope(self) -> Assistant:
        """The assistant answering: the whole library, or `article_id`'s article alone
        (made once, sharing the loaded models and indexes)."""
        if self._scoped is None:
            self._scoped = (self.assistant.only(self.article_id) if self.article_id
                            else self.assistant.warm_up())
        return self._scoped

    def documents(self, drafted: Drafted) -> list[Document]:
        """The plan's evidence (what the answerer is given and cites) as documents."""
        candidate = drafted.candidate
        if not candidate.verdict.answerable:
            return []
        articles = self.scope().articles
        docs = []
        for ev in drafted.plan.evidence:
            article = articles[ev.article_id]
            docs.append(Document(page_content=article.text[ev.start:ev.end], metadata={
                "article_id": article.article_id, "title": article.title,
                "start": ev.start, "end": ev.end, "section": ev.section,
                "score": round(ev.score, 4), "sentence_id": ev.sentence_id, "kind": ev.kind,
                "answerable": True, "premise_rejected": candidate.verdict.premise_rejected}))
        return docs

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                history: Sequence[Message] = ()) -> list[Document]:
        return self._retrieve(query, history)

    async def _aget_relevant_documents(self, query: str, *,
                                       run_manager: AsyncCallbackManagerForRetrieverRun,
                                       history: Sequence[Message] = ()) -> list[Document]:
        return await run_in_executor(None, self._retrieve, query, history)

    def _retrieve(self, query: str, history: Sequence[Message]) -> list[Document]:
        return self.documents(self._prepare(query, history))

    def _prepare(self, question: str, history: Sequence[Message]) -> Drafted:
        return self.scope().prepare(question, parse_history(list(history)))

    # -- for AssistantRunnable: retrieve as a child run, keep what the answer is written from
    def prepare(self, question: str, history: Sequence[Message],
                callbacks: CallbackManager) -> Drafted:
        """`Assistant.prepare`, reported to `callbacks` as this retriever's run (start,
        then end with the documents, or error)."""
        manager = CallbackManager.configure(callbacks, None, local_tags=self.tags,
                                            local_metadata=self.metadata)
        run = manager.on_retriever_start(None, question, name=self.get_name())
        try:
            drafted = self._prepare(question, history)
            docs = self.documents(drafted)
        except Exception as exc:
            run.on_retriever_error(exc)
            raise
        run.on_retriever_end(docs)
        return drafted

    async def aprepare(self, question: str, history: Sequence[Message],
                       callbacks: AsyncCallbackManager) -> Drafted:
        manager = AsyncCallbackManager.configure(callbacks, None, local_tags=self.tags,
                                                 local_metadata=self.metadata)
        run = await manager.on_retriever_start(None, question, name=self.get_name())
        try:
            drafted = await run_in_executor(None, self._prepare, question, history)
            docs = self.documents(drafted)
        except Exception as exc:
            await run.on_retriever_error(exc)
            raise
        await run.on_retriever_end(docs)
        return drafted


class AssistantRunnable(RunnableSerializable[AssistantInput, dict[str, Any]]):
    """The assistant as a `Runnable`: a question, or `{"question", "history"}`, in; the
    CLI's `--json` object (`Answer.to_json()`) out. `stream` yields `{"answer": text}`
    pieces, each holding whole `[n]` markers, exactly as the CLI and the chat API show
    them, then one last chunk with every other key (citations, refused, …); the chunks
    add up (`+`) to the invoke result unless the support check changed an answer already
    shown, which then ends with a note and the answer that stands (`assistant.serving.streaming`).
    The retrieval is a child run (`on_retriever_start`/`on_retriever_end` with the
    documents), so callbacks and tags in the `RunnableConfig` see it."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    article_id: str | None = None
    _retriever: ArticleRetriever | None = PrivateAttr(default=None)

    @property
    def retriever(self) -> ArticleRetriever:
        """The retriever this runnable answers from (same assistant, same article)."""
        if self._retriever is None:
            self._retriever = ArticleRetriever(assistant=self.assistant,
                                               article_id=self.article_id)
        return self._retriever

    def invoke(self, input: AssistantInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> dict[str, Any]:
        return self._call_with_config(self._invoke, input, config)

    async def ainvoke(self, input: AssistantInput, config: RunnableConfig | None = None,
                      **kwargs: Any) -> dict[str, Any]:
        return await self._acall_with_config(self._ainvoke, input, config)

    def stream(self, input: AssistantInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[dict[str, Any]]:
        yield from self._transform_stream_with_config(iter([input]), self._chunks, config,
                                                      **kwargs)

    async def astream(self, input: AssistantInput, config: RunnableConfig | None = None,
                      **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        async def one() -> AsyncIterator[AssistantInput]:
            yield input

        async for chunk in self._atransform_stream_with_config(one(), self._achunks, config,
                                                               **kwargs):
            yield chunk

    # -- the work, inside the chain run that _call_with_config & co. open
    def _invoke(self, input: AssistantInput, run_manager: CallbackManagerForChainRun
                ) -> dict[str, Any]:
        question, history = parse_input(input)
        drafted = self.retriever.prepare(question, history, run_manager.get_child())
        *_, result = self.retriever.scope().write(drafted)
        assert isinstance(result, Result)
        return _output(result)

    async def _ainvoke(self, input: AssistantInput,
                       run_manager: AsyncCallbackManagerForChainRun) -> dict[str, Any]:
        question, history = parse_input(input)
        drafted = await self.retriever.aprepare(question, history, run_manager.get_child())
        pieces = await run_in_executor(None, list, self.retriever.scope().write(drafted))
        result = pieces[-1]
        assert isinstance(result, Result)
        return _output(result)

    def _chunks(self, inputs: Iterator[AssistantInput],
                run_manager: CallbackManagerForChainRun) -> Iterator[dict[str, Any]]:
        question, history = parse_input(_only(list(inputs)))
        drafted = self.retriever.prepare(question, history, run_manager.get_child())
        for piece in as_shown(self.retriever.scope().write(drafted)):
            yield _chunk(piece)

    async def _achunks(self, inputs: AsyncIterator[AssistantInput],
                       run_manager: AsyncCallbackManagerForChainRun
                       ) -> AsyncIterator[dict[str, Any]]:
        question, history = parse_input(_only([i async for i in inputs]))
        drafted = await self.retriever.aprepare(question, history, run_manager.get_child())
        pieces = as_shown(self.retriever.scope().write(drafted))
        try:
            while (piece := await run_in_executor(None, next, pieces, None)) is not None:
                yield _chunk(piece)
        finally:  # a consumer that stops early closes the answerer's stream (a model call)
            pieces.close()


def parse_input(value: object) -> tuple[str, list[Message]]:
    """A question string, or `{"question": str, "history": [{"role", "content"}, …]}`;
    the question itself is checked by the assistant (`Assistant.check_question`)."""
    if isinstance(value, str):
        return value, []
    if not isinstance(value, dict) or "question" not in value:
        raise InputError('the input must be a question or an object with "question" (and '
                         'optionally "history")')
    if set(value) - {"question", "history"}:
        raise InputError(f"unknown input keys {sorted(set(value) - {'question', 'history'})}"
                         '; use "question" and "history"')
    return value["question"], parse_history(value.get("history", []))


def _only(inputs: list[AssistantInput]) -> AssistantInput:
    if len(inputs) != 1:
        raise InputError(f"one question per run, got {len(inputs)} inputs; use batch")
    return inputs[0]


def _output(result: Result) -> dict[str, Any]:
    """The `--json` object as the runnable's output type (a plain dict: chunks add up to it)."""
    return {**result.answer.to_json()}


def _chunk(piece: str | Result) -> AddableDict:
    if isinstance(piece, Result):
        return AddableDict({k: v for k, v in piece.answer.to_json().items() if k != "answer"})
    return AddableDict(answer=piece)
