"""The endpoint answerer through the real `ChatOpenAI` client against FakeOpenAIServer on
loopback: prose with exact quotes, bad numbers dropped, unsupported sentences removed,
refusals kept, streams never showing a broken marker, failures as one clear line."""

import json
import os
import subprocess
import sys

import pytest

from assistant.answerers.endpoint import endpoint_answerer
from assistant.chain import Result
from assistant.citations import MARKER
from assistant.settings import load_settings
from source.errors import ConfigError
from tests.fake_openai import FakeOpenAIServer, numbered_sentences

pytestmark = pytest.mark.slow

ZHENBAO = "On which island did Soviet and Chinese troops clash?"


def with_endpoint(assistant, server, **overrides):
    settings = assistant.settings.model_copy(update={
        "answerer": "endpoint", "llm_base_url": server.url, "llm_model": "fake-model",
        **overrides})
    return assistant.with_answerer(endpoint_answerer(settings), settings)


def grounded(answer, article):
    assert not answer.refused and answer.citations
    assert sorted(set(int(n) for n in MARKER.findall(answer.answer))) == [
        c.id for c in answer.citations]
    for c in answer.citations:
        assert article.text[c.start:c.end] == c.quote


def test_prose_answer_cites_exact_quotes(assistant, article):
    with FakeOpenAIServer() as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert answer.answer.startswith("The article says that")
    assert any("Zhengbao" in c.quote for c in answer.citations)
    assert answer.answerer == "endpoint:fake-model"
    assert [s.score >= 0.5 for s in answer.support] == [True]
    body = server.requests[0]["body"]
    assert body["model"] == "fake-model" and body["temperature"] == 0 and body["stream"]
    assert 1 <= len(numbered_sentences(body["messages"])) <= assistant.settings.llm_evidence


def test_numbers_the_model_was_not_given_are_never_shown(assistant, article):
    def reply(messages):
        first = numbered_sentences(messages)[1].rstrip(".")
        return f"{first} [1][42]. {first} [0]."

    with FakeOpenAIServer(reply) as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert "[42]" not in answer.answer and "[0]" not in answer.answer
    assert len(answer.citations) == 1


def test_unsupported_sentences_are_removed(assistant, article):
    def reply(messages):
        first = numbered_sentences(messages)[1].rstrip(".")
        return f"{first} [1]. Putin secretly admires Finnish saunas and reindeer [1]."

    with FakeOpenAIServer(reply) as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert "saunas" not in answer.answer
    assert len(answer.support) == 1 and answer.support[0].score >= 0.5


def test_nothing_supported_falls_back_to_the_extractive_answer(assistant, article):
    with FakeOpenAIServer(lambda m: "The clash happened on Taiwan in 2024 [1].") as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert answer.answerer == "endpoint:fake-model → extractive"
    assert "Taiwan" not in answer.answer and "Zhengbao" in answer.answer


@pytest.mark.parametrize("reply", ["The article doesn't say.",
                                   "These sentences do not answer the question."])
def test_the_model_declining_an_answerable_question_falls_back_to_quotes(assistant, article,
                                                                         reply):
    """Whether the article answers is decided once, by the verification stage, before the
    model is asked; a (small) model that declines anyway does not overrule it."""
    with FakeOpenAIServer(lambda m: reply) as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert answer.answerer == "endpoint:fake-model → extractive"
    assert "Zhengbao" in answer.answer and "doesn't say" not in answer.answer


def test_an_answer_from_the_models_own_knowledge_is_never_shown(assistant, article):
    reply = "From general knowledge: water boils at 100 °C at sea level."
    with FakeOpenAIServer(lambda m: reply) as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert "boils" not in answer.answer
    assert answer.answerer == "endpoint:fake-model → extractive"


def test_out_of_article_question_is_refused_without_calling_the_model(assistant):
    with FakeOpenAIServer() as server:
        answer = with_endpoint(assistant, server).ask("How do I bake sourdough bread?")
    assert answer.refused and server.requests == []


def test_stream_never_shows_a_broken_marker(assistant, article):
    def reply(messages):
        sentences = numbered_sentences(messages)
        return f"First point [1]. {sentences[1].rstrip('.')} [1][2]. Bad number [77]."

    with FakeOpenAIServer(reply, chunk_chars=1) as server:
        pieces = list(with_endpoint(assistant, server).stream(ZHENBAO))
    result = pieces[-1]
    assert isinstance(result, Result)
    shown = ""
    for piece in pieces[:-1]:
        shown += piece
        # every prefix the reader saw holds only whole markers with given numbers
        assert "[" not in MARKER.sub("", shown)
        assert all(1 <= int(n) <= 2 for n in MARKER.findall(shown))
    assert "first_token" in result.answer.timings_ms
    grounded(result.answer, article)


def test_settings_errors_are_clear():
    with pytest.raises(ConfigError, match="--llm-base-url"):
        endpoint_answerer(load_settings(answerer="endpoint", llm_model="m"))
    with pytest.raises(ConfigError, match="not an http"):
        endpoint_answerer(load_settings(answerer="endpoint", llm_base_url="ftp://x",
                                        llm_model="m"))
    with pytest.raises(ConfigError, match="--llm-model"):
        endpoint_answerer(load_settings(answerer="endpoint", llm_base_url="http://x/v1"))


def run_cli(args, data_dir):
    env = {**os.environ, "ATA_DATA_DIR": str(data_dir), "ATA_LLM_API_KEY": "sk-test-secret"}
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_json_through_the_endpoint(assistant, shared_data_dir, article):
    with FakeOpenAIServer() as server:
        out = run_cli(["ask", "--json", "--answerer", "endpoint", "--llm-base-url", server.url,
                       "--llm-model", "fake-model", ZHENBAO], shared_data_dir)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answerer"] == "endpoint:fake-model" and data["support"]
    assert all(article.text[c["start"]:c["end"]] == c["quote"] for c in data["citations"])
    assert server.requests[0]["auth"] == "Bearer sk-test-secret"


def test_cli_with_the_endpoint_down_is_one_error_line(assistant, shared_data_dir):
    with FakeOpenAIServer() as server:
        url = server.url  # closed when the block ends: nothing listens there any more
    out = run_cli(["ask", "--answerer", "endpoint", "--llm-base-url", url,
                   "--llm-model", "fake-model", ZHENBAO], shared_data_dir)
    assert out.returncode == 2
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: the answer model") and url in lines[0]
    assert "Traceback" not in out.stderr


def test_leading_markers_move_behind_their_sentence(assistant, article):
    def reply(messages):
        return f"[1] {numbered_sentences(messages)[1]}"

    with FakeOpenAIServer(reply) as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert answer.answer.endswith("Beijing [1].") and answer.answerer == "endpoint:fake-model"


def test_a_supported_sentence_left_uncited_gets_its_citation(assistant, article):
    def reply(messages):  # right, in the article's words, but without a number
        return f"{numbered_sentences(messages)[1]} Also Putin loves saunas."

    with FakeOpenAIServer(reply) as server:
        answer = with_endpoint(assistant, server).ask(ZHENBAO)
    grounded(answer, article)
    assert "saunas" not in answer.answer and answer.answer.endswith("[1].")
    assert answer.answerer == "endpoint:fake-model"


def test_the_eval_shows_the_raw_answer_beside_the_checked_one(assistant):
    """For a generating answerer the report keeps what the model wrote before the support
    check, so a reader sees what the check removed."""
    from assistant.judging.judges import CoverageJudge
    from eval.cases import load_cases
    from eval.runner import run_suite

    def padded(messages):
        return (f"{numbered_sentences(messages)[1]} [1] The moon is made of cheese and "
                "was bought by the island [1].")

    cases = [c for c in load_cases(assistant.index.sentences, text=assistant.article.text)
             if c.id == "fact-01"]
    with FakeOpenAIServer(padded) as server:
        report = run_suite(with_endpoint(assistant, server), CoverageJudge(), cases,
                           progress=False)
    row = report["cases"][0]
    assert "cheese" in row["raw_answer"] and "cheese" not in row["answer"]["answer"]
    assert row["metrics"]["check_changed"] is True
    assert report["aggregate"]["check_changed_share"] == 1.0


def test_alce_is_not_reported_with_the_judge_the_answers_were_checked_with(assistant):
    from assistant.judging.judges import CoverageJudge
    from eval.cases import load_cases
    from eval.runner import run_suite

    cases = [c for c in load_cases(assistant.index.sentences, text=assistant.article.text)
             if c.id in ("fact-01", "fact-02")]
    with FakeOpenAIServer() as server:
        report = run_suite(with_endpoint(assistant, server), CoverageJudge(), cases,
                           progress=False)
    assert report["meta"]["judged_metrics"].startswith("not reported")
    assert report["aggregate"]["citation_recall"] is None
    extractive = run_suite(assistant, CoverageJudge(), cases, progress=False)
    assert extractive["meta"]["judged_metrics"].startswith("judged by coverage")
    assert extractive["aggregate"]["citation_recall"] is not None


def test_calibrate_fits_the_support_threshold_for_a_generating_answerer(assistant):
    """The support threshold is fitted on calibration cases, with the model run once per
    case: a model that pads every answer with an unsupported sentence needs a threshold
    that removes it."""
    from eval.calibrate import SUPPORT_GRID, fit_support
    from eval.cases import load_cases

    def padded(messages):
        sentences = numbered_sentences(messages)
        return f"{sentences[1]} [1] Also the moon is made of cheese [1]." if sentences else (
            "The article doesn't say.")

    cases = [c for c in load_cases(assistant.index.sentences, text=assistant.article.text)
             if c.id in ("fact-01", "fact-02", "fact-04")]
    with FakeOpenAIServer(padded) as server:
        generating = with_endpoint(assistant, server)
        threshold, rate = fit_support(generating, cases)
        asked = len(server.requests)
    assert asked == len(cases)  # one generation per case, whatever the grid
    assert threshold in SUPPORT_GRID and rate == 1.0
