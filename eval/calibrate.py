"""`python -m eval calibrate`: fit the refusal policy on the calibration split only.

Each calibration case is answered once with the fitted rules switched off (every score
threshold open); then the thresholds that best separate the cases the document answers
from those it does not (accuracy) are chosen, each in the middle of its best
interval, and written to `assistant/answering/calibration.json`, which the app reads.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.answering.answerability import CALIBRATION_FILE, Policy
from assistant.chain import Assistant
from eval.cases import Case

FOREIGN_GRID = (0.34, 0.5, 0.67, 1.01)  # > this share of foreign focus words refuses
SUPPORT_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)  # judge score a generated sentence needs


def observe(assistant: Assistant, cases: Sequence[Case]) -> list[dict]:
    """What the policy decides from, per case, with the fitted thresholds open."""
    open_policy = assistant.with_policy(Policy(min_score=-math.inf, max_foreign=math.inf))
    rows = []
    for case in cases:
        result = open_policy.run(case.question, list(case.history))
        d = result.trace.decision
        rows.append({"id": case.id, "should_decline": not case.answerable,
                     "false_premise": case.category == "false-premise",
                     "ruled_out": result.answer.refused, "best": d["best"],
                     "exempt": d["intent"] == "document",
                     "foreign_share": d["foreign_share"],
                     "premise_rejected": result.answer.premise_rejected})
    return rows


def fit(rows: Sequence[dict]) -> tuple[Policy, float]:
    """The thresholds with the best accuracy (ties: the strictest foreign-word rule, and
    the middle of the best score interval), and that accuracy."""
    scores = sorted({r["best"] for r in rows if not r["exempt"]})
    cuts = [scores[0] - 0.01, *((a + b) / 2 for a, b in itertools.pairwise(scores)),
            scores[-1] + 0.01]
    results = [(_accuracy(rows, cut, foreign), foreign, cut)
               for foreign, cut in itertools.product(FOREIGN_GRID, cuts)]
    top = max(r[0] for r in results)
    foreign = min(f for accuracy, f, _ in results if accuracy == top)
    good = sorted(cut for accuracy, f, cut in results if accuracy == top and f == foreign)
    return Policy(min_score=round(good[len(good) // 2], 4), max_foreign=foreign), top


def _accuracy(rows: Sequence[dict], cut: float, foreign: float) -> float:
    """Share of cases decided right (answered or declined); every case counts once, so
    refusing many answerable questions to catch one more trap does not pay."""
    right = 0
    for r in rows:
        declined = (r["ruled_out"] or (not r["exempt"] and (
            r["best"] < cut or r["foreign_share"] > foreign))
                    or (r["false_premise"] and r["premise_rejected"]))
        right += declined == r["should_decline"]
    return right / len(rows)


def fit_support(assistant: Assistant, cases: Sequence[Case]) -> tuple[float, float]:
    """For a generating answerer: the support threshold whose checked answers pass most
    calibration cases (ties: the middle), and that pass rate. The model runs once per
    case; only the check is repeated per threshold."""
    from eval.metrics import case_metrics

    drafts = [(case, assistant.draft(case.question, list(case.history))) for case in cases]
    rates = []
    for threshold in SUPPORT_GRID:
        passed = 0
        for case, draft in drafts:
            result = assistant.finish(draft, min_support=threshold)
            passed += bool(case_metrics(case, result.answer, result.trace, assistant.article,
                                        None, assistant.articles)["passed"])
        rates.append((passed / len(drafts), threshold))
    top = max(r for r, _ in rates)
    good = [t for r, t in rates if r == top]
    return good[len(good) // 2], top


def write(policy: Policy, accuracy: float, cases: int, suite: str,
          path: Path = CALIBRATION_FILE, support: tuple[str, float] | None = None) -> Path:
    """Save the fitted values; a refit of the refusal policy keeps a fitted `min_support`."""
    try:
        old = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        old = {}
    data = {"min_score": policy.min_score, "max_foreign": policy.max_foreign,
            "fitted_on": f"{suite}: calibrate split, {cases} cases",
            "accuracy": round(accuracy, 4), "fitted_at": time.strftime("%Y-%m-%d")}
    for key in ("min_support", "min_support_fitted_with"):
        if key in old:
            data[key] = old[key]
    if support is not None:
        data["min_support_fitted_with"], data["min_support"] = support
    path.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    return path
