"""How well a scorer reads the dev or test documents: ranking of the first stage's
candidates, answerability and false-premise detection, overall and by kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

import numpy as np

from training.pairs import Item

# (query, passages) -> (answers scores, contradicts scores), one per passage
Scorer = Callable[[str, Sequence[str]], tuple[np.ndarray, np.ndarray]]


def auc(positive: Sequence[float], negative: Sequence[float]) -> float | None:
    """ROC AUC: the chance a random positive outscores a random negative (ties half)."""
    if not positive or not negative:
        return None
    p, n = np.asarray(positive)[:, None], np.asarray(negative)[None, :]
    return float(((p > n).sum() + 0.5 * (p == n).sum()) / (p.size * n.size))


def measure(items: Sequence[Item], scorer: Scorer) -> dict:
    rows = []
    for item in items:
        answers, contradicts = scorer(item.query, item.passages)
        order = np.argsort(-answers)
        rank = next((r for r, i in enumerate(order) if int(i) in item.gold), None)
        rows.append({"kind": item.question.kind, "answerable": item.question.answerable,
                     "rank": rank, "best": float(answers.max()),
                     "contradicts": float(contradicts.max()),
                     "has_gold": bool(item.gold)})
    return summarise(rows)


def summarise(rows: list[dict]) -> dict:
    ranked = [r for r in rows if r["answerable"] and r["has_gold"]]
    found = [r for r in rows if r["answerable"]]
    fp = [r for r in rows if r["kind"] == "false-premise"]
    out = {
        "questions": len(rows),
        "r_at_1": _share(ranked, 1), "r_at_3": _share(ranked, 3),
        "answerability_auc": _round(auc([r["best"] for r in found],
                                        [r["best"] for r in rows if r["kind"] == "unanswerable"])),
        "premise_auc": _round(auc([r["contradicts"] for r in fp],
                                  [r["contradicts"] for r in rows
                                   if r["kind"] != "false-premise"])),
        "by_kind": {},
    }
    kinds: dict[str, list[dict]] = defaultdict(list)
    for r in ranked:
        kinds[r["kind"]].append(r)
    out["by_kind"] = {k: {"n": len(v), "r_at_1": _share(v, 1)} for k, v in sorted(kinds.items())}
    out["rows"] = rows
    return out


def _share(rows: list[dict], k: int) -> float | None:
    if not rows:
        return None
    return round(sum(r["rank"] is not None and r["rank"] < k for r in rows) / len(rows), 3)


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def threshold(rows: list[dict], key: str, positive: Callable[[dict], bool],
              negative: Callable[[dict], bool], balanced: bool = True) -> float:
    """The cut on `key` that best separates positive from negative rows: by balanced
    accuracy, or by plain accuracy when a false alarm costs more than a miss (a rare
    positive: plain accuracy keeps the cut high). Fitted on the dev documents only, read
    at answer time from the model card."""
    pos = sorted(r[key] for r in rows if positive(r))
    neg = sorted(r[key] for r in rows if negative(r))
    if not pos or not neg:
        return 0.0
    cuts = sorted(set(pos) | set(neg))
    best, best_cut = -1.0, cuts[0]
    for lo, hi in zip(cuts, cuts[1:] + [cuts[-1] + 1.0], strict=True):
        cut = (lo + hi) / 2
        hits, rejections = sum(p >= cut for p in pos), sum(n < cut for n in neg)
        score = ((hits / len(pos) + rejections / len(neg)) / 2 if balanced
                 else (hits + rejections) / (len(pos) + len(neg)))
        if score > best:
            best, best_cut = float(score), cut
    return round(best_cut, 4)


def confident_cut(rows: list[dict], precision: float = 0.95) -> float:
    """The lowest best-logit above which at least `precision` of the dev questions are
    answerable: over it an answer is given plainly, under it as "the closest it comes"."""
    ordered = sorted(rows, key=lambda r: -r["best"])
    cut, right = float("inf"), 0
    for n, row in enumerate(ordered, 1):
        right += row["answerable"]
        if right / n >= precision:
            cut = row["best"]
    return round(cut, 4)
