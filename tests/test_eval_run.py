"""The eval tool on the real assistant: a fast subset in CI, and a broken answerer caught."""

from collections.abc import Iterator, Sequence

import pytest

from assistant.support import CoverageJudge
from assistant.types import Draft, Evidence
from eval.cases import load_cases
from eval.cli import BASELINE, main
from eval.compare import compare
from eval.report import write_report
from eval.runner import run_suite

pytestmark = pytest.mark.slow

SUBSET = ["fact-01", "fact-02", "list-01", "reason-03", "stance-02", "contrast-05",
          "definition-01", "follow-02", "unans-01", "chrome-01", "chrome-03"]


class WrongSentenceAnswerer:
    """Deliberately broken: writes the best sentence but cites the worst-scoring one."""

    name = "wrong-sentence"

    def answer(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        return Draft("".join(self.stream(question, evidence)))

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str]:
        if evidence:
            yield f"According to the article, “{evidence[0].text}” [{len(evidence)}]"


@pytest.fixture(scope="module")
def subset(assistant):
    cases = {c.id: c for c in load_cases(assistant.index.sentences)}
    return [cases[i] for i in SUBSET]


@pytest.fixture(scope="module")
def good_report(assistant, subset):
    return run_suite(assistant, CoverageJudge(), subset, progress=False)


def test_fast_subset_has_no_regressions_against_the_committed_baseline(good_report):
    import json

    baseline = json.loads(BASELINE.read_text("utf-8"))
    assert good_report["aggregate"]["citation_validity"] == 1.0
    findings = compare(baseline, good_report, {"max_drop": {}, "floor": {}})
    assert findings == [], [f.message for f in findings]


def test_support_check_replaces_a_broken_answerer_and_the_eval_shows_it(
        assistant, subset, good_report, tmp_path):
    broken = run_suite(assistant.with_answerer(WrongSentenceAnswerer()), CoverageJudge(),
                       subset, progress=False)
    # The reader never sees the wrong citations: the chain fell back to extractive...
    assert broken["aggregate"]["citation_recall"] >= good_report["aggregate"]["citation_recall"]
    assert good_report["aggregate"]["own_answer"] == 1.0
    # (its citation is right by chance where only one sentence was found)
    assert broken["aggregate"]["own_answer"] < 0.5
    # ...and compare flags the answerer's regression all the same.
    good_paths = write_report(good_report, tmp_path / "good")
    broken_paths = write_report(broken, tmp_path / "broken")
    assert main(["compare", str(good_paths["json"]), str(broken_paths["json"])]) == 1


def test_broken_answerer_is_caught_by_compare(assistant, subset, good_report, tmp_path):
    raw = assistant.settings.model_copy(update={"support_check": False})
    broken = run_suite(assistant.with_answerer(WrongSentenceAnswerer(), raw), CoverageJudge(),
                       subset, progress=False)
    assert broken["aggregate"]["citation_recall"] < good_report["aggregate"]["citation_recall"]
    good_paths = write_report(good_report, tmp_path / "good")
    broken_paths = write_report(broken, tmp_path / "broken")
    assert main(["compare", str(good_paths["json"]), str(broken_paths["json"])]) == 1
    assert main(["compare", str(good_paths["json"]), str(good_paths["json"])]) == 0
    assert good_paths["markdown"].read_text().startswith("# Eval report")
    assert (tmp_path / "good" / "latency.png").stat().st_size > 1000
