"""`python -m eval bench --library 1,10,100,1000 [--chroma-server]`: the cost of a question
as the library grows, and whether each question reaches its article.

One library is grown in a temporary data folder to each N (articles in it, the main one
counted): the added articles are the project's own documents (the eval's licences and the
reader corpus's documents), repeated under distinct ids past the distinct ones, which is
fair for timing (a repeated text is embedded once, by the vector cache; the search still
holds every copy's rows). At each N, in the same run:

- adding: `python -m index add FOLDER` in a fresh process, its wall time and peak RSS;
- the data folder's size on disk;
- per question (the main article's calibrate-split questions, answered twice: the first
  pass opens the few articles the questions go to, the second is the steady cost),
  p50/p95 of the answer's own `total`;
- routing, once every target is in (N >= 100 by default): each question of the eval
  documents' calibrate split and of the corpus's test documents, asked with its document
  in view; the share answered from it, and the share answered from another article (a
  routing error; the rest are refusals). The targets are never repeated in the library.
  "Who wrote the article?" with the main article in view, at each N.

With `--chroma-server`, `chroma run` is started on 127.0.0.1 (a free port) and stopped at
the end; the vectors, every article's and the library search's, live there.
Nothing is tuned on these figures.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from eval.bench import _child, _pcts

AUTHOR_QUESTION = "Who wrote the article?"
ADD_CHUNK = 250  # articles per `index add` process


@dataclass(frozen=True, slots=True)
class Target:
    """A document whose questions measure routing, with the questions."""

    path: Path
    questions: tuple[str, ...]


def targets() -> list[Target]:
    """The eval documents' calibrate-split answerable questions and the corpus's test
    documents' answerable questions without history (read through eval.suites,
    eval.cases, training.corpus and training.splits)."""
    from eval.cases import load_cases
    from eval.suites import SUITES
    from index.segment import segment
    from source.load import load_article
    from training import corpus, splits

    found = []
    for suite in SUITES[1:]:
        article = load_article(suite.article)
        cases = load_cases(segment(article), suite.cases, article.text)
        found.append(Target(suite.article, tuple(
            c.question for c in cases
            if c.split == "calibrate" and c.answerable and not c.history)))
    chosen = splits.load()
    documents, _ = corpus.load()
    for doc in documents:
        if chosen.get(doc.id) == "test":
            found.append(Target(doc.path, tuple(q.question for q in doc.questions
                                                if q.answerable and not q.history)))
    return found


def fillers() -> list[Path]:
    """The corpus's other documents: distinct texts that are no target."""
    from training import corpus, splits

    chosen = splits.load()
    documents, _ = corpus.load()
    return [d.path for d in documents if chosen.get(d.id) != "test"]


def plan_library(n: int, goals: Sequence[Target], others: Sequence[Path]) -> list[tuple[str, Path]]:
    """The `n - 1` added articles as (id, source): the targets first, then the fillers,
    then the fillers again under new ids."""
    wanted: list[tuple[str, Path]] = []
    for i in range(n - 1):
        if i < len(goals):
            source = goals[i].path
        else:
            source = others[(i - len(goals)) % len(others)]
        stem = source.name.split(".")[0]
        wanted.append((stem if i < len(goals) + len(others) else f"{stem}-copy{i:04d}", source))
    return wanted


def _main_questions(limit: int) -> list[str]:
    from eval.cases import load_cases
    from index.segment import segment
    from source.load import load_article

    article = load_article()
    return [c.question for c in load_cases(segment(article), text=article.text)
            if c.split == "calibrate" and not c.history][:limit]


def _disk(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chroma_server(folder: Path, wait: float = 60) -> Iterator[str]:
    """`chroma run` (the CLI that comes with chromadb) on loopback, its data in `folder`,
    for the block's length: the bench's server, and the tests'. Polled until it answers;
    `wait` seconds only end a hang."""
    import chromadb

    from index.backends import _chroma_settings

    binary = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    port = _free_port()
    server = subprocess.Popen([binary, "run", "--path", str(folder), "--host", "127.0.0.1",
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + wait
    while True:
        try:
            chromadb.HttpClient(host="127.0.0.1", port=port,
                                settings=_chroma_settings()).heartbeat()
            break
        except Exception:  # noqa: BLE001 - not up yet
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError(f"chroma run did not come up within {wait:g} s") from None
            time.sleep(0.2)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(30)


def _answer_times(assistant, questions: Sequence[str]) -> list[float]:  # noqa: ANN001
    return [assistant.ask(q).timings_ms["total"] for q in questions]


def _routing(assistant, goals: Sequence[Target]) -> dict:  # noqa: ANN001
    from source.load import slug

    asked = own = other = 0
    misses: list[dict] = []
    for goal in goals:
        article_id = slug(goal.path)
        viewing = assistant.viewing(article_id)
        for question in goal.questions:
            answer = viewing.ask(question)
            cited = {c.article for c in answer.citations}
            asked += 1
            if not answer.refused and cited == {article_id}:
                own += 1
            elif cited - {article_id}:
                other += 1
                misses.append({"article": article_id, "question": question,
                               "answered_from": sorted(cited)})
    return {"questions": asked, "answered_from_it": round(own / asked, 3),
            "answered_from_another": round(other / asked, 3),
            "refused_or_mixed": round((asked - own - other) / asked, 3),
            "to_another": misses}


def run_library_bench(sizes: Sequence[int], server: bool = False, questions: int = 40,
                      routing_at: int = 100, depth: int | None = None) -> dict:
    """Grow one library to each size in `sizes` and measure (see the module's doc)."""
    from assistant.chain import Assistant
    from assistant.settings import load_settings

    goals, others = targets(), fillers()
    root = Path(tempfile.mkdtemp(prefix="ata-library-bench-"))
    data, sources = root / "data", root / "sources"
    env = {**os.environ, "ATA_DATA_DIR": str(data)}
    for name in [n for n in env if n.startswith("ATA_") and n != "ATA_DATA_DIR"]:
        if name not in ("ATA_MODEL_CACHE", "ATA_EMBEDDING_MODEL"):
            env.pop(name)
    rows = []
    try:
        with _maybe_server(server, root / "chroma") as url:
            if url:
                env["ATA_CHROMA_URL"] = url
            overrides = {"data_dir": data, "chroma_url": url, "library_depth": depth}
            main_questions = _main_questions(questions)
            subprocess.run([sys.executable, "-m", "index", "build"], env=env, check=True,
                           capture_output=True, timeout=1800)
            added: set[str] = set()
            add_seconds = 0.0
            for n in sorted(sizes):
                batch = sources / f"upto-{n}"
                batch.mkdir(parents=True)
                for article_id, source in plan_library(n, goals, others):
                    if article_id not in added:
                        suffix = "".join(source.suffixes[-1:])
                        shutil.copyfile(source, batch / f"{article_id}{suffix}")
                        added.add(article_id)
                seconds, peaks = 0.0, []
                files = sorted(batch.iterdir())
                for first in range(0, len(files), ADD_CHUNK):  # each well within a child's limit
                    chunk = batch / f"chunk-{first:05d}"
                    chunk.mkdir()
                    for path in files[first : first + ADD_CHUNK]:
                        path.rename(chunk / path.name)
                    took, peak = _child(["index", "add", str(chunk)], env)
                    seconds, peaks = seconds + took, [*peaks, peak]
                peak = max(peaks, default=None)
                add_seconds += seconds
                assistant = Assistant(load_settings(**overrides)).warm_up()
                cold = _answer_times(assistant, main_questions)
                warm = _answer_times(assistant, main_questions)
                author = assistant.ask(AUTHOR_QUESTION)
                row = {"articles": n, "add_seconds": round(seconds, 1),
                       "add_seconds_total": round(add_seconds, 1), "add_peak_mib": peak,
                       "disk_mib": _disk(data) + (_disk(root / "chroma") if url else 0),
                       "first_pass": _pcts(cold), "second_pass": _pcts(warm),
                       "author_from": sorted({c.article for c in author.citations}),
                       "opened": sum(assistant.shelf.is_open(i) for i in assistant.titles)}
                if n >= routing_at and n - 1 >= len(goals):
                    row["routing"] = _routing(assistant, goals)
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "routing"}),
                      file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    base = rows[0]["second_pass"]["p50"] if rows else None
    for row in rows:
        p50 = row["second_pass"]["p50"]
        row["p50_vs_first_size"] = round(p50 / base, 2) if base and p50 else None
    return {"backend": "chroma server" if server else "embedded",
            "library_depth": depth if depth is not None else load_settings().library_depth,
            "questions": questions, "sizes": rows, "machine": _machine()}


@contextmanager
def _maybe_server(server: bool, folder: Path) -> Iterator[str | None]:
    if not server:
        yield None
        return
    folder.mkdir(parents=True)
    with chroma_server(folder) as url:
        yield url


def _machine() -> dict:
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "uptime": load,
            "cpus": os.cpu_count()}


def table(report: dict) -> str:
    """The report as a Markdown table (docs/benchmarks.md)."""
    lines = [f"{report['backend']}, library_depth {report['library_depth']}, "
             f"{report['questions']} questions; {report['machine']['date']}; "
             f"`uptime`: {report['machine']['uptime']}", "",
             "| articles | p50 ms (vs 1) | p95 ms | first pass p50 / p95 ms | add s (total) "
             "| add peak MiB | disk MiB | author from |",
             "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in report["sizes"]:
        lines.append(f"| {r['articles']:,} | {r['second_pass']['p50']} "
                     f"({r['p50_vs_first_size']}) | {r['second_pass']['p95']} | "
                     f"{r['first_pass']['p50']} / {r['first_pass']['p95']} | "
                     f"{r['add_seconds']} ({r['add_seconds_total']}) | {r['add_peak_mib']} | "
                     f"{r['disk_mib']} | {', '.join(r['author_from'])} |")
    for r in report["sizes"]:
        if routing := r.get("routing"):
            lines += ["", f"Routing with {r['articles']:,} articles: {routing['questions']} "
                      f"questions, answered from their article {routing['answered_from_it']}, "
                      f"from another {routing['answered_from_another']}, refused or mixed "
                      f"{routing['refused_or_mixed']}."]
    return "\n".join(lines)
