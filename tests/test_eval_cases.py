"""The eval sets themselves: gold quotes are exact text of their document, every category
and both splits are there, and a broken case file is refused with its line number."""

import json
from collections import Counter

import pytest

from eval.cases import CATEGORIES, SPLITS, CaseError, load_cases
from eval.suites import SUITES
from index.segment import segment
from source.load import load_article


@pytest.fixture(scope="module", params=SUITES, ids=lambda s: s.name)
def suite_cases(request):
    suite = request.param
    article = load_article(suite.article)
    return suite, article, load_cases(segment(article), suite.cases, article.text)


def test_gold_quotes_are_exact_text_and_map_to_sentences(suite_cases):
    suite, article, cases = suite_cases
    assert len(cases) >= (100 if suite is SUITES[0] else 15)
    for case in cases:
        for quote, group in zip(case.gold_quotes, case.gold_groups, strict=True):
            assert quote in article.text and group, case.id


def test_both_splits_and_answerable_and_unanswerable_cases(suite_cases):
    _, _, cases = suite_cases
    assert Counter(c.split for c in cases).keys() == set(SPLITS)
    assert sum(c.answerable for c in cases) >= 12
    assert sum(not c.answerable for c in cases) >= 6


def test_the_main_suite_has_every_category(suite_cases):
    suite, _, cases = suite_cases
    if suite is SUITES[0]:
        assert set(Counter(c.category for c in cases)) == set(CATEGORIES)


def test_key_points_are_reachable_from_the_gold_quotes(suite_cases):
    """A correct answer that quotes the gold sentences must be able to score every point."""
    _, _, cases = suite_cases
    for case in cases:
        gold = " ".join(case.gold_quotes).lower()
        for point in case.key_points:
            assert any(alt.lower() in gold for alt in point), (case.id, point)


def test_a_mistyped_gold_quote_fails_the_suite(tmp_path, article):
    lines = SUITES[0].cases.read_text("utf-8").splitlines()
    first = json.loads(lines[0])
    first["gold_quotes"] = [first["gold_quotes"][0].replace("island", "isle")]
    bad = tmp_path / "cases.jsonl"
    bad.write_text("\n".join([json.dumps(first), *lines[1:]]), "utf-8")
    with pytest.raises(CaseError, match=r"cases.jsonl:1: gold quote is not in the document"):
        load_cases(segment(article), bad, article.text)


@pytest.mark.parametrize(("change", "message"), [
    ({"split": "train"}, "split must be one of"),
    ({"category": "trivia"}, "unknown category"),
    ({"answerable": False}, "no key points"),
    ({"colour": "red"}, "unknown keys"),
])
def test_a_malformed_case_is_refused_with_its_line(tmp_path, article, change, message):
    first = json.loads(SUITES[0].cases.read_text("utf-8").splitlines()[0])
    bad = tmp_path / "cases.jsonl"
    bad.write_text(json.dumps({**first, **change}), "utf-8")
    with pytest.raises(CaseError, match=message):
        load_cases(segment(article), bad, article.text)


def test_init_writes_a_template_without_invented_gold(tmp_path):
    from eval.init import write

    doc = tmp_path / "bees.md"
    doc.write_text("# Bees\n\nBees make honey in summer.\n\n## Winter\n\n"
                   "In winter the colony clusters to keep warm.\n", encoding="utf-8")
    out = write(doc, None)
    rows = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert out.name == "bees.cases.jsonl" and len(rows) == 4
    assert all(r["gold_quotes"] == [] for r in rows)  # never invented
    assert "Winter" in rows[1]["question"] and "clusters" in rows[1]["note"]
    with pytest.raises(CaseError, match="answerable cases need gold quotes"):
        load_cases(segment(load_article(doc)), out)  # an unfilled template cannot run
    with pytest.raises(Exception, match="exists"):
        write(doc, None)  # nothing is overwritten


def test_the_docs_score_tables_are_the_ones_the_baselines_print(capsys):
    """The docs' scores are generated from eval/baselines/ (python -m eval table), never
    typed: today's rows ("now") on docs/evaluation.md, the first core's ("before", a fixed
    baseline) in the decision record that compares the two. A baseline regenerated without
    updating the docs fails here."""
    from pathlib import Path

    from eval.cli import main

    assert main(["table"]) == 0
    printed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("|")]
    now = printed[:2] + [line for line in printed if "| now |" in line]
    before = [line for line in printed if "| before |" in line]
    assert len(now) > 2 and before
    docs = Path(__file__).resolve().parent.parent / "docs"
    assert "\n".join(now) in (docs / "evaluation.md").read_text("utf-8")
    record = (docs / "decisions" / "2026-11-25-answering-stages.md").read_text("utf-8")
    assert all(line in record for line in before)
