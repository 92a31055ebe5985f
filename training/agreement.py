"""Agreement between the corpus's labels and a second, independent labeller's on a random
sample (`relabel/sample.jsonl` → `relabel/second.jsonl`), for the data card."""

from __future__ import annotations

import json
import re
from pathlib import Path

from training.corpus import load

RELABEL = Path(__file__).resolve().parent / "relabel"
_MARKUP = re.compile(r"[*_`]")


def _norm(quote: str) -> str:
    return " ".join(_MARKUP.sub("", quote).split()).strip(" \"“”'")


def _state(answerable: bool, false_premise: bool) -> str:
    return "false-premise" if false_premise else "answerable" if answerable else "unanswerable"


def agreement(second: Path = RELABEL / "second.jsonl") -> dict:
    docs, _ = load()
    first = {q.id: q for d in docs for q in d.questions}
    rows = [json.loads(line) for line in second.read_text("utf-8").splitlines() if line.strip()]
    pairs = [(first[r["id"]], r) for r in rows]
    states = [(_state(q.answerable, q.false_premise),
               _state(r["answerable"], r.get("false_premise", False))) for q, r in pairs]
    agree = sum(a == b for a, b in states) / len(states)
    labels = sorted({s for pair in states for s in pair})
    expected = sum((sum(a == lab for a, _ in states) / len(states))
                   * (sum(b == lab for _, b in states) / len(states)) for lab in labels)
    both = [(q, r) for q, r in pairs if q.answerable and r["answerable"]]
    shared, dice = 0, 0.0
    for q, r in both:
        a, b = {_norm(x) for x in q.gold}, {_norm(x) for x in r["gold"]}
        # one labeller's sentence may hold two of the other's: containment counts as a match
        in_a = sum(any(x in y or y in x for y in b) for x in a)
        in_b = sum(any(y in x or x in y for x in a) for y in b)
        shared += bool(in_a)
        dice += (in_a + in_b) / (len(a) + len(b))
    return {
        "sample": len(pairs),
        "state_agreement": round(agree, 3),  # answerable / unanswerable / false premise
        "cohen_kappa": round((agree - expected) / (1 - expected), 3) if expected < 1 else None,
        "both_answerable": len(both),
        "gold_overlap": round(shared / len(both), 3) if both else None,  # share one sentence
        # matched sentences over all sentences both gave (1.0: the same sets)
        "gold_dice": round(dice / len(both), 3) if both else None,
        "disagreements": [q.id for (q, _), (a, b) in zip(pairs, states, strict=True) if a != b],
    }


if __name__ == "__main__":
    print(json.dumps(agreement(), indent=1))
