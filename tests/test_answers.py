"""End-to-end answers with the real packaged models: grounding, refusal, follow-ups."""

import pytest

from assistant.citations import markers

pytestmark = pytest.mark.slow


def check_grounded(answer, article):
    """Every citation is an exact slice, and markers and citations match one-to-one."""
    for c in answer.citations:
        assert article.text[c.start:c.end] == c.quote
    assert sorted(set(markers(answer.answer))) == [c.id for c in answer.citations]
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_zhengbao_question_cites_the_island(assistant, article):
    answer = assistant.ask("On which island did Soviet and Chinese troops clash?")
    check_grounded(answer, article)
    assert not answer.refused
    assert "Zhengbao" in answer.citations[0].quote or any(
        "Zhengbao" in c.quote for c in answer.citations)


@pytest.mark.parametrize(("question", "needle"), [
    ("How much did trade between Russia and China reach in 2023?", "$240 billion"),
    ("Why doesn't Putin trust the American political system?", "key sanctions were not lifted"),
    ("Which Russian gas pipeline project could China finish to keep Moscow close?",
     "Power of Siberia 2"),
    pytest.param(
        "Who gains most from a US-Russia rapprochement, according to the author?",
        "The main beneficiary is Putin himself.",
        marks=pytest.mark.xfail(strict=True, reason=(
            "known miss of the embedding-cosine scorer: 'gains most' never meets 'main "
            "beneficiary'; eval case stance-02 tracks it (README: Limits and guarantees)"))),
    ("What did the Guardian report about Putin's demands?", "Zelenskyy's resignation"),
    ("Which American company's Russian investments failed?", "ExxonMobil"),
    ("Who wrote the article?", "Ihor Petrenko"),
    ("When did the reverse Kissinger idea become popular again?", "2021"),
])
def test_paraphrased_questions_find_the_right_sentence(assistant, article, question, needle):
    answer = assistant.ask(question)
    check_grounded(answer, article)
    assert not answer.refused, answer.answer
    assert any(needle in c.quote for c in answer.citations), answer.answer


@pytest.mark.parametrize("question", [
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "What is Google Chrome's market share?",
    "What does the website's cookie policy say about advertising partners?",
    "On what date was this article published?",
    "Who won the 2022 football World Cup?",
])
def test_refuses_questions_the_article_does_not_answer(assistant, question):
    answer = assistant.ask(question)
    assert answer.refused, answer.answer
    assert answer.citations == [] and markers(answer.answer) == []
    assert "doesn't say" in answer.answer


def test_follow_up_uses_the_history(assistant, article):
    history = [
        {"role": "user", "content": "What could China do if the US tried to lure Russia away?"},
        {"role": "assistant", "content": "China could finalize the Power of Siberia 2 project."},
    ]
    alone = assistant.run("And in the Arctic?")
    follow = assistant.run("And in the Arctic?", history)
    assert follow.trace.standalone_query != "And in the Arctic?"
    assert "China" in follow.trace.standalone_query
    check_grounded(follow.answer, article)
    assert any("Arctic" in c.quote for c in follow.answer.citations)
    assert alone.trace.standalone_query == "And in the Arctic?"


def test_json_shape(assistant):
    data = assistant.ask("Why is Russia an unattractive market for American companies?").to_json()
    assert set(data) == {"question", "answer", "refused", "citations", "support",
                         "answerer", "timings_ms"}
    assert set(data["citations"][0]) == {"id", "quote", "start", "end", "section", "article"}
    assert {"retrieve", "rerank", "answer", "check", "total"} <= set(data["timings_ms"])
    assert data["answerer"] == "extractive"
    # One support entry per answer sentence; each cites existing ids and is supported.
    ids = {c["id"] for c in data["citations"]}
    assert data["support"] and all(set(s["citations"]) <= ids and s["score"] >= 0.5
                                   for s in data["support"])
