"""`python -m eval calibrate`: fit the refusal policy on the calibration split only.

Each calibration case is answered once with the fitted rules switched off (every score
threshold open); then the thresholds that best separate the cases the document answers
from those it does not (accuracy) are chosen, each in the middle of its best
interval, and written to `assistant/calibration.json`, which the app reads.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Sequence
from pathlib import Path

from assistant.answerability import CALIBRATION_FILE, Policy
from assistant.chain import Assistant
from eval.cases import Case

FOREIGN_GRID = (0.34, 0.5, 0.67, 1.01)  # > this share of foreign focus words refuses


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


def write(policy: Policy, accuracy: float, cases: int, suite: str,
          path: Path = CALIBRATION_FILE) -> Path:
    data = {"min_score": policy.min_score, "max_foreign": policy.max_foreign,
            "fitted_on": f"{suite}: calibrate split, {cases} cases",
            "accuracy": round(accuracy, 4),
            "fitted_at": time.strftime("%Y-%m-%d")}
    path.write_text(json.dumps(data, indent=1) + "\n", "utf-8")
    return path
