"""The pytest plugin that runs answer cases as tests (`pytest --answer-cases FILE`):
one item per case, `-k` by id or category, readable failures, snapshots that show which
answers changed, and a baseline that marks known failures; the project's own fast subset
runs through it."""

import json
from pathlib import Path

import pytest

from eval.suites import SUITES

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent

DOC = """# Keeping Bees

Bees make honey in summer. Each hive gives about twelve kilograms of honey a year.

## Winter

In winter the colony clusters to keep warm.
"""


def case(id_, category, question, gold=(), points=(), answerable=True):
    return {"id": id_, "category": category, "question": question, "answerable": answerable,
            "gold_quotes": list(gold), "key_points": [list(p) for p in points],
            "history": [], "note": "", "split": "test"}


@pytest.fixture
def bees(pytester):
    pytester.makefile(".md", bees=DOC)
    cases = [
        case("honey-01", "fact", "How much honey does a hive give a year?",
             ["Each hive gives about twelve kilograms of honey a year."], [["twelve"]]),
        case("winter-01", "fact", "What does the colony do in winter?",
             ["In winter the colony clusters to keep warm."], [["clusters"], ["hibernates"]]),
        case("off-01", "unanswerable", "Who invented the bicycle?", answerable=False),
    ]
    path = pytester.path / "bees.cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in cases), "utf-8")
    return path


@pytest.fixture(autouse=True)
def checkout_on_path(monkeypatch):
    """A run outside the checkout, as a user's own project would be: the checkout on
    PYTHONPATH and the plugin named with -p (inside it, the root conftest.py loads it)."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))


def run(pytester, shared_data_dir, *args):
    # a subprocess: numpy and torch cannot be imported twice in one process
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "eval.pytest_plugin",
                                         "--answer-data-dir", str(shared_data_dir), *args)


def test_cases_are_items_with_readable_failures(pytester, bees, shared_data_dir):
    result = run(pytester, shared_data_dir, "--answer-cases", str(bees))
    result.assert_outcomes(passed=2, failed=1)  # "hibernates" is not in the document
    result.stdout.fnmatch_lines(["*winter-01 (fact, test)*",
                                 "question: What does the colony do in winter?",
                                 "answer:*clusters to keep warm*",
                                 "key points missing: hibernates"])
    only = run(pytester, shared_data_dir, "--answer-cases", str(bees), "-k", "unanswerable")
    only.assert_outcomes(passed=1, deselected=2)


def test_snapshots_show_which_answers_changed(pytester, bees, shared_data_dir):
    run(pytester, shared_data_dir, "--answer-cases", str(bees), "--answer-snapshot-update")
    snapshot = bees.with_name(bees.name + ".snapshot.json")
    saved = json.loads(snapshot.read_text("utf-8"))
    assert set(saved) == {"honey-01", "winter-01", "off-01"}
    assert run(pytester, shared_data_dir, "--answer-cases", str(bees), "-k",
               "honey").ret == 0  # unchanged answers pass
    saved["honey-01"]["answer"] = "An older answer."
    snapshot.write_text(json.dumps(saved), "utf-8")
    changed = run(pytester, shared_data_dir, "--answer-cases", str(bees), "-k", "honey")
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(["*the answer changed since the snapshot*",
                                  "-An older answer.", "+The article says:*twelve*"])


def test_a_baseline_marks_known_failures(pytester, bees, shared_data_dir):
    report = pytester.path / "report.json"
    report.write_text(json.dumps({"cases": [
        {"id": "winter-01", "metrics": {"passed": False}},
        {"id": "honey-01", "metrics": {"passed": True}}]}), "utf-8")
    result = run(pytester, shared_data_dir, "--answer-cases", str(bees),
                 "--answer-baseline", str(report))
    result.assert_outcomes(passed=2, xfailed=1)


def test_the_projects_fast_subset_passes_as_answer_tests(pytester, shared_data_dir):
    """The article's cases run through the plugin; cases that failed in the committed
    baseline are expected failures, so any case that passed there and fails now fails CI."""
    main = SUITES[0]
    cases, baseline = (pytester.path / "cases.jsonl", pytester.path / "baseline.json")
    cases.write_bytes(main.cases.read_bytes())  # the run is outside the checkout, as above
    baseline.write_bytes(main.baseline.read_bytes())
    result = run(pytester, shared_data_dir, "--answer-cases", str(cases),
                 "--answer-baseline", str(baseline), "-k", "fact or list or unanswerable")
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) == 0 and outcomes.get("passed", 0) >= 15, outcomes
