"""The assistant inside a LangChain app (`assistant.serving.langchain`): the retriever returns the
sentences the assistant cites, sliced from the article; the runnable returns the CLI's
JSON; callbacks see the retrieval; both compose with the textbook retrieval chain.

Most tests run every stage over the fake bee-keeping index (`tests.fakes`); the ones
marked slow use the real models and the real article, and the chat API on loopback."""

import asyncio
import re
import subprocess
import sys

import pytest
from langchain_classic.chains import create_retrieval_chain
from langchain_classic.chains.combine_documents import create_stuff_documents_chain
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate

from assistant.answerers.extractive import ExtractiveAnswerer
from assistant.citations import MARKER
from assistant.serving.langchain import ArticleRetriever, AssistantRunnable
from source.errors import InputError
from tests.fakes import fake_assistant as make_fake_assistant

HALF_MARKER = re.compile(r"\[\d{0,3}$|^\d{0,3}\]")  # as in test_api: a marker cut in two
WINTER = "Why do new hives fail in their first winter?"
HONEY = "How much honey does each hive give?"
SOLD = "Where is it sold?"
REFUSED = "How do I bake sourdough bread?"
PROMPT = ChatPromptTemplate.from_messages([
    ("system", "Answer the question using only this context:\n\n{context}"),
    ("human", "{input}")])


def check_exact(docs, articles):
    """The exactness check: every document is the slice of its article its offsets name."""
    for d in docs:
        m = d.metadata
        assert d.page_content == articles[m["article_id"]].text[m["start"]:m["end"]], (
            f"not the article's text at {m['start']}–{m['end']}: {d.page_content!r}")


def without_timings(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "timings_ms"}


class Recorder(BaseCallbackHandler):
    """Every callback event a run sends, in order, with what it carried."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_chain_start(self, serialized, inputs, **kw):  # noqa: ANN001, ANN201
        self.events.append(("chain_start", kw.get("name"), tuple(kw.get("tags") or ())))

    def on_retriever_start(self, serialized, query, **kw):  # noqa: ANN001, ANN201
        self.events.append(("retriever_start", query, tuple(kw.get("tags") or ()),
                            kw.get("parent_run_id")))

    def on_retriever_end(self, documents, **kw):  # noqa: ANN001, ANN201
        self.events.append(("retriever_end", list(documents)))

    def on_chat_model_start(self, serialized, messages, **kw):  # noqa: ANN001, ANN201
        self.events.append(("model_start", [m.content for batch in messages for m in batch]))

    def named(self, kind: str) -> list[tuple]:
        return [e for e in self.events if e[0] == kind]


class CharByCharAnswerer(ExtractiveAnswerer):
    """The extractive answer streamed one character at a time, as a model streams tokens:
    every marker arrives in pieces ("[", "1", "]")."""

    name = "char-by-char"

    def stream(self, question, plan):  # noqa: ANN001, ANN201
        for piece in super().stream(question, plan):
            yield from piece


class ParaphrasingRetriever(ArticleRetriever):
    """Deliberately broken: the right sentences and offsets, but reworded text."""

    def documents(self, drafted):  # noqa: ANN001, ANN201
        return [Document(page_content=d.page_content.replace("fail", "do not survive"),
                         metadata=d.metadata) for d in super().documents(drafted)]


@pytest.fixture(scope="module")
def bees():
    return make_fake_assistant()


@pytest.fixture(scope="module")
def retriever(bees):
    return ArticleRetriever(assistant=bees)


@pytest.fixture(scope="module")
def runnable(bees):
    return AssistantRunnable(assistant=bees)


# -- the retriever -------------------------------------------------------------------------
@pytest.mark.parametrize("question", [WINTER, HONEY, "Is urban beekeeping safe?"])
def test_documents_are_the_articles_text_at_their_offsets(retriever, bees, question):
    docs = retriever.invoke(question)
    assert docs
    check_exact(docs, bees.articles)
    for d in docs:
        assert d.metadata["title"] == "Keeping Bees in a City Garden"
        assert d.metadata["article_id"] == "bees" and d.metadata["answerable"] is True
        assert set(d.metadata) == {"article_id", "title", "start", "end", "section", "score",
                                   "sentence_id", "kind", "answerable", "premise_rejected"}


@pytest.mark.parametrize("question", [WINTER, HONEY])
def test_documents_are_the_sentences_the_answer_cites(retriever, bees, question):
    """With the extractive answerer every retrieved sentence is cited, and nothing else."""
    docs = retriever.invoke(question)
    cited = {(c.start, c.end) for c in bees.ask(question).citations}
    assert {(d.metadata["start"], d.metadata["end"]) for d in docs} == cited


def test_a_question_the_assistant_refuses_gets_no_documents(retriever, bees):
    assert bees.ask(REFUSED).refused
    assert retriever.invoke(REFUSED) == []


def test_the_winter_question_retrieves_the_reasons(retriever):
    texts = [d.page_content for d in retriever.invoke(WINTER)]
    assert "Most new hives fail in their first winter." in texts
    assert any("varroa mites" in t for t in texts)


def test_a_follow_up_is_retrieved_with_its_history(retriever):
    history = [{"role": "user", "content": "When do most new hives fail?"},
               {"role": "assistant", "content": "In their first winter [1]."}]
    assert retriever.invoke("Why?") == []  # alone, it names nothing the article says
    followed = [d.page_content for d in retriever.invoke("Why?", history=history)]
    assert "Secondly, varroa mites weaken the bees." in followed


@pytest.mark.parametrize("history", [[{"role": "system", "content": "x"}], [{"role": "user"}]])
def test_a_bad_history_is_an_input_error(retriever, history):
    with pytest.raises(InputError, match="history: message 0"):
        retriever.invoke(WINTER, history=history)


def test_async_retrieval_returns_the_same_documents(retriever):
    async def both():
        return await asyncio.gather(retriever.ainvoke(WINTER), retriever.ainvoke(HONEY))

    assert asyncio.run(both()) == [retriever.invoke(WINTER), retriever.invoke(HONEY)]


def test_a_paraphrasing_retriever_fails_the_exactness_check(bees):
    broken = ParaphrasingRetriever(assistant=bees).invoke(WINTER)
    assert any("do not survive" in d.page_content for d in broken)
    with pytest.raises(AssertionError, match="not the article's text"):
        check_exact(broken, bees.articles)


def test_one_article_of_the_library(bees):
    from assistant.chain import Assistant
    from tests.fakes import fake_index

    wasps = fake_index("# Wasps\n\nWasps make no honey. They eat other insects.\n", "wasps")
    library = Assistant(bees.settings, index=[bees.index, wasps],  # as `index add` gives
                        answerer=ExtractiveAnswerer(), judge=bees._judge).warm_up()
    question = "Do wasps make honey?"
    only_bees = ArticleRetriever(assistant=library, article_id="bees").invoke(question)
    only_wasps = ArticleRetriever(assistant=library, article_id="wasps").invoke(question)
    assert {d.metadata["article_id"] for d in only_wasps} == {"wasps"}
    assert {d.metadata["article_id"] for d in only_bees} <= {"bees"}
    check_exact(only_wasps, library.articles)
    with pytest.raises(InputError, match="no article 'ants'"):
        ArticleRetriever(assistant=library, article_id="ants").invoke(question)


# -- the runnable --------------------------------------------------------------------------
@pytest.mark.parametrize("question", [WINTER, HONEY, REFUSED])
def test_invoke_returns_the_clis_json(runnable, bees, question):
    assert without_timings(runnable.invoke(question)) == without_timings(
        bees.ask(question).to_json())


def test_a_question_with_history(runnable, bees):
    history = [{"role": "user", "content": "When do most new hives fail?"},
               {"role": "assistant", "content": "In their first winter [1]."}]
    answer = runnable.invoke({"question": "Why?", "history": history})
    assert answer == {**bees.ask("Why?", history).to_json(), "timings_ms": answer["timings_ms"]}
    assert not answer["refused"] and runnable.invoke("Why?")["refused"]
    assert "varroa mites" in answer["answer"]


def test_batch_and_abatch_answer_each_question_in_order(runnable, bees):
    questions = [WINTER, REFUSED, HONEY]
    expected = [without_timings(bees.ask(q).to_json()) for q in questions]
    assert [without_timings(a) for a in runnable.batch(questions)] == expected
    got = asyncio.run(runnable.abatch(questions))
    assert [without_timings(a) for a in got] == expected


def test_ainvoke_equals_invoke(runnable):
    assert without_timings(asyncio.run(runnable.ainvoke(WINTER))) == without_timings(
        runnable.invoke(WINTER))


def test_streamed_chunks_never_split_a_marker_and_add_up_to_the_answer():
    runnable = AssistantRunnable(assistant=make_fake_assistant(answerer=CharByCharAnswerer()))
    chunks = list(runnable.stream(WINTER))
    texts = [c["answer"] for c in chunks if "answer" in c]
    assert len(texts) > 10  # it did stream
    assert not any(HALF_MARKER.search(t) for t in texts)
    assert MARKER.search("".join(texts))
    assert set(chunks[-1]) == {"question", "refused", "citations", "support", "answerer",
                               "premise_rejected", "timings_ms"}
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert without_timings(total) == without_timings(runnable.invoke(WINTER))


def test_astream_yields_what_stream_yields():
    runnable = AssistantRunnable(assistant=make_fake_assistant(answerer=CharByCharAnswerer()))

    async def collect():
        return [c async for c in runnable.astream(WINTER)]

    got, expected = asyncio.run(collect()), list(runnable.stream(WINTER))
    assert [c.get("answer") for c in got] == [c.get("answer") for c in expected]
    assert without_timings(got[-1]) == without_timings(expected[-1])


def test_it_streams_inside_a_sequence(runnable, bees):
    from langchain_core.runnables import RunnableLambda

    chain = RunnableLambda(str.strip) | runnable
    chunks = list(chain.stream(f"  {HONEY}  "))
    assert "".join(c.get("answer", "") for c in chunks) == bees.ask(HONEY).answer
    assert chunks[-1]["citations"] == bees.ask(HONEY).to_json()["citations"]


def test_an_astream_left_early_closes_the_answerers_stream():
    from tests.fakes import GatedAnswerer

    answerer = GatedAnswerer()
    answerer.gate.set()
    runnable = AssistantRunnable(assistant=make_fake_assistant(answerer=answerer))

    async def first_piece():
        async for chunk in runnable.astream(WINTER):
            return chunk

    assert "answer" in asyncio.run(first_piece())
    assert answerer.asked == [WINTER] and answerer.finished == []


@pytest.mark.parametrize("bad", [{"q": WINTER}, {"question": WINTER, "extra": 1}, 42,
                                 {"question": WINTER, "history": "nope"}, "   "])
def test_bad_input_is_an_input_error(runnable, bad):
    with pytest.raises(InputError):
        runnable.invoke(bad)


@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke", "astream"])
def test_callbacks_and_tags_see_the_retrieval_with_its_documents(runnable, retriever, how):
    recorder = Recorder()
    config = {"callbacks": [recorder], "tags": ["my-app"]}
    if how == "invoke":
        answer = runnable.invoke(WINTER, config)
    elif how == "stream":
        *_, answer = runnable.stream(WINTER, config)
    elif how == "ainvoke":
        answer = asyncio.run(runnable.ainvoke(WINTER, config))
    else:
        async def last():
            return [c async for c in runnable.astream(WINTER, config)][-1]

        answer = asyncio.run(last())
    [(_, name, chain_tags)] = recorder.named("chain_start")
    [(_, query, tags, parent)] = recorder.named("retriever_start")
    [(_, documents)] = recorder.named("retriever_end")
    assert name == "AssistantRunnable" and "my-app" in chain_tags
    assert query == WINTER and "my-app" in tags and parent is not None
    assert documents == retriever.invoke(WINTER)
    assert [d.page_content for d in documents] == [c["quote"] for c in answer["citations"]]


def test_astream_events_show_the_retrieval_with_its_documents(runnable, retriever):
    async def events():
        return [e async for e in runnable.astream_events(WINTER, {"tags": ["my-app"]},
                                                         version="v2")
                if e["event"].startswith("on_retriever")]

    start, end = asyncio.run(events())
    assert start["event"] == "on_retriever_start" and start["name"] == "ArticleRetriever"
    assert start["data"]["input"] == {"query": WINTER} and "my-app" in start["tags"]
    assert end["event"] == "on_retriever_end"
    assert end["data"]["output"] == retriever.invoke(WINTER)


def test_constructing_loads_nothing(tmp_path):
    from assistant.chain import Assistant
    from assistant.settings import load_settings

    lazy = Assistant(load_settings(data_dir=tmp_path))
    ArticleRetriever(assistant=lazy)
    AssistantRunnable(assistant=lazy)
    assert lazy._ready is False and not (tmp_path / "indexes").exists()


def test_importing_loads_no_model():
    code = ("import sys, assistant.serving.langchain; "
            "print(sorted(m for m in ('torch', 'onnxruntime', "
            "'sentence_transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


# -- the textbook chain with our retriever -------------------------------------------------
def test_the_textbook_chain_runs_on_our_retriever_with_a_fake_chat_model(retriever, bees):
    fake = GenericFakeChatModel(messages=iter([AIMessage("A fake model's reply.")]))
    recorder = Recorder()
    chain = create_retrieval_chain(retriever, create_stuff_documents_chain(fake, PROMPT))
    out = chain.invoke({"input": WINTER}, {"callbacks": [recorder]})
    assert out["answer"] == "A fake model's reply."
    assert out["context"] == retriever.invoke(WINTER)
    check_exact(out["context"], bees.articles)
    [(_, sent)] = recorder.named("model_start")
    assert sent[0] == ("Answer the question using only this context:\n\n"
                       + "\n\n".join(d.page_content for d in out["context"]))
    assert sent[1] == WINTER


def test_the_textbook_chain_streams_our_context_then_the_models_tokens(retriever):
    fake = GenericFakeChatModel(messages=iter([AIMessage("Cold, mites and opening.")]))
    chain = create_retrieval_chain(retriever, create_stuff_documents_chain(fake, PROMPT))
    chunks = list(chain.stream({"input": WINTER}))
    contexts = [c["context"] for c in chunks if "context" in c]
    assert contexts == [retriever.invoke(WINTER)]
    assert "".join(c.get("answer", "") for c in chunks) == "Cold, mites and opening."


# -- real models, the real article, and the chat API as the chain's model ------------------
@pytest.mark.slow
def test_real_retriever_quotes_the_article_the_answer_cites(assistant, article):
    question = "On which island did Soviet and Chinese troops clash?"
    docs = ArticleRetriever(assistant=assistant).invoke(question)
    check_exact(docs, assistant.articles)
    assert {d.metadata["article_id"] for d in docs} == {article.article_id}
    cited = {(c.start, c.end) for c in assistant.ask(question).citations}
    assert cited <= {(d.metadata["start"], d.metadata["end"]) for d in docs}


@pytest.mark.slow
def test_the_textbook_chain_with_chat_openai_against_our_own_server(assistant):
    """Any OpenAI-compatible model: here the project's own chat API on loopback, through
    `ChatOpenAI`. The server ignores system messages, so its reply is its own answer to
    the question; the chain's context is our retriever's documents."""
    from langchain_openai import ChatOpenAI

    from assistant.serving.api import build_api
    from tests.loopback import ServedApp

    question = "How much was trade between Moscow and Beijing worth in 2023?"
    retriever = ArticleRetriever(assistant=assistant)
    with ServedApp(build_api(assistant, api_key="k")) as served:
        llm = ChatOpenAI(base_url=f"{served.url}/v1", api_key="k", max_retries=0,
                         model="ask-the-article/reverse-kissinger")
        out = create_retrieval_chain(retriever, create_stuff_documents_chain(llm, PROMPT)
                                     ).invoke({"input": question})
    assert out["answer"] == assistant.ask(question).answer
    assert out["context"] == retriever.invoke(question) and out["context"]
    check_exact(out["context"], assistant.articles)
