"""End-to-end answers with the real packaged model: the reader questions of the answers
issue, grounding, refusal and follow-ups. Each assertion names what a reader needs."""

import pytest

from assistant.citations import markers

pytestmark = pytest.mark.slow


def check_grounded(answer, article):
    """Every citation is an exact slice, and markers and citations match one-to-one."""
    for c in answer.citations:
        assert article.text[c.start:c.end] == c.quote
    assert sorted(set(markers(answer.answer))) == [c.id for c in answer.citations]
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def quotes(answer):
    return " ".join(c.quote for c in answer.citations)


def test_one_fact_gets_one_quote_without_padding(assistant, article):
    answer = assistant.ask("On which island did Soviet and Chinese troops clash?")
    check_grounded(answer, article)
    assert len(answer.citations) == 1 and "Zhengbao" in answer.citations[0].quote


def test_why_question_lists_the_claim_and_every_reason(assistant, article):
    answer = assistant.ask("Why won't Putin break his alliance with China?")
    check_grounded(answer, article)
    starts = [c.quote.split(",")[0] for c in answer.citations]
    assert {"First", "Secondly", "Third"} <= set(starts), answer.answer


def test_a_lead_in_is_followed_to_its_list_items(assistant, article):
    answer = assistant.ask("What are the consequences for the EU?")
    check_grounded(answer, article)
    items = [c for c in answer.citations if not c.quote.endswith(":")]
    assert len(items) >= 3, answer.answer  # not the lead-in "… for the EU:" alone
    assert "- " in answer.answer  # laid out as a list


def test_an_item_label_is_followed_to_what_it_says(assistant, article):
    answer = assistant.ask("How would NATO be affected?")
    check_grounded(answer, article)
    assert "coordinating role" in quotes(answer), answer.answer


def test_document_level_questions_are_answered_not_refused(assistant, article):
    for question, n in [("What is the main thesis?", 2), ("Summarize the article in 3 points", 3),
                        ("What is the author's final message?", 2)]:
        answer = assistant.ask(question)
        check_grounded(answer, article)
        assert not answer.refused and len(answer.citations) == n, (question, answer.answer)


def test_direction_of_who_gets_what(assistant):
    answer = assistant.ask("What does China get from Russia?")
    assert "China, in turn, receives" in answer.citations[0].quote, answer.answer


@pytest.mark.parametrize(("question", "needle"), [
    ("How much did trade between Russia and China reach in 2023?", "$240 billion"),
    ("Why doesn't Putin trust the American political system?", "key sanctions were not lifted"),
    ("Which Russian gas pipeline project could China finish to keep Moscow close?",
     "Power of Siberia 2"),
    pytest.param(
        "Who gains most from a US-Russia rapprochement, according to the author?",
        "The main beneficiary is Putin himself.",
        marks=pytest.mark.xfail(strict=True, reason=(
            "known miss of the MiniLM bi-encoder: 'gains most' never meets 'main "
            "beneficiary'; eval cases stance-02 and reader-pointer-03 track it"))),
    ("What did the Guardian report about Putin's demands?", "Zelenskyy's resignation"),
    ("Which American company's Russian investments failed?", "ExxonMobil"),
    ("Who wrote the article?", "Ihor Petrenko"),
    ("When did the reverse Kissinger idea become popular again?", "2021"),
])
def test_paraphrased_questions_find_the_right_sentence(assistant, article, question, needle):
    answer = assistant.ask(question)
    check_grounded(answer, article)
    assert not answer.refused, answer.answer
    assert needle in quotes(answer), answer.answer


@pytest.mark.parametrize("question", [
    "How do I bake sourdough bread?",
    "What is the capital of Australia?",
    "What is Google Chrome's market share?",
    "What does the website's cookie policy say about advertising partners?",
    "On what date was this article published?",
    "Who won the 2022 football World Cup?",
    "What does the author think about India's role?",
])
def test_refuses_questions_the_article_does_not_answer(assistant, question):
    answer = assistant.ask(question)
    assert answer.refused, answer.answer
    assert answer.citations == [] and markers(answer.answer) == []
    assert "doesn't say" in answer.answer


def test_a_false_premise_is_rejected_with_what_the_article_says(assistant, article):
    answer = assistant.ask("Why does the author argue that Russia is an attractive market "
                           "for American companies?")
    check_grounded(answer, article)
    assert answer.premise_rejected and not answer.refused
    assert answer.answer.startswith("The article does not say that.")
    assert "not an attractive market" in quotes(answer)
    crimea = assistant.ask("Why does the author recommend recognizing Crimea as Russian?")
    assert crimea.refused or crimea.premise_rejected, crimea.answer


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
                         "answerer", "premise_rejected", "timings_ms"}
    assert set(data["citations"][0]) == {"id", "quote", "start", "end", "section", "article"}
    assert {"analyse", "embed", "select", "answer", "check", "total"} <= set(data["timings_ms"])
    assert data["answerer"] == "extractive"
    # Extractive claims are the quotes themselves: nothing for the support check to score.
    assert data["support"] == []


def test_finishing_one_draft_twice_keeps_its_timings(assistant):
    """Calibration checks one draft under several thresholds: each finish reports the same
    answer time and leaves the draft's own timings as they were."""
    drafted = assistant.draft("Who wrote the article?")
    before = dict(drafted.timings)
    first = assistant.finish(drafted, min_support=0.3).answer.timings_ms
    second = assistant.finish(drafted, min_support=0.7).answer.timings_ms
    assert drafted.timings == before
    assert first["answer"] == second["answer"] == before["answer"] >= 0
    assert {"check", "total"} <= set(first) and "check" not in before
