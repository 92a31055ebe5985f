"""Write a run's report: the JSON, a Markdown page with per-category tables, and plots."""

from __future__ import annotations

import json
from pathlib import Path

COLUMNS = ["answer_pass_rate", "pass_rate", "key_point_recall", "gold_recall",
           "answer_precision", "refusal_precision", "refusal_recall", "false_premise_handled",
           "citation_validity", "recall@5", "mrr", "latency_p50_ms", "latency_p95_ms", "cases"]
JUDGED = ["citation_recall", "citation_precision", "faithfulness", "raw_pass_rate",
          "check_changed_share"]


def write_report(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    tmp = paths["json"].with_suffix(".tmp")
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False), "utf-8")
    tmp.replace(paths["json"])
    paths.update(_plots(report, out_dir))
    paths["markdown"].write_text(markdown(report, {k: v.name for k, v in paths.items()
                                                   if k.startswith("plot")}), "utf-8")
    return paths


def merge(reports: list[dict]) -> dict:
    """Several documents' reports as one: every case pooled, aggregated again by split,
    by category and by kind (a corpus case keeps its question kind in `note`)."""
    from eval.cases import Case
    from eval.metrics import aggregate

    rows = [row for report in reports for row in report["cases"]]
    cases = [Case(r["id"], r["category"], r["question"], r["answerable"],
                  note=r.get("note", ""), split=r.get("split", "test")) for r in rows]

    def by(key) -> dict[str, dict]:  # noqa: ANN001
        groups = dict.fromkeys(key(c) for c in cases)
        return {g: aggregate([r["metrics"] for r, c in zip(rows, cases, strict=True)
                              if key(c) == g], [c for c in cases if key(c) == g])
                for g in groups}

    return {"meta": {**reports[0]["meta"], "documents": [r["meta"]["article"] for r in reports],
                     "judged_metrics": reports[0]["meta"].get("judged_metrics", "")},
            "aggregate": aggregate([r["metrics"] for r in rows], cases),
            "by_split": by(lambda c: c.split), "by_category": by(lambda c: c.category),
            "by_kind": by(lambda c: c.note or c.category), "cases": rows}


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1 else f"{value:.0f}"
    return str(value)


def table(rows: dict[str, dict]) -> list[str]:
    lines = ["| | " + " | ".join(COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for name, agg in rows.items():
        lines.append(f"| {name} | " + " | ".join(_cell(agg.get(c)) for c in COLUMNS) + " |")
    return lines


def markdown(report: dict, plots: dict[str, str]) -> str:
    meta = report["meta"]
    lines = [
        "# Eval report", "",
        f"Commit `{meta['git_commit']}`, {meta['created']}, {report['aggregate']['cases']} cases "
        f"in {meta['seconds']} s. Answerer `{meta['settings']['answerer']}`, "
        f"judge `{meta['judge']}`.", "",
        "A pass means the answer answers: not declined, every quote exact, every key point "
        "present and a gold sentence cited (a case the document does not answer passes when "
        "refused, or for a false premise when the premise is rejected). None of these "
        "uses a judge. The judged metrics below (ALCE citation recall/precision, "
        f"faithfulness) were graded by `{meta['judge']}`; extractive answers skip the "
        "answer-time support check, generated ones are checked by the same kind of judge, "
        "so for them these figures are not independent.", "",
        "## Per split", "",
        *table(report.get("by_split", {})), "",
        "## Aggregate and per category", "",
        *table({"**all**": report["aggregate"], **report["by_category"]}), "",
        "## Judged metrics, and what the support check changed", "",
        f"ALCE metrics: {meta.get('judged_metrics', 'judged by ' + meta['judge'])}.", "",
        "| | " + " | ".join(JUDGED) + " |", "|---|" + "---:|" * len(JUDGED),
        "| **all** | " + " | ".join(_cell(report["aggregate"].get(k)) for k in JUDGED) + " |",
        "",
    ]
    for name in plots.values():
        lines += [f"![{name}]({name})", ""]
    failed = [c for c in report["cases"] if not c["metrics"]["passed"]]
    lines += [f"## Failing cases ({len(failed)})", ""]
    for c in failed:
        m = c["metrics"]
        lines += [f"### {c['id']} ({c['category']}, {c.get('split', '?')}): {c['question']}",
                  "", f"- answer: {c['answer']['answer']}",
                  f"- refused {m['refused']}, premise rejected {m.get('premise_rejected')}, "
                  f"gold cited {_cell(m['gold_cited'])}, gold recall "
                  f"{_cell(m.get('gold_recall'))}, key points {_cell(m['key_point_recall'])}",
                  *([f"- before the support check: {c['raw_answer']}"]
                    if "raw_answer" in c else []),
                  f"- gold: {' / '.join(c['gold_quotes']) or '(none: should refuse)'}", ""]
    return "\n".join(lines)


def _plots(report: dict, out_dir: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = report["cases"]
    paths: dict[str, Path] = {}
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist([c["metrics"]["latency_ms"] for c in cases], bins=20, color="#4a7")
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("cases")
    fig.tight_layout()
    paths["plot_latency"] = out_dir / "latency.png"
    fig.savefig(paths["plot_latency"], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 3.2))
    top = [c["metrics"].get("best_score") or 0.0 for c in cases]
    answerable = [s for s, c in zip(top, cases, strict=True) if c["answerable"]]
    other = [s for s, c in zip(top, cases, strict=True) if not c["answerable"]]
    ax.hist([answerable, other], bins=20, label=["answerable", "should refuse"],
            color=["#4a7", "#c54"])
    threshold = report["meta"].get("min_score", report["meta"].get("min_support"))  # older
    ax.axvline(threshold, color="k", linestyle="--", linewidth=1,
               label="refusal threshold")
    ax.set_xlabel("best evidence score (all splits; threshold fitted on calibrate)")
    ax.set_ylabel("cases")
    ax.legend()
    fig.tight_layout()
    paths["plot_scores"] = out_dir / "scores.png"
    fig.savefig(paths["plot_scores"], dpi=110)
    plt.close(fig)
    return paths
