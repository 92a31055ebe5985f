"""Answer cases as pytest tests: `pytest --answer-cases FILE` (or any `*.cases.jsonl` file
pytest collects) runs one test item per case, named by its id, selectable with `-k` by
id, category or split, with a readable failure: the question, the answer, the key points
missing and the gold sentences not cited.

Snapshots: `--answer-snapshot-update` records each answer (text and citations) beside the
case file; later runs fail with a diff where an answer changed. `--answer-baseline
REPORT` marks cases that already failed in that eval report as expected failures, so a
suite of real cases gates regressions without hiding them.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from source.errors import AppError

SNAPSHOT_SUFFIX = ".snapshot.json"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("answer-cases", "ask-the-article answer cases")
    group.addoption("--answer-cases", action="append", default=[], metavar="FILE",
                    help="a JSONL case file to run as tests (repeatable)")
    group.addoption("--answer-article", metavar="FILE",
                    help="the document the cases are about (default: the suite's, a "
                         "sibling NAME.txt/.md, or the bundled article)")
    group.addoption("--answer-data-dir", metavar="DIR", help="index folder")
    group.addoption("--answer-snapshot-update", action="store_true",
                    help="record the current answers as the snapshot")
    group.addoption("--answer-baseline", metavar="REPORT",
                    help="eval report.json: cases that failed there are expected to fail")


def pytest_configure(config: pytest.Config) -> None:
    files = [Path(f).resolve() for f in config.getoption("answer_cases")]
    config.stash[_FILES] = set(files)
    config.stash[_RUN] = _Run(config)
    if files and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args[:] = [str(f) for f in files]  # only the cases, not the whole suite


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.File | None:
    if file_path.resolve() in parent.config.stash[_FILES] or file_path.name.endswith(
            ".cases.jsonl"):
        return CaseFile.from_parent(parent, path=file_path)
    return None


def pytest_sessionfinish(session: pytest.Session) -> None:
    session.config.stash[_RUN].save_snapshots()


class _Run:
    """Per session: one assistant per document, the snapshots read and to write."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.assistants: dict[Path, object] = {}
        self.snapshots: dict[Path, dict] = {}
        self.update = bool(config.getoption("answer_snapshot_update"))
        baseline = config.getoption("answer_baseline")
        self.failed_before: set[str] = set()
        if baseline:
            report = json.loads(Path(baseline).read_text("utf-8"))
            self.failed_before = {c["id"] for c in report["cases"]
                                  if not c["metrics"]["passed"]}

    def article_for(self, cases: Path) -> Path:
        from eval.suites import SUITES
        from source.load import BUNDLED_ARTICLE

        given = self.config.getoption("answer_article")
        if given:
            return Path(given)
        for suite in SUITES:
            if suite.cases.resolve() == cases.resolve():
                return suite.article
        stem = cases.name.removesuffix(".cases.jsonl")
        for suffix in (".txt", ".md"):
            if (sibling := cases.with_name(stem + suffix)).exists():
                return sibling
        return BUNDLED_ARTICLE

    def assistant(self, article: Path):  # noqa: ANN201 - assistant.chain.Assistant
        if article not in self.assistants:
            from assistant.chain import Assistant
            from assistant.settings import load_settings

            settings = load_settings(article=article,
                                     data_dir=self.config.getoption("answer_data_dir"))
            self.assistants[article] = Assistant(settings).warm_up()
        return self.assistants[article]

    def snapshot(self, cases: Path) -> dict:
        if cases not in self.snapshots:
            path = cases.with_name(cases.name + SNAPSHOT_SUFFIX)
            old = json.loads(path.read_text("utf-8")) if path.exists() else {}
            self.snapshots[cases] = {"old": old, "new": {}}
        return self.snapshots[cases]

    def save_snapshots(self) -> None:
        if not self.update:
            return
        for cases, snap in self.snapshots.items():
            path = cases.with_name(cases.name + SNAPSHOT_SUFFIX)
            merged = {**snap["old"], **snap["new"]}
            path.write_text(json.dumps(merged, indent=1, ensure_ascii=False, sort_keys=True)
                            + "\n", "utf-8")


_FILES = pytest.StashKey[set]()
_RUN = pytest.StashKey[_Run]()


class CaseFile(pytest.File):
    def collect(self):  # noqa: ANN201 - pytest's own iterator type
        from eval.cases import load_cases

        run = self.config.stash[_RUN]
        article = run.article_for(self.path)
        assistant = run.assistant(article)
        try:
            cases = load_cases(assistant.index.sentences, self.path, assistant.article.text)
        except AppError as exc:
            raise self.CollectError(str(exc)) from None
        for case in cases:
            item = CaseItem.from_parent(self, name=case.id, case=case, article=article)
            item.extra_keyword_matches.update({case.category, case.split})
            if case.id in run.failed_before:
                item.add_marker(pytest.mark.xfail(reason="failed in the baseline report",
                                                  strict=False))
            yield item

    class CollectError(Exception):
        pass


class AnswerCaseFailure(Exception):
    """A case whose answer does not pass, or differs from its snapshot."""


class CaseItem(pytest.Item):
    def __init__(self, *, case, article: Path, **kwargs) -> None:  # noqa: ANN001
        super().__init__(**kwargs)
        self.case = case
        self.article = article

    def runtest(self) -> None:
        from assistant.judging.judges import CoverageJudge
        from eval.metrics import case_metrics

        run = self.config.stash[_RUN]
        assistant = run.assistant(self.article)
        result = assistant.run(self.case.question, list(self.case.history))
        answer = result.answer
        metrics = case_metrics(self.case, answer, result.trace, assistant.article,
                               CoverageJudge(), assistant.articles)
        snap = run.snapshot(self.path)
        now = {"answer": answer.answer, "refused": answer.refused,
               "citations": [[c.quote, c.start, c.end] for c in answer.citations]}
        snap["new"][self.case.id] = now
        problems = [] if metrics["passed"] else _why_failed(self.case, answer, metrics,
                                                            assistant.article)
        before = snap["old"].get(self.case.id)
        if before is not None and before != now and not run.update:
            problems.append("the answer changed since the snapshot (accept it with "
                            "--answer-snapshot-update):\n" + _diff(before, now))
        if problems:
            raise AnswerCaseFailure("\n".join(
                [f"question: {self.case.question}", f"answer:   {answer.answer}", *problems]))

    def repr_failure(self, excinfo, style=None) -> str:  # noqa: ANN001
        if isinstance(excinfo.value, AnswerCaseFailure):
            return f"{self.case.id} ({self.case.category}, {self.case.split})\n" + str(
                excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"answer case {self.case.id}"


def _why_failed(case, answer, metrics: dict, article) -> list[str]:  # noqa: ANN001
    if not case.answerable:
        return ["expected: a refusal" + (" or a rejected premise"
                                         if case.category == "false-premise" else "")]
    if answer.refused:
        return ["expected an answer; it refused"]
    text = answer.answer.lower()
    out = []
    missing = [" | ".join(p) for p in case.key_points if not any(a.lower() in text for a in p)]
    if missing:
        out.append("key points missing: " + "; ".join(missing))
    cited = [(c.start, c.end) for c in answer.citations]
    for quote in case.gold_quotes:
        start = article.text.find(quote)
        if not any(s < start + len(quote) and start < e for s, e in cited):
            out.append(f"gold sentence not cited: {quote}")
    return out


def _diff(before: dict, now: dict) -> str:
    def lines(snap: dict) -> list[str]:
        return [snap["answer"], *(f"[{i}] {q} ({s}-{e})"
                                  for i, (q, s, e) in enumerate(snap["citations"], 1))]

    return "\n".join(difflib.unified_diff(lines(before), lines(now), "snapshot", "now",
                                          lineterm=""))
