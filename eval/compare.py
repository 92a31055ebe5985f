"""Compare a report with a baseline: metric drops past the thresholds, and cases that broke."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from source.errors import AppError
from source.files import read_user_file

THRESHOLDS_FILE = Path(__file__).resolve().parent / "thresholds.toml"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # "metric" | "case" | "floor"
    name: str
    baseline: float | bool | None
    current: float | bool | None
    message: str


def load_thresholds(path: Path = THRESHOLDS_FILE) -> dict:
    return tomllib.loads(read_user_file(path, 1 << 20, "thresholds file", AppError,
                                        AppError).decode("utf-8"))


def compare(baseline: dict, current: dict, thresholds: dict) -> list[Finding]:
    """Every regression: an aggregate metric that fell by more than its allowed drop or
    under its floor, and every case that passed in the baseline but fails now."""
    findings: list[Finding] = []
    drops: dict[str, float] = thresholds.get("max_drop", {})
    floors: dict[str, float] = thresholds.get("floor", {})
    base_agg, cur_agg = baseline["aggregate"], current["aggregate"]
    for name in sorted(set(drops) | set(floors)):
        old, new = base_agg.get(name), cur_agg.get(name)
        if new is None:
            continue
        if name in floors and new < floors[name]:
            findings.append(Finding("floor", name, old, new,
                                    f"{name} {new:.3f} is under its floor {floors[name]:.3f}"))
        if name in drops and old is not None and new < old - drops[name]:
            findings.append(Finding("metric", name, old, new,
                                    f"{name} fell {old:.3f} → {new:.3f} "
                                    f"(allowed drop {drops[name]:.3f})"))
    old_cases = {c["id"]: c for c in baseline["cases"]}
    for case in current["cases"]:
        before = old_cases.get(case["id"])
        if before and before["metrics"]["passed"] and not case["metrics"]["passed"]:
            findings.append(Finding("case", case["id"], True, False,
                                    f"{case['id']} ({case['category']}) passed before, fails now:"
                                    f" {case['question']}"))
    return findings


def render_findings(findings: list[Finding], baseline: dict, current: dict) -> str:
    lines = ["| metric | baseline | current | Δ |", "|---|---:|---:|---:|"]
    for name, old in baseline["aggregate"].items():
        new = current["aggregate"].get(name)
        if isinstance(old, int | float) and isinstance(new, int | float):
            lines.append(f"| {name} | {old:.3f} | {new:.3f} | {new - old:+.3f} |")
    lines.append("")
    if findings:
        lines.append(f"{len(findings)} regression(s):")
        lines += [f"- {f.message}" for f in findings]
    else:
        lines.append("no regressions")
    return "\n".join(lines)
