"""`python -m eval bench` on a few questions: both chains run on the same collection, every
figure is measured (not made up), and the table renders."""

import pytest

from assistant.answerers.endpoint import endpoint_answerer
from eval.bench import TEXTBOOK_K, render, run_bench
from eval.cases import load_cases
from tests.fake_openai import FakeOpenAIServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cases(assistant):
    return [c for c in load_cases(assistant.index.sentences) if c.answerable][:4]


def test_bench_side_by_side_with_the_textbook_chain(assistant, cases):
    report = run_bench(assistant, cases, processes=False)
    assert report["questions"] == 4 and report["answerer"] == "extractive"
    assert {"analyse", "embed", "select", "answer", "check", "total"} <= set(report["ours_ms"])
    for figures in [*report["ours_ms"].values(), *report["textbook_ms"].values()]:
        assert figures["p50"] is not None and figures["p95"] >= figures["p50"] >= 0
    assert 0 <= report[f"gold_in_top{TEXTBOOK_K}"]["textbook"] <= 1
    assert report["ratios_ours_over_textbook"]["p50_total"] > 0
    assert report["peak_rss_mib"] > 100
    assert "| total per question |" in render(report)
    for name in ("textbook", "ours"):
        figures = report["retrievers"][name]
        assert 0 <= figures["gold_among_documents"] <= 1
        assert figures["prompt_chars_mean"] > len("Answer the question using only this context")
    assert report["retrievers"]["textbook"]["documents_p50"] == TEXTBOOK_K
    assert "`ArticleRetriever`" in render(report)


def test_textbook_chain_calls_the_same_chat_model(assistant, cases):
    with FakeOpenAIServer() as server:
        settings = assistant.settings.model_copy(update={
            "answerer": "endpoint", "llm_base_url": server.url, "llm_model": "fake-model"})
        generative = assistant.with_answerer(endpoint_answerer(settings), settings)
        report = run_bench(generative, cases[:2], processes=False)
    assert report["answerer"] == "endpoint:fake-model"
    prompts = [r["body"]["messages"][0]["content"] for r in server.requests]
    # ours sends the numbered-sentence prompt, the textbook chain its stuffed context
    assert any(p.startswith("Answer the question using only this context") for p in prompts)
    assert any(p.startswith("You answer a reader's question") for p in prompts)
