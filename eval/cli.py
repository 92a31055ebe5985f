"""`python -m eval run|calibrate|init|table|baseline|bench|ablate|compare`: measure the answers.

`run` answers every case of every suite (the bundled article and two licences) and
prints pass rates per split; `--article FILE --cases FILE` runs your own document.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from source.errors import AppError, ArgumentParser, InputError, run_cli
from source.files import read_user_file

MAX_REPORT_BYTES = 256 << 20  # an eval report; a full run's is a few MB

# What the app's install (`make run`) leaves out and `make test` installs: the `eval` extra.
EVAL_EXTRA = "install the eval extra: .venv/bin/pip install '.[eval]'"

DEFAULT_OUT = Path("eval/reports/latest")
DEFAULT_JUDGE = "coverage"
SUMMARY = ("answer_pass_rate", "pass_rate", "refusal_precision", "refusal_recall",
           "false_premise_handled", "key_point_recall", "gold_recall", "answer_precision",
           "citation_validity", "latency_p50_ms")


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m eval", description=(__doc__ or "").split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="answer the eval cases and write reports")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    run.add_argument("--suite", action="append", help="only these suites (default: all)")
    run.add_argument("--article", type=Path, help="your own document (with --cases)")
    run.add_argument("--cases", type=Path, help="cases JSONL for --article")
    run.add_argument("--split", choices=("calibrate", "test"), help="only this split")
    run.add_argument("--category", action="append", help="only these categories")
    run.add_argument("--judge", default=DEFAULT_JUDGE,
                     help="coverage, or an NLI model (packaged name or folder)")
    run.add_argument("--answerer", help="answer backend to evaluate")
    run.add_argument("--reader", choices=("both", "gate", "model", "rules"),
                     help="who judges the evidence (default: the app's setting)")
    run.add_argument("--rules", help="rule families beside the reader, comma-separated "
                                      "(default: the app's setting)")
    run.add_argument("--data-dir", help="index folder")
    run.add_argument("--baseline", action="store_true",
                     help="also compare each suite with its committed baseline")
    cal = commands.add_parser("calibrate", help="fit the refusal thresholds on the "
                                                "calibration split and save them")
    cal.add_argument("--data-dir", help="index folder")
    cal.add_argument("--answerer", help="a generating answerer (endpoint, local:MODEL.gguf): "
                                        "also fit the support check's threshold for it")
    cal.add_argument("--dry-run", action="store_true", help="print, do not save")
    init = commands.add_parser("init", help="start a case file for a document (a template "
                                            "to fill in; never invented gold)")
    init.add_argument("document", type=Path)
    init.add_argument("--out", type=Path, help="case file (default: DOCUMENT.cases.jsonl)")
    commands.add_parser("table", help="print the score table (docs/evaluation.md) from the "
                                      "committed baselines (before and after the answering "
                                      "stages)")
    base = commands.add_parser("baseline", help="save the latest reports as the baselines")
    base.add_argument("--from", dest="source", type=Path, default=DEFAULT_OUT)
    bench = commands.add_parser("bench", help="latency, memory and build time, side by side "
                                              "with a textbook LangChain retrieval chain")
    bench.add_argument("--out", type=Path, default=Path("eval/reports/bench"))
    bench.add_argument("--answerer", help="answer backend to measure")
    bench.add_argument("--reader", choices=("both", "gate", "model", "rules"),
                       help="who judges the evidence (default: the app's setting)")
    bench.add_argument("--limit", type=int, help="only the first N answerable cases")
    bench.add_argument("--no-processes", dest="processes", action="store_false",
                       help="skip the fresh-process build and cold-start figures")
    bench.add_argument("--library", metavar="SIZES", help="instead: grow a library to each "
                       "of these sizes (articles, comma-separated, e.g. 1,10,100,1000) and "
                       "measure per-question latency, adding, disk and routing")
    bench.add_argument("--chroma-server", action="store_true", help="with --library: keep "
                       "the vectors in a Chroma server this bench starts on 127.0.0.1")
    bench.add_argument("--questions", type=int, default=40, help="with --library: the main "
                       "article's calibrate-split questions timed at each size")
    bench.add_argument("--library-depth", type=int, help="with --library: articles besides "
                       "the one in view a question goes to (default: the app's setting)")
    abl = commands.add_parser("ablate", help="rules alone vs the reader alone vs both, on "
                                              "the same cases in one run")
    abl.add_argument("--split", choices=("calibrate", "test"), default="calibrate",
                     help="calibrate: the eval's calibration splits and the corpus's dev "
                          "documents; test: the test splits and test documents")
    abl.add_argument("--families", action="store_true",
                     help="also 'both' without (or with) each rule family in turn")
    abl.add_argument("--suite", action="append", help="only these suites (default: all, "
                                                       "with the corpus's split)")
    abl.add_argument("--out", type=Path, default=Path("eval/reports"))
    abl.add_argument("--data-dir", help="index folder")
    cmp = commands.add_parser("compare", help="show regressions of CURRENT against BASELINE")
    cmp.add_argument("baseline", type=Path)
    cmp.add_argument("current", type=Path)
    cmp.add_argument("--thresholds", type=Path, help="TOML (default: eval/thresholds.toml)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    handlers = {"compare": lambda: _compare(args.baseline, args.current, args.thresholds),
                "bench": lambda: _bench(args), "calibrate": lambda: _calibrate(args),
                "baseline": lambda: _save_baselines(args.source), "run": lambda: _run(args),
                "table": _table, "init": lambda: _init(args), "ablate": lambda: _ablate(args)}
    return run_cli(handlers[args.command])


def _ablate(args: argparse.Namespace) -> int:
    from assistant.settings import load_settings
    from eval.ablate import run

    corpus = "corpus-dev" if args.split == "calibrate" else "corpus-test"
    args.suite = args.suite or ["reverse-kissinger", "apache-2.0", "mpl-2.0", corpus]
    args.article = args.cases = None
    keep = load_settings().rule_families
    print(run(_suites(args), args.split, args.out, args.families, keep, args.data_dir))
    return 0


def _needs(command: str, module: str, package: str) -> None:
    """One error line naming the extra, before the command starts its long work."""
    if importlib.util.find_spec(module) is None:
        raise AppError(f"python -m eval {command} needs {package}; {EVAL_EXTRA}")


def _bench(args: argparse.Namespace) -> int:
    if args.library:
        return _library_bench(args)
    _needs("bench", "langchain_classic", "langchain-classic")
    from assistant.chain import Assistant
    from assistant.settings import load_settings
    from eval.bench import run_bench, write
    from eval.cases import load_cases

    assistant = Assistant(load_settings(answerer=args.answerer, reader=args.reader)).warm_up()
    cases = [c for c in load_cases(assistant.index.sentences) if c.answerable]
    path = write(run_bench(assistant, cases[: args.limit] if args.limit else cases,
                           processes=args.processes), args.out)
    print(path.read_text("utf-8"))
    return 0


def _library_bench(args: argparse.Namespace) -> int:
    from eval.library_bench import run_library_bench, table

    try:
        sizes = sorted({int(n) for n in args.library.split(",")})
    except ValueError:
        raise InputError(f"--library {args.library!r}: give sizes like 1,10,100") from None
    if not sizes or sizes[0] < 1:
        raise InputError("--library: every size is at least 1 (the main article)")
    report = run_library_bench(sizes, args.chroma_server, args.questions,
                               depth=args.library_depth)
    args.out.mkdir(parents=True, exist_ok=True)
    name = "library-server" if args.chroma_server else "library"
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2), "utf-8")
    (args.out / f"{name}.md").write_text(table(report) + "\n", "utf-8")
    print(table(report))
    return 0


def _suites(args: argparse.Namespace) -> list[tuple[str, list]]:
    """Groups of suites: each eval document alone, each corpus split as one group."""
    from eval.corpus import CORPUS_SUITES, corpus_suites
    from eval.suites import SUITES, Suite

    if args.article or args.cases:
        if not (args.article and args.cases):
            raise AppError("give both --article FILE and --cases FILE")
        suite = Suite(args.article.stem.split(".")[0], args.article, args.cases)
        return [(suite.name, [suite])]
    names = {s.name for s in SUITES} | set(CORPUS_SUITES)
    unknown = set(args.suite or []) - names
    if unknown:
        raise AppError(f"unknown suite {sorted(unknown)[0]!r}; use one of "
                       f"{', '.join(sorted(names))}")
    groups = [(s.name, [s]) for s in SUITES if not args.suite or s.name in args.suite]
    groups += [(name, corpus_suites(name, args.out / name / "cases"))
               for name in CORPUS_SUITES if args.suite and name in args.suite]
    return groups


def _run(args: argparse.Namespace) -> int:
    _needs("run", "matplotlib", "matplotlib")  # the report's plots
    from assistant.judging.judges import make_judge
    from eval.report import write_report
    from eval.runner import open_suite, run_suite

    judge = make_judge(args.judge)
    status = 0
    for group, suites in _suites(args):
        reports = []
        for suite in suites:
            assistant, cases = open_suite(suite, args.split, args.category,
                                          answerer=args.answerer, data_dir=args.data_dir,
                                          reader=args.reader, rules=args.rules)
            if not cases:
                raise AppError(f"{suite.cases}: no cases left to run")
            report = run_suite(assistant, judge, cases, progress=len(suites) == 1)
            where = args.out / (suite.name if len(suites) == 1 else f"{group}/{suite.name}")
            paths = write_report(report, where)
            reports.append(report)
            if len(suites) == 1:
                print(summary(suite.name, report) + f"\nreport: {paths['markdown']}\n")
                if args.baseline:
                    status |= _compare(suite.baseline, paths["json"], None)
        if len(suites) > 1:
            from eval.report import merge

            merged = merge(reports)
            (args.out / group / "report.json").write_text(json.dumps(merged, indent=1), "utf-8")
            print(summary(f"{group}: {len(suites)} documents", merged) + "\n")
    return status


def summary(name: str, report: dict) -> str:
    """One table per suite: each split side by side, and which judge graded."""
    rows = report.get("by_split", {})
    meta = report["meta"]
    head = (f"{name} ({report['aggregate']['cases']} cases; no judge decides a pass; ALCE "
            f"metrics {meta.get('judged_metrics', 'judged by ' + meta['judge'])})")
    lines = [head, "| metric | " + " | ".join(rows) + " |", "|---|" + "---:|" * len(rows)]
    for key in SUMMARY:
        lines.append(f"| {key} | " + " | ".join(_cell(rows[s].get(key)) for s in rows) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def _calibrate(args: argparse.Namespace) -> int:
    from assistant.chain import Assistant
    from assistant.settings import load_settings
    from eval.calibrate import fit, fit_support, observe, write
    from eval.cases import load_cases
    from eval.suites import CALIBRATION_SUITE as suite

    assistant = Assistant(load_settings(article=suite.article, data_dir=args.data_dir,
                                        answerer=args.answerer))
    assistant.warm_up()
    cases = [c for c in load_cases(assistant.index.sentences, suite.cases,
                                   assistant.article.text) if c.split == "calibrate"]
    policy, accuracy = fit(observe(assistant, cases))
    print(f"fitted on {len(cases)} calibration cases of {suite.name}: min_score "
          f"{policy.min_score}, max_foreign {policy.max_foreign} (accuracy {accuracy:.3f})")
    support = None
    if not assistant.answerer.verbatim:
        threshold, rate = fit_support(assistant.with_policy(policy), cases)
        support = (assistant.answerer.name, threshold)
        print(f"support check for {assistant.answerer.name}: min_support {threshold} "
              f"(checked answers pass {rate:.3f} of the calibration cases)")
    if not args.dry_run:
        print(f"saved: {write(policy, accuracy, len(cases), suite.name, support=support)}")
    return 0


TABLE = ("answer_pass_rate", "pass_rate", "refusal_precision", "refusal_recall",
         "false_premise_handled", "key_point_recall", "answer_precision")


def _init(args: argparse.Namespace) -> int:
    from eval.init import write

    path = write(args.document, args.out)
    print(f"wrote {path}: fill in each TODO (questions, gold_quotes copied exactly from the "
          f"document, key_points), then: python -m eval run --article {args.document} "
          f"--cases {path}")
    return 0


def _table() -> int:
    """Per suite and split: the previous answering core beside the current one."""
    from eval.suites import BASELINES, SUITES

    print("| document | split | core | " + " | ".join(TABLE) + " |")
    print("|---|---|---|" + "---:|" * len(TABLE))
    for suite in SUITES:
        for label, path in (("before", BASELINES / "before" / f"{suite.name}.json"),
                            ("now", suite.baseline)):
            try:
                report = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError) as exc:
                raise AppError(f"{path}: cannot read baseline: {exc}") from None
            for split, agg in report.get("by_split", {}).items():
                cells = " | ".join(_cell(agg.get(k)) for k in TABLE)
                print(f"| {suite.name} | {split} | {label} | {cells} |")
    return 0


def _save_baselines(source: Path) -> int:
    from eval.suites import BASELINES, SUITES

    BASELINES.mkdir(exist_ok=True)
    for suite in SUITES:
        report = source / suite.name / "report.json"
        if not report.exists():
            raise AppError(f"{report}: no report; run: python -m eval run")
        suite.baseline.write_text(report.read_text("utf-8"), "utf-8")
        print(f"baseline: {suite.baseline}")
    return 0


def _compare(baseline_path: Path, current_path: Path, thresholds_path: Path | None) -> int:
    from eval.compare import THRESHOLDS_FILE, compare, load_thresholds, render_findings

    reports = []
    for path in (baseline_path, current_path):
        data = read_user_file(path, MAX_REPORT_BYTES, "report file", AppError, AppError)
        try:
            reports.append(json.loads(data))
        except ValueError as exc:
            raise AppError(f"{path}: cannot read report: {exc}") from None
    try:
        thresholds = load_thresholds(thresholds_path or THRESHOLDS_FILE)
    except (OSError, ValueError) as exc:
        raise AppError(f"cannot read thresholds: {exc}") from None
    findings = compare(reports[0], reports[1], thresholds)
    print(render_findings(findings, *reports))
    return 1 if findings else 0
