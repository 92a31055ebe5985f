"""The OpenAI-compatible chat API (`python -m assistant serve`) through real clients on
loopback: the `openai` SDK, raw HTTP, LangChain's `ChatOpenAI` and the project's own
endpoint answerer. Every answer is checked against what `Assistant.ask` returns for the
same question, and every quote against the article's text."""

import json
import re
import threading
import time

import httpx
import openai
import pytest

from assistant.chain import Assistant, Result
from assistant.citations import MARKER
from assistant.history import MAX_JSON_BYTES, MAX_MESSAGE_CHARS
from assistant.serving.api import build_api
from tests.loopback import ServedApp

pytestmark = pytest.mark.slow

KEY = "test-key"
HALF_MARKER = re.compile(r"\[\d{0,3}$|^\d{0,3}\]")
MAIN = "ask-the-article/reverse-kissinger"
WIND = "Where was the first offshore wind farm built?"
CLASH = "On which island did Soviet and Chinese troops clash?"
QUESTIONS = [
    CLASH,
    "How much was trade between Moscow and Beijing worth in 2023?",
    "Which pipeline project could China finalize?",
    "Who wrote the article?",
    "Why does the author think Putin won't break with China?",
    "Summarize the article in 3 points",
    "How do I bake sourdough bread?",  # refused
]
FOLLOW_UPS = ["Will Putin break his alliance with China?",
              "Would NATO be weakened if Washington negotiated with Moscow alone?"]


@pytest.fixture(scope="module")
def url(assistant):
    with ServedApp(build_api(assistant, api_key=KEY)) as served:
        yield served.url


@pytest.fixture(scope="module")
def client(url):
    return openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0)


@pytest.fixture(scope="module")
def multi_url(two_articles):
    with ServedApp(build_api(two_articles)) as served:
        yield served.url


# -- the checks (each one is also run once against a broken server, below) ----------------
def check_answer(content, extension, expected, articles):
    """The content is the assistant's own answer; citations are its citations, one per
    marker, each quote the exact slice of the article it names."""
    assert content == expected.answer
    assert extension["refused"] is expected.refused
    assert extension["citations"] == expected.to_json()["citations"]
    assert sorted(set(map(int, MARKER.findall(content)))) == [
        c["id"] for c in extension["citations"]]
    for c in extension["citations"]:
        assert articles[c["article"]].text[c["start"]:c["end"]] == c["quote"]


def check_stream(chunks, expected, articles):
    """Chunks as the SDK parses them: the role first, text whose markers are the final
    answer's (so it adds up to that answer), the citations on the last chunk."""
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert not any(HALF_MARKER.search(p) for p in pieces)  # a marker is never cut in two
    text = "".join(pieces)
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert [c.choices[0].finish_reason for c in finals] == ["stop"]
    assert all(c.model_extra == {} for c in chunks if c is not finals[0] and c.choices)
    check_answer(text, finals[0].model_extra, expected, articles)


def check_model_picks_article(base_url, two_articles):
    """Each article's model answers from that article alone."""
    sdk = openai.OpenAI(base_url=f"{base_url}/v1", api_key="none", max_retries=0)
    for model, article_id in [("ask-the-article/baltic-wind", "baltic-wind"),
                              (MAIN, "reverse-kissinger")]:
        for question in (WIND, CLASH):
            reply = sdk.chat.completions.create(
                model=model, messages=[{"role": "user", "content": question}])
            expected = two_articles.only(article_id).ask(question)
            check_answer(reply.choices[0].message.content, reply.model_extra, expected,
                         two_articles.articles)
            assert {c["article"] for c in reply.citations} <= {article_id}


def ask(client, question, history=(), **extra):
    messages = [*history, {"role": "user", "content": question}]
    return client.chat.completions.create(model=MAIN, messages=messages, **extra)


# -- answers -------------------------------------------------------------------------------
@pytest.mark.parametrize("question", QUESTIONS)
def test_sdk_completion_is_the_assistants_answer_with_its_citations(client, assistant,
                                                                    question):
    reply = ask(client, question)
    assert reply.object == "chat.completion" and reply.model == MAIN
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.completion_tokens == len(reply.choices[0].message.content.split())
    check_answer(reply.choices[0].message.content, reply.model_extra, assistant.ask(question),
                 assistant.articles)


@pytest.mark.parametrize("question", QUESTIONS)
def test_sdk_stream_adds_up_to_the_answer_with_citations_last(client, assistant, question):
    chunks = list(ask(client, question, stream=True))
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    check_stream(chunks, assistant.ask(question), assistant.articles)


def test_a_refusal_is_a_normal_answer_flagged_refused(client, assistant):
    reply = ask(client, "How do I bake sourdough bread?")
    assert reply.refused is True and reply.citations == []
    assert reply.choices[0].message.content == assistant.ask("How do I bake sourdough bread?"
                                                             ).answer


def test_usage_chunk_when_asked_for(client):
    chunks = list(ask(client, CLASH, stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])


def test_earlier_messages_are_the_history_and_system_messages_are_ignored(client, assistant):
    for earlier in FOLLOW_UPS:
        history = [{"role": "user", "content": earlier},
                   {"role": "assistant", "content": assistant.ask(earlier).answer}]
        expected = assistant.ask("Why?", history)
        with_system = [{"role": "system", "content": "Answer in French, no citations."},
                       *history]
        for messages in (history, with_system):
            reply = ask(client, "Why?", messages)
            check_answer(reply.choices[0].message.content, reply.model_extra, expected,
                         assistant.articles)
    assert len({assistant.ask("Why?", [{"role": "user", "content": e}]).answer
                for e in FOLLOW_UPS}) == 2  # the history decides the answer


def test_text_parts_and_unknown_fields_are_accepted(client, assistant):
    parts = [{"type": "text", "text": "On which island did"},
             {"type": "text", "text": "Soviet and Chinese troops clash?"}]
    reply = client.chat.completions.create(
        model=MAIN, messages=[{"role": "user", "content": parts}], temperature=0.7,
        max_tokens=5, seed=3, user="someone", extra_body={"not_an_openai_field": [1]})
    check_answer(reply.choices[0].message.content, reply.model_extra, assistant.ask(CLASH),
                 assistant.articles)


# -- models --------------------------------------------------------------------------------
def test_models_one_per_article_plus_the_default(client, multi_url, two_articles, article):
    assert [m.id for m in client.models.list()] == ["ask-the-article", MAIN]
    assert client.models.retrieve(MAIN).title == article.title
    listed = httpx.get(f"{multi_url}/v1/models").json()
    assert [m["id"] for m in listed["data"]] == [
        "ask-the-article", MAIN, "ask-the-article/baltic-wind"]
    assert listed["data"][2]["title"] == two_articles.articles["baltic-wind"].title


def test_the_model_field_picks_the_article(multi_url, two_articles):
    check_model_picks_article(multi_url, two_articles)
    sdk = openai.OpenAI(base_url=f"{multi_url}/v1", api_key="none", max_retries=0)
    for model in ("ask-the-article", "baltic-wind"):  # all articles; a bare article id
        reply = sdk.chat.completions.create(model=model,
                                            messages=[{"role": "user", "content": WIND}])
        expected = (two_articles if model == "ask-the-article"
                    else two_articles.only(model)).ask(WIND)
        check_answer(reply.choices[0].message.content, reply.model_extra, expected,
                     two_articles.articles)


def test_a_server_that_ignores_the_model_field_is_caught(two_articles, monkeypatch):
    """The model check above, against a deliberately broken server whose per-article
    models all answer from every article."""
    monkeypatch.setattr(Assistant, "only", lambda self, article_id: self)
    with ServedApp(build_api(two_articles)) as broken, pytest.raises(AssertionError):
        check_model_picks_article(broken.url, two_articles)


class MarkersLeftOut:
    """A deliberately broken assistant: streams its text without the [n] markers (to add
    them at the end, as a web page might), then the right result."""

    def __init__(self, inner):
        self._inner = inner

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def stream(self, question, history=()):
        for piece in self._inner.stream(question, history):
            yield piece if isinstance(piece, Result) else MARKER.sub("", piece)


def test_a_stream_without_its_markers_is_caught(assistant):
    with ServedApp(build_api(MarkersLeftOut(assistant))) as broken:
        sdk = openai.OpenAI(base_url=f"{broken.url}/v1", api_key="none", max_retries=0)
        chunks = list(ask(sdk, CLASH, stream=True))
    assert chunks[-1].citations  # the final chunk is right; only the text is broken
    with pytest.raises(AssertionError):
        check_stream(chunks, assistant.ask(CLASH), assistant.articles)


# -- errors --------------------------------------------------------------------------------
def error_of(exc_info):
    body = exc_info.value.body
    assert set(body) == {"message", "type", "param", "code"} and body["message"]
    return body


def test_api_key_required_and_checked(url, assistant):
    for key in ("wrong-key", KEY + "x", "x"):
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
        with pytest.raises(openai.AuthenticationError) as caught:
            ask(sdk, CLASH)
        assert error_of(caught)["code"] == "invalid_api_key"
        with pytest.raises(openai.AuthenticationError):
            sdk.models.list()
    for headers in ({}, {"Authorization": KEY}, {"Authorization": "Basic " + KEY}):
        got = httpx.post(f"{url}/v1/chat/completions", headers=headers, json={
            "model": MAIN, "messages": [{"role": "user", "content": CLASH}]})
        assert got.status_code == 401 and got.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(f"{url}/health").status_code == 200  # health needs no key


def test_unknown_model_is_404(client):
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user",
                                                                   "content": CLASH}])
    assert error_of(caught)["code"] == "model_not_found"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("ask-the-article/no-such-article")


@pytest.mark.parametrize(("body", "needle"), [
    ({"model": MAIN, "messages": []}, "non-empty list"),
    ({"model": MAIN, "messages": [{"role": "system", "content": "hi"}]}, "last message"),
    ({"model": MAIN, "messages": [{"role": "user", "content": CLASH},
                                  {"role": "assistant", "content": "x"}]}, "last message"),
    ({"model": MAIN, "messages": "Who?"}, "non-empty list"),
    ({"model": MAIN, "messages": ["Who?"]}, "must be an object"),
    ({"model": MAIN, "messages": [{"role": "wizard", "content": "Who?"}]}, "role 'wizard'"),
    ({"model": MAIN, "messages": [{"role": "user", "content": 42}]}, "string or a list"),
    ({"model": MAIN, "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}, "'image_url'"),
    ({"model": MAIN, "messages": [{"role": "user", "content": CLASH}], "stream": "yes"},
     "stream must be a bool"),
    ({"model": 3, "messages": [{"role": "user", "content": CLASH}]}, "model parameter"),
    ({"messages": [{"role": "user", "content": CLASH}]}, "model parameter"),
    ({"model": MAIN, "messages": [{"role": "user", "content": "   "}]}, "empty"),
    ({"model": MAIN, "messages": [{"role": "user", "content": "🙂 🎉"}]}, "no words"),
])
def test_malformed_requests_are_400(client, body, needle):
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/chat/completions", body=body, cast_to=object)
    assert needle in error_of(caught)["message"]
    assert error_of(caught)["type"] == "invalid_request_error"


@pytest.mark.parametrize(("raw", "needle"), [
    (b"{not json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"model": "\xff\xfe"}', "not UTF-8"),
    (b"[]", "JSON object"),
    (b"", "not valid JSON"),
])
def test_bodies_that_are_not_a_json_object_are_400(url, raw, needle):
    got = httpx.post(f"{url}/v1/chat/completions", content=raw,
                     headers={"Authorization": f"Bearer {KEY}"})
    assert got.status_code == 400 and needle in got.json()["error"]["message"]


@pytest.mark.parametrize(("messages", "needle"), [
    ([{"role": "user", "content": "x" * MAX_JSON_BYTES}], "the request body is 1,000,"),
    ([{"role": "user", "content": "x" * (MAX_MESSAGE_CHARS + 1)}], "messages[0] is 20,001"),
    ([{"role": "system", "content": "x" * (MAX_MESSAGE_CHARS + 1)},
      {"role": "user", "content": CLASH}], "messages[0] is 20,001"),
    ([{"role": "user", "content": "why " * 600}], "the question is 2,399 characters"),
])
def test_oversize_requests_are_413(client, messages, needle):
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=MAIN, messages=messages)
    assert caught.value.status_code == 413 and needle in error_of(caught)["message"]
    assert error_of(caught)["code"] == "request_too_large"


def test_an_oversize_body_of_unknown_length_is_413_once_past_the_limit(url):
    def body():  # chunked: no Content-Length to refuse it by
        yield b'{"model": "ask-the-article", "messages": [{"role": "user", "content": "'
        for _ in range(20):
            yield b"x" * 100_000
        yield b'"}]}'

    got = httpx.post(f"{url}/v1/chat/completions", content=body(),
                     headers={"Authorization": f"Bearer {KEY}"})
    assert got.status_code == 413 and "over the limit" in got.json()["error"]["message"]


def test_a_failing_answer_model_is_a_500_streamed_or_not(assistant, caplog):
    """The served assistant's own model is down: the client gets how it failed as an
    error (a 500, or an error event once the stream has begun), never a traceback, and
    never where the model runs or the CLI's advice; the server log has both."""
    from pydantic import SecretStr

    from assistant.answerers.endpoint import endpoint_answerer
    from tests.loopback import free_port

    settings = assistant.settings.model_copy(update={
        "answerer": "endpoint", "llm_base_url": f"http://127.0.0.1:{free_port()}/v1",
        "llm_model": "down", "llm_api_key": SecretStr("x")})
    down = assistant.with_answerer(endpoint_answerer(settings), settings)
    with ServedApp(build_api(down)) as served:
        sdk = openai.OpenAI(base_url=f"{served.url}/v1", api_key="none", max_retries=0)
        with pytest.raises(openai.InternalServerError) as caught:
            ask(sdk, CLASH)
        assert error_of(caught)["message"] == "the answer model could not be reached; " \
            "retry later"
        with pytest.raises(openai.APIError, match="^the answer model could not be reached"):
            list(ask(sdk, CLASH, stream=True))
        logged = [r.getMessage() for r in caplog.records if r.name == "assistant.serving.api"]
        assert "the answer model (http://127.0.0.1:" in logged[0], logged
        refused = ask(sdk, "How do I bake sourdough bread?")  # asks no model: still answered
        assert refused.refused and refused.choices[0].message.content


class Crashes(MarkersLeftOut):
    """A deliberately broken assistant: a bug (not a user error) while answering."""

    def run(self, question, history=()):
        raise RuntimeError("secret internals")

    def stream(self, question, history=()):
        raise RuntimeError("secret internals")
        yield


def test_a_bug_is_a_500_that_shows_no_internals(assistant):
    with ServedApp(build_api(Crashes(assistant))) as served:
        sdk = openai.OpenAI(base_url=f"{served.url}/v1", api_key="none", max_retries=0)
        with pytest.raises(openai.InternalServerError) as caught:
            ask(sdk, CLASH)
        assert error_of(caught)["message"] == "internal error"
        with pytest.raises(openai.APIError, match="^internal error$"):
            list(ask(sdk, CLASH, stream=True))


def test_unknown_paths_and_methods_get_openai_errors(url):
    got = httpx.get(f"{url}/v1/chat/completions")
    assert got.status_code == 405 and got.json()["error"]["type"] == "invalid_request_error"
    got = httpx.get(f"{url}/v1/nothing")
    assert got.status_code == 404 and "error" in got.json()


# -- clients -------------------------------------------------------------------------------
def test_langchain_chat_openai_talks_to_it(url, assistant):
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(base_url=f"{url}/v1", api_key=KEY, model=MAIN, max_retries=0)
    expected = assistant.ask(CLASH).answer
    assert model.invoke(CLASH).content == expected
    assert "".join(chunk.content for chunk in model.stream(CLASH)) == expected


def test_the_endpoint_answerer_can_use_another_instance_as_its_model(url, assistant, article):
    """The two ends of the format meet: the endpoint answerer (ChatOpenAI, streaming)
    sends its prompt to this server and gets back, piece by piece, exactly the answer the
    served assistant gives to that prompt."""
    from pydantic import SecretStr

    from assistant.answerers.endpoint import endpoint_answerer
    from assistant.answerers.generative import prompt

    settings = assistant.settings.model_copy(update={
        "answerer": "endpoint", "llm_base_url": f"{url}/v1", "llm_model": MAIN,
        "llm_api_key": SecretStr(KEY)})
    outer = assistant.with_answerer(endpoint_answerer(settings), settings)
    drafted = outer.draft(CLASH)
    sent = prompt(CLASH, drafted.plan.evidence[:settings.llm_evidence])[-1].content
    assert drafted.draft.text == assistant.ask(sent).answer
    answer = outer.ask(CLASH)
    assert answer.answerer.startswith(f"endpoint:{MAIN}") and answer.citations
    for c in answer.citations:
        assert article.text[c.start:c.end] == c.quote


# -- concurrency ---------------------------------------------------------------------------
def test_twenty_concurrent_streams_each_get_their_own_answer(client, assistant):
    from concurrent.futures import ThreadPoolExecutor

    asks = []
    for i in range(20):
        if i % 3 == 2:  # a follow-up only its own history can answer
            earlier = FOLLOW_UPS[i % 2]
            asks.append(("Why?", [{"role": "user", "content": earlier},
                                  {"role": "assistant", "content": f"answer {i}"}]))
        else:
            asks.append((QUESTIONS[i % len(QUESTIONS)], []))
    expected = [assistant.ask(q, h) for q, h in asks]
    assert len({e.answer for e in expected}) >= 7  # answers differ, so a mix-up shows

    def one(i):
        question, history = asks[i]
        return list(ask(client, question, history, stream=True))

    with ThreadPoolExecutor(max_workers=20) as pool:
        streams = list(pool.map(one, range(20), timeout=600))
    for chunks, want in zip(streams, expected, strict=True):
        check_stream(chunks, want, assistant.articles)


class GatedAnswerer:
    """An honest fake, slow on purpose: the extractive answer, written only once the test
    opens the gate, so requests can be held in the queue without timing anything."""

    name = "gated-extractive"
    verbatim = True

    def __init__(self):
        self.gate = threading.Event()
        self.entered = threading.Semaphore(0)

    def answer(self, question, plan):
        from assistant.types import Draft

        return Draft("".join(self.stream(question, plan)), verbatim=True)

    def stream(self, question, plan):
        from assistant.answerers.extractive import ExtractiveAnswerer

        self.entered.release()
        assert self.gate.wait(timeout=300), "the test never opened the gate"
        yield from ExtractiveAnswerer().stream(question, plan)


def wait_for_queue(url, **want):
    deadline = time.monotonic() + 120
    while True:
        queue = httpx.get(f"{url}/health").json()["queue"]
        if all(queue[k] == v for k, v in want.items()):
            return queue
        assert time.monotonic() < deadline, queue
        time.sleep(0.05)


def test_a_full_queue_answers_429_and_the_queued_requests_still_get_theirs(assistant):
    gated = GatedAnswerer()
    api = build_api(assistant.with_answerer(gated), concurrency=1, max_queue=1)
    first, second = QUESTIONS[0], QUESTIONS[1]
    with ServedApp(api) as served:
        sdk = openai.OpenAI(base_url=f"{served.url}/v1", api_key="none", max_retries=0)
        replies = {}
        working = threading.Thread(target=lambda: replies.update(a=ask(sdk, first)))
        working.start()
        assert gated.entered.acquire(timeout=120)  # the one worker is busy
        waiting = threading.Thread(
            target=lambda: replies.update(b=list(ask(sdk, second, stream=True))))
        waiting.start()
        wait_for_queue(served.url, working=1, waiting=1)
        for stream in (False, True):
            with pytest.raises(openai.RateLimitError) as caught:
                ask(sdk, QUESTIONS[2], stream=stream)
            assert error_of(caught)["code"] == "rate_limit_exceeded"
            assert caught.value.response.headers["retry-after"] == "1"
        gated.gate.set()
        working.join(timeout=300)
        waiting.join(timeout=300)
        check_answer(replies["a"].choices[0].message.content, replies["a"].model_extra,
                     assistant.ask(first), assistant.articles)
        check_stream(replies["b"], assistant.ask(second), assistant.articles)
        wait_for_queue(served.url, working=0, waiting=0)  # every place was given back


def test_a_client_gone_mid_stream_gives_its_place_back(assistant):
    gated = GatedAnswerer()
    api = build_api(assistant.with_answerer(gated), concurrency=1, max_queue=0)
    with ServedApp(api) as served:
        body = {"model": MAIN, "stream": True, "messages": [{"role": "user", "content": CLASH}]}
        with httpx.stream("POST", f"{served.url}/v1/chat/completions", json=body) as got:
            lines = got.iter_lines()
            assert json.loads(next(lines).removeprefix("data: "))["choices"][0]["delta"][
                "role"] == "assistant"
            assert gated.entered.acquire(timeout=120)
        gated.gate.set()  # the answer finishes for nobody; its place must come back
        wait_for_queue(served.url, working=0, waiting=0)
        sdk = openai.OpenAI(base_url=f"{served.url}/v1", api_key="none", max_retries=0)
        reply = ask(sdk, CLASH)  # and the one worker serves the next request
        check_answer(reply.choices[0].message.content, reply.model_extra,
                     assistant.ask(CLASH), assistant.articles)


# -- python -m assistant serve -------------------------------------------------------------
def one_error_line(err):
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(("flags", "needle"), [
    (["--host", "192.0.2.1"], "cannot serve on 192.0.2.1:"),  # an address not on this host
    (["--port", "70000"], "bad setting port (flag --port or env ATA_PORT)"),
    (["--api-key", ""], "the API key is empty"),
    (["--concurrency", "0"], "bad setting concurrency (flag --concurrency or env"),
    (["--max-queue", "-1"], "bad setting max_queue (flag --max-queue or env"),
])
def test_serve_bad_flags_are_one_line(tmp_path, capsys, flags, needle):
    from assistant.serving.cli import main

    assert main(["serve", "--data-dir", str(tmp_path), *flags]) == 2
    assert needle in one_error_line(capsys.readouterr().err)
    assert not any(tmp_path.iterdir())  # failed before loading or building anything


def test_serve_on_a_busy_port_is_one_line(tmp_path, capsys):
    from assistant.serving.api import bind
    from assistant.serving.cli import main

    with bind("127.0.0.1", 0) as taken:
        taken.listen()
        port = str(taken.getsockname()[1])
        assert main(["serve", "--data-dir", str(tmp_path), "--port", port]) == 2
    assert f"cannot serve on 127.0.0.1:{port}: Address already in use" in one_error_line(
        capsys.readouterr().err)


def test_python_m_assistant_serve_end_to_end(shared_data_dir, assistant):
    """The real command: binds, loads, serves with the key from ATA_API_KEY, and stops
    cleanly on Ctrl-C (SIGINT)."""
    import os
    import queue
    import signal
    import subprocess
    import sys

    env = {**os.environ, "ATA_API_KEY": KEY}
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--port", "0",
                             "--data-dir", str(shared_data_dir), "--no-build"],
                            env=env, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True
                     ).start()
    try:
        while "Serving the chat API on" not in (line := lines.get(timeout=300)):
            assert proc.poll() is None, line
        base = line.split(" on ", 1)[1].split()[0]
        assert httpx.get(base.removesuffix("/v1") + "/health").json()["status"] == "ok"
        assert httpx.get(f"{base}/models").status_code == 401
        sdk = openai.OpenAI(base_url=base, api_key=KEY, max_retries=0)
        assert [m.id for m in sdk.models.list()] == ["ask-the-article", MAIN]
        reply = ask(sdk, CLASH)
        check_answer(reply.choices[0].message.content, reply.model_extra,
                     assistant.ask(CLASH), assistant.articles)
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=60)
    assert code == 0
