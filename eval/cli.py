"""`python -m eval run|compare`: regression-test the answers against the eval set."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from source.errors import AppError, run_cli

DEFAULT_OUT = Path("eval/reports/latest")
BASELINE = Path(__file__).resolve().parent / "baseline.json"
DEFAULT_JUDGE = "coverage"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the eval set and write a report")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    run.add_argument("--cases", type=Path, help="cases JSONL (default: eval/cases.jsonl)")
    run.add_argument("--category", action="append", help="only these categories")
    run.add_argument("--limit", type=int, help="only the first N cases")
    run.add_argument("--judge", default=DEFAULT_JUDGE,
                     help="coverage, or an NLI model (packaged name or folder)")
    run.add_argument("--answerer", help="answer backend to evaluate")
    run.add_argument("--reranker", help="reranker to evaluate")
    run.add_argument("--data-dir", help="index folder")
    run.add_argument("--baseline", type=Path, help="also compare with this report")
    bench = commands.add_parser("bench", help="latency, memory and build time, side by side "
                                              "with a textbook LangChain retrieval chain")
    bench.add_argument("--out", type=Path, default=Path("eval/reports/bench"))
    bench.add_argument("--answerer", help="answer backend to measure")
    bench.add_argument("--limit", type=int, help="only the first N answerable cases")
    bench.add_argument("--no-processes", dest="processes", action="store_false",
                       help="skip the fresh-process build and cold-start figures")
    cmp = commands.add_parser("compare", help="show regressions of CURRENT against BASELINE")
    cmp.add_argument("baseline", type=Path)
    cmp.add_argument("current", type=Path)
    cmp.add_argument("--thresholds", type=Path, help="TOML (default: eval/thresholds.toml)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    if args.command == "compare":
        return run_cli(lambda: _compare(args.baseline, args.current, args.thresholds))
    if args.command == "bench":
        return run_cli(lambda: _bench(args))
    return run_cli(lambda: _run(args))


def _bench(args: argparse.Namespace) -> int:
    from assistant.chain import Assistant
    from eval.bench import run_bench, write
    from eval.cases import load_cases
    from index.settings import load_settings

    assistant = Assistant(load_settings(answerer=args.answerer)).warm_up()
    cases = [c for c in load_cases(assistant.index.sentences) if c.answerable]
    path = write(run_bench(assistant, cases[: args.limit] if args.limit else cases,
                           processes=args.processes), args.out)
    print(path.read_text("utf-8"))
    return 0


def _run(args: argparse.Namespace) -> int:
    from assistant.chain import Assistant
    from assistant.support import make_judge
    from eval.cases import CASES_FILE, load_cases
    from eval.report import write_report
    from eval.runner import run_suite
    from index.settings import load_settings

    settings = load_settings(answerer=args.answerer, reranker=args.reranker,
                             data_dir=args.data_dir)
    assistant = Assistant(settings).warm_up()
    cases = load_cases(assistant.index.sentences, args.cases or CASES_FILE)
    if args.category:
        cases = [c for c in cases if c.category in args.category]
    if args.limit:
        cases = cases[: args.limit]
    report = run_suite(assistant, make_judge(args.judge), cases)
    paths = write_report(report, args.out)
    agg = report["aggregate"]
    print(f"{agg['cases']} cases: pass rate {agg['pass_rate']:.3f}, faithfulness "
          f"{agg['faithfulness']}, citation recall {agg['citation_recall']}, precision "
          f"{agg['citation_precision']}; report: {paths['markdown']}")
    if args.baseline:
        return _compare(args.baseline, paths["json"], None)
    return 0


def _compare(baseline_path: Path, current_path: Path, thresholds_path: Path | None) -> int:
    from eval.compare import THRESHOLDS_FILE, compare, load_thresholds, render_findings

    reports = []
    for path in (baseline_path, current_path):
        try:
            reports.append(json.loads(Path(path).read_text("utf-8")))
        except (OSError, ValueError) as exc:
            raise AppError(f"{path}: cannot read report: {exc}") from None
    try:
        thresholds = load_thresholds(thresholds_path or THRESHOLDS_FILE)
    except (OSError, ValueError) as exc:
        raise AppError(f"cannot read thresholds: {exc}") from None
    findings = compare(reports[0], reports[1], thresholds)
    print(render_findings(findings, *reports))
    return 1 if findings else 0
