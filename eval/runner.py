"""Run the eval set through the assistant in process and collect every verdict."""

from __future__ import annotations

import platform
import subprocess
import time
from collections.abc import Sequence
from dataclasses import asdict

from tqdm import tqdm

from assistant.chain import Assistant
from assistant.judging.judges import Judge, make_judge
from eval.cases import SPLITS, Case
from eval.metrics import aggregate, case_metrics

REPORT_VERSION = 1


def open_suite(suite, split: str | None = None, categories: Sequence[str] | None = None,
               **settings) -> tuple[Assistant, list[Case]]:  # noqa: ANN001, ANN003
    """A warm assistant over `suite`'s document (with `settings` overrides) and its cases,
    only those of `split` and `categories` when given."""
    from assistant.settings import load_settings
    from eval.cases import load_cases

    assistant = Assistant(load_settings(article=suite.article, **settings)).warm_up()
    cases = load_cases(assistant.index.sentences, suite.cases, assistant.article.text)
    return assistant, [c for c in cases if (not split or c.split == split)
                       and (not categories or c.category in categories)]


def run_suite(assistant: Assistant, judge: Judge, cases: Sequence[Case],
              progress: bool = True) -> dict:
    """The report: meta, aggregate and per-category metrics, and every case in full.

    A generating answerer is also run with the support check off, and each case keeps
    that raw answer and whether it passed beside the checked one, so a reader sees what
    the check removed (extractive answers are quotes: there is nothing to remove)."""
    assistant.warm_up()
    article = assistant.article
    raw = None
    grader: Judge | None = judge
    judged = f"judged by {judge.name}"
    if not assistant.answerer.verbatim and assistant.settings.support_check and (
            judge.name == make_judge(assistant.settings.judge).name):
        # The support check already kept only what this judge accepts: its scores of the
        # checked answers would grade the check by itself.
        grader, judged = None, (f"not reported: {judge.name} is also the answer-time "
                                "support check; pass --judge with another judge")
    if not assistant.answerer.verbatim:
        unchecked = assistant.settings.model_copy(update={"support_check": False})
        raw = assistant.with_answerer(assistant.answerer, unchecked)
    rows: list[dict] = []
    started = time.perf_counter()
    for case in tqdm(cases, desc="eval", unit="case", disable=not progress):
        result = assistant.run(case.question, list(case.history))
        metrics = case_metrics(case, result.answer, result.trace, article, grader,
                               assistant.articles)
        extra = {}
        if raw is not None:
            unchecked_result = raw.run(case.question, list(case.history))
            raw_metrics = case_metrics(case, unchecked_result.answer, unchecked_result.trace,
                                       article, None, raw.articles)
            metrics["raw_passed"] = raw_metrics["passed"]
            metrics["check_changed"] = unchecked_result.answer.answer != result.answer.answer
            extra["raw_answer"] = unchecked_result.answer.answer
        rows.append({
            **extra,
            "id": case.id, "category": case.category, "note": case.note,
            "question": case.question,
            "answerable": case.answerable, "history": list(case.history),
            "gold_quotes": list(case.gold_quotes),
            "answer": result.answer.to_json(),
            "standalone_query": result.trace.standalone_query,
            "evidence": [{"sentence_id": e.sentence_id, "score": round(e.score, 4),
                          "text": e.text} for e in result.trace.evidence[:5]],
            "metrics": metrics,
        })
    by_split = {split: aggregate([r["metrics"] for r, c in zip(rows, cases, strict=True)
                                  if c.split == split],
                                 [c for c in cases if c.split == split])
                for split in SPLITS if any(c.split == split for c in cases)}
    for row, case in zip(rows, cases, strict=True):
        row["split"] = case.split
    by_category: dict[str, dict] = {}
    for category in dict.fromkeys(c.category for c in cases):
        picked = [(r["metrics"], c) for r, c in zip(rows, cases, strict=True)
                  if c.category == category]
        by_category[category] = aggregate([m for m, _ in picked], [c for _, c in picked])
    settings = assistant.settings
    return {
        "version": REPORT_VERSION,
        "meta": {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "git_commit": _git_commit(),
            "python": platform.python_version(),
            "seconds": round(time.perf_counter() - started, 1),
            "judge": judge.name,
            "judged_metrics": judged,
            "article": article.article_id,
            "min_score": assistant.min_score,
            "settings": {k: str(v) for k, v in settings.model_dump().items()},
            "index": asdict(assistant.index.manifest),
        },
        "aggregate": aggregate([r["metrics"] for r in rows], cases),
        "by_split": by_split,
        "by_category": by_category,
        "cases": rows,
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except OSError:
        return None
