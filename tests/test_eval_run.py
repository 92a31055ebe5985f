"""The eval gate on the real assistant: a fast subset in CI against the committed baseline,
and four deliberately broken pipelines (wrong sentence, padding, never refuses, always
refuses) that the gate must catch."""

import json
import math

import numpy as np
import pytest

from assistant.answering import pipeline
from assistant.answering.answerability import Policy
from assistant.answering.evidence import Selection
from assistant.judging.judges import CoverageJudge
from eval.cases import load_cases
from eval.cli import main
from eval.compare import compare
from eval.report import write_report
from eval.runner import run_suite
from eval.suites import SUITES

pytestmark = pytest.mark.slow

SUBSET = ["fact-01", "fact-02", "list-01", "reason-01", "reason-03", "definition-01",
          "follow-02", "reader-list-04", "reader-fact-04", "unans-01", "chrome-01",
          "chrome-03", "premise-03"]
MAIN = SUITES[0]


@pytest.fixture(scope="module")
def subset(assistant):
    cases = {c.id: c for c in load_cases(assistant.index.sentences, MAIN.cases,
                                          assistant.article.text)}
    return [cases[i] for i in SUBSET]


@pytest.fixture(scope="module")
def good_report(assistant, subset):
    return run_suite(assistant, CoverageJudge(), subset, progress=False)


def test_fast_subset_has_no_regressions_against_the_committed_baseline(good_report):
    baseline = json.loads(MAIN.baseline.read_text("utf-8"))
    assert good_report["aggregate"]["citation_validity"] == 1.0
    findings = compare(baseline, good_report, {"max_drop": {}, "floor": {}})
    assert findings == [], [f.message for f in findings]


def _broken_select(kind):
    """A deliberately broken evidence stage: the worst sentence, or the best padded with
    the three worst."""
    real = pipeline.select

    def select(question, index, doc, scores, lexicon, *rules):
        good = real(question, index, doc, scores, lexicon, *rules)
        content = [i for i, r in enumerate(doc.roles) if r == "content"]
        worst = sorted(content, key=lambda i: good.adjusted[i])[:3]
        if kind == "wrong":
            groups = ((worst[0],),)
        else:
            groups = tuple(sorted({*good.groups, *((i,) for i in worst)}))
        return Selection(groups, "quotes", (), good.best, np.asarray(good.adjusted))
    return select


@pytest.mark.parametrize("kind", ["wrong", "padding"])
def test_a_broken_evidence_stage_fails_the_gate(assistant, subset, good_report, tmp_path,
                                                 monkeypatch, kind):
    monkeypatch.setattr(pipeline, "select", _broken_select(kind))
    broken = run_suite(assistant, CoverageJudge(), subset, progress=False)
    good, bad = good_report["aggregate"], broken["aggregate"]
    if kind == "wrong":
        assert bad["answer_pass_rate"] < good["answer_pass_rate"]
    else:  # padding keeps the right quote: precision shows it, and strict pass is unchanged
        assert bad["answer_precision"] < good["answer_precision"]
    _assert_gate_fails(good_report, broken, tmp_path, kind)


@pytest.mark.parametrize(("kind", "policy"), [
    ("never-refuses", Policy(min_score=-math.inf, max_foreign=math.inf)),
    ("always-refuses", Policy(min_score=math.inf, max_foreign=-1.0))])
def test_a_broken_refusal_policy_fails_the_gate(assistant, subset, good_report, tmp_path,
                                                kind, policy):
    broken = run_suite(assistant.with_policy(policy), CoverageJudge(), subset,
                       progress=False)
    good, bad = good_report["aggregate"], broken["aggregate"]
    if kind == "never-refuses":
        assert (bad["refusal_recall"] or 0) < good["refusal_recall"]
    else:
        assert bad["answer_pass_rate"] < good["answer_pass_rate"]
    _assert_gate_fails(good_report, broken, tmp_path, kind)


def _assert_gate_fails(good_report, broken, tmp_path, name):
    good_paths = write_report(good_report, tmp_path / "good")
    broken_paths = write_report(broken, tmp_path / name)
    assert main(["compare", str(good_paths["json"]), str(broken_paths["json"])]) == 1
    assert main(["compare", str(good_paths["json"]), str(good_paths["json"])]) == 0


def test_report_says_which_judge_graded_and_shows_both_splits(good_report, tmp_path):
    paths = write_report(good_report, tmp_path / "r")
    text = paths["markdown"].read_text()
    assert text.startswith("# Eval report") and "coverage (lexical stand-in" in text
    assert set(good_report["by_split"]) == {"calibrate", "test"}
    assert (tmp_path / "r" / "latency.png").stat().st_size > 1000
