"""`python -m eval ablate`: the same cases answered by today's rules alone, the learned
reader alone, and both, side by side in one run (and, with `--families`, "both" without
each rule family in turn), so every gain is a difference measured on one machine."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from assistant.answering.evidence import RULES

COLUMNS = ("pass_rate", "answer_pass_rate", "refusal_precision", "refusal_recall",
           "false_premise_handled", "answer_precision", "citation_validity", "latency_p50_ms")


def configurations(families: bool, keep: frozenset[str]) -> list[tuple[str, dict]]:
    out = [("rules", {"reader": "rules"}), ("model", {"reader": "model"}),
           ("gate", {"reader": "gate", "rules": ",".join(sorted(keep))}),
           ("both", {"reader": "both", "rules": ",".join(sorted(keep))})]
    if families:
        out += [(f"both − {f}", {"reader": "both", "rules": ",".join(sorted(keep - {f}))})
                for f in sorted(keep)]
        out += [(f"both + {f}", {"reader": "both", "rules": ",".join(sorted(keep | {f}))})
                for f in sorted(RULES - keep)]
    return out


def run(groups: Sequence[tuple[str, list]], split: str, out: Path, families: bool,
        keep: frozenset[str], data_dir: str | None = None) -> str:
    from assistant.judging.judges import make_judge
    from eval.report import merge
    from eval.runner import open_suite, run_suite

    judge = make_judge("coverage")
    lines = ["| documents | configuration | " + " | ".join(COLUMNS) + " |",
             "|---|---|" + "---:|" * len(COLUMNS)]
    kinds: dict[str, dict[str, dict]] = {}
    for group, suites in groups:
        for name, overrides in configurations(families, keep):
            reports = []
            for suite in suites:
                assistant, cases = open_suite(suite, split, data_dir=data_dir, **overrides)
                if cases:
                    reports.append(run_suite(assistant, judge, cases, progress=False))
            if not reports:
                continue
            merged = merge(reports)
            agg = merged["aggregate"]
            lines.append(f"| {group} | {name} | " + " | ".join(_cell(agg.get(c))
                                                               for c in COLUMNS) + " |")
            kinds.setdefault(group, {})[name] = {
                k: v.get("pass_rate") for k, v in merged["by_kind"].items()}
            print(lines[-1], flush=True)
    lines += ["", "Pass rate by kind (corpus kinds; the eval's categories elsewhere):", ""]
    for group, by_config in kinds.items():
        names = list(by_config)
        all_kinds = sorted({k for v in by_config.values() for k in v})
        lines += [f"**{group}**", "", "| kind | " + " | ".join(names) + " |",
                  "|---|" + "---:|" * len(names)]
        for kind in all_kinds:
            lines.append(f"| {kind} | " + " | ".join(_cell(by_config[n].get(kind))
                                                     for n in names) + " |")
        lines.append("")
    out.mkdir(parents=True, exist_ok=True)
    (out / f"ablation-{split}.md").write_text("\n".join(lines) + "\n", "utf-8")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) and value <= 1 else str(value)
