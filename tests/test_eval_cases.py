"""The eval set itself: every gold quote is an exact article sentence, every category is there."""

import json
from collections import Counter

import pytest

from eval.cases import CASES_FILE, CATEGORIES, CaseError, load_cases
from index.segment import segment


@pytest.fixture(scope="module")
def sentences(article):
    return segment(article)


def test_cases_load_and_gold_quotes_are_sentences(sentences):
    cases = load_cases(sentences)
    assert len(cases) >= 60
    counts = Counter(c.category for c in cases)
    assert set(counts) == set(CATEGORIES)
    assert all(n >= 4 for n in counts.values()), counts
    by_id = {s.id: s.text for s in sentences}
    for case in cases:
        assert [by_id[i] for i in case.gold_sentence_ids] == list(case.gold_quotes)


def test_key_points_are_reachable_from_the_gold_quotes(sentences):
    """A correct answer that quotes the gold sentences must be able to score every point."""
    for case in load_cases(sentences):
        gold = " ".join(case.gold_quotes).lower()
        for point in case.key_points:
            assert any(alt.lower() in gold for alt in point), (case.id, point)


def test_follow_ups_carry_history_and_others_do_not(sentences):
    for case in load_cases(sentences):
        assert bool(case.history) == (case.category == "follow-up"), case.id


def test_a_mistyped_gold_quote_fails_the_suite(sentences, tmp_path):
    lines = CASES_FILE.read_text("utf-8").splitlines()
    first = json.loads(lines[0])
    first["gold_quotes"] = [first["gold_quotes"][0].replace("island", "isle")]
    bad = tmp_path / "cases.jsonl"
    bad.write_text("\n".join([json.dumps(first), *lines[1:]]), "utf-8")
    with pytest.raises(CaseError, match="not an article sentence"):
        load_cases(sentences, bad)
