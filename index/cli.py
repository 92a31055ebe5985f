"""`python -m index build|status|add|list|remove`: build the article's index, say what is
in service, or manage further articles that answers may cite."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypedDict

from tqdm import tqdm

from index import library
from index.search import LibrarySearch
from index.settings import IndexSettings
from index.store import (
    Index,
    Manifest,
    current_manifest,
    open_index,
    pause_point,
    wanted_manifest,
)
from source.article import Article
from source.errors import AppError, ArgumentParser, ArticleError, LibraryError, StoreError, run_cli
from source.load import load_article


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m index", description=__doc__)
    flags = ("article", "data_dir", "embedding_model", "chroma_url")
    # Accepted before or after the command ("index --data-dir D build" or "index build
    # --data-dir D"); after it, an absent flag must not undo one given before.
    common = ArgumentParser(add_help=False)  # typeshed: parents are of the parser's class
    IndexSettings.add_flags(parser, *flags)
    IndexSettings.add_flags(common, *flags, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", parents=[common], help="build every article's "
                                "index that is missing, stale or damaged (and relist added "
                                "articles a damaged or lost library.json dropped)")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    status = commands.add_parser("status", parents=[common],
                                 help="show every article's index in service")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    add = commands.add_parser("add", parents=[common],
                              help="add more articles (.txt or .md files, or folders of "
                                   "them) and index them; unchanged ones are skipped, so "
                                   "an interrupted add is rerun to go on")
    add.add_argument("path", type=Path, nargs="+")
    add.add_argument("--replace", action="store_true", help="replace an added article")
    commands.add_parser("list", parents=[common], help="list the articles answers may cite")
    remove = commands.add_parser("remove", parents=[common],
                                 help="remove an added article and its index")
    remove.add_argument("article_id")
    commands.add_parser("compile", parents=[common], help="compile the embedding model to "
                        "ONNX now (else done on first use; `make` does it at install)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    def body() -> int:
        settings = IndexSettings.load(article=args.article, data_dir=args.data_dir,
                                 embedding_model=args.embedding_model,
                                 chroma_url=args.chroma_url)
        if args.command in ("list", "remove"):
            return _library(settings, args)
        if args.command == "compile":
            from index.compiled import compiled_dir, load_compiled
            from index.models import resolve_model

            model = resolve_model(settings.embedding_model)
            load_compiled(settings.model_cache, model)
            print(f"compiled: {compiled_dir(settings.model_cache, model)}")
            return 0
        article = load_article(settings.article)
        if args.command == "status":
            return _status(settings, article, args.json)
        from index.embed import embeddings_for
        from index.store import build_index

        started = time.perf_counter()
        if args.command == "add":
            return _add(settings, article, args.path, args.replace)
        for entry in library.relist(settings):
            print(f"relisted {entry.article_id} ({entry.file})")
        embeddings = embeddings_for(settings)
        search = LibrarySearch(settings)
        main = build_index(settings, article, embeddings, force=args.force)
        _ready(settings, main, started)
        failed = 0
        entries = library.entries(settings)
        if entries:  # the main article is searchable once there are others to route to
            search.include(main)
        for entry in entries:
            try:
                added = load_article(library.library_dir(settings) / entry.file)
                index = build_index(settings, added, embeddings, force=args.force)
                search.include(index)
                _ready(settings, index, started)
            except AppError as exc:  # one added article must not stop the others
                print(f"error: {exc}; to drop it: python -m index remove {entry.article_id}",
                      file=sys.stderr)
                failed += 1
        return 2 if failed else 0

    return run_cli(body, interrupted="interrupted; the index in service is unchanged")


def _add(settings: IndexSettings, main: Article, sources: list[Path], replace: bool) -> int:
    """Add each file (a folder: the article files in it), one at a time, each listed once
    complete; a bad one is an error line and the others go on."""
    from index.cache import CACHE_FILE, CachedEmbeddings
    from index.embed import embeddings_for

    files = library.files_in(sources)
    if not files:
        raise LibraryError(f"no .txt or .md files in {', '.join(map(str, sources))}")
    @functools.cache
    def embeddings() -> CachedEmbeddings:  # loaded on the first file that needs it
        return CachedEmbeddings(embeddings_for(settings),
                                library.library_dir(settings) / CACHE_FILE,
                                settings.embedding_model)

    search = LibrarySearch(settings)
    several = len(files) > 1
    if several:  # the bar says it; a line per build would break it up
        logging.getLogger("index.store").setLevel(logging.WARNING)
    added = skipped = failed = 0
    bar = tqdm(files, desc="adding", unit="article", disable=not several, file=sys.stderr)
    for path in bar:
        started = time.perf_counter()
        try:
            done = library.add(settings, path, embeddings, replace, main_id=main.article_id,
                               search=search, progress=not several)
        except ArticleError as exc:  # this file only; the others go on
            tqdm.write(f"error: {exc}", file=sys.stderr)
            failed += 1
            continue
        if isinstance(done, library.Entry):
            skipped += 1
            if not several:
                print(f"unchanged {done.article_id}: {done.title or done.file}")
        else:
            added += 1
            line = f"added {done.article.article_id}: {done.article.title}"
            tqdm.write(line) if several else print(line)
            if not several:
                _ready(settings, done, started)
        pause_point(f"add:after:{path.stem}")
    if several:
        print(f"{added} added, {skipped} unchanged, {failed} failed "
              f"({len(library.entries(settings))} in the library)")
    return 2 if failed else 0


def _library(settings: IndexSettings, args: argparse.Namespace) -> int:
    """Reads library.json only (and the main article): instant with a thousand added."""
    if args.command == "remove":
        library.remove(settings, args.article_id)
        print(f"removed {args.article_id}")
        return 0
    main = load_article(settings.article)
    print(f"{main.article_id}\t{main.title}\t(main article: {settings.article})")
    folder = library.library_dir(settings)
    for entry in library.entries(settings):
        title = entry.title or load_article(folder / entry.file).title  # a list made before
        print(f"{entry.article_id}\t{title}\t({folder / entry.file})")
    return 0


def _ready(settings: IndexSettings, index: Index, started: float) -> None:
    where = f"{index.path}, vectors on {settings.chroma_url}" if settings.chroma_url \
        else index.path
    print(f"index ready: {index.article.article_id}: {index.manifest.windows} windows, "
          f"{index.manifest.sentences} sentences at {where} "
          f"({time.perf_counter() - started:.1f} s)")


def _state(settings: IndexSettings, article: Article) -> tuple[str, Manifest | None, str]:
    """ready | stale | missing | damaged, the manifest in service, and why."""
    try:
        have = current_manifest(settings, article)
    except StoreError as exc:
        return "damaged", None, str(exc)
    if have is None:
        return "missing", None, ""
    if have.key() != wanted_manifest(settings, article).key():
        return "stale", have, ""
    try:  # what `ask --no-build` opens, without loading a model
        open_index(settings, article, embeddings=None)
    except StoreError as exc:
        return "damaged", have, str(exc)
    return "ready", have, ""


class StatusReport(TypedDict):
    """One article's entry in `status --json` (the main article's also sits at the top)."""

    article: str  # the file, as given or in the library
    article_id: str | None  # None: the file could not be loaded
    state: str  # ready | stale | missing | damaged
    problem: str | None
    index: dict[str, Any] | None  # the manifest in service (index.store.Manifest's fields)


def _status(settings: IndexSettings, main: Article, as_json: bool) -> int:
    """Every article answers may cite, the main one first; exit 0 only when all are
    ready (an added article whose list or copy is damaged counts as not ready)."""
    articles: list[tuple[str, Article | None, str]] = [(str(settings.article), main, "")]
    try:
        listed = library.entries(settings)
    except LibraryError as exc:
        articles.append((str(library.library_dir(settings) / library.LIST_FILE), None,
                         str(exc)))
        listed = []
    for entry in listed:
        path = library.library_dir(settings) / entry.file
        try:
            articles.append((str(path), load_article(path), ""))
        except ArticleError as exc:
            articles.append((str(path), None, f"{exc}; run: python -m index remove "
                                              f"{entry.article_id}, then add it again"))
    for stray in library.unlisted(settings, listed) if len(articles) == 1 else []:
        articles.append((str(stray), None, f"{stray} is not listed; {library.RELIST_HINT}"))
    reports: list[StatusReport] = []
    for name, article, problem in articles:
        state, have, why = _state(settings, article) if article else ("damaged", None, problem)
        reports.append({"article": name, "article_id": article.article_id if article else None,
                        "state": state, "problem": why or None,
                        "index": asdict(have) if have else None})
    ok = all(r["state"] == "ready" for r in reports)
    if as_json:  # the main article's fields at the top, as before; every one in "articles"
        print(json.dumps({**reports[0], "data_dir": str(settings.data_dir),
                          "articles": reports}))
    else:
        for r, (_, article, _) in zip(reports, articles, strict=True):
            name = f"{article.article_id} ({article.content_hash[:12]})" if article \
                else r["article"]
            print(f"{r['state']}: {name}")
            if built := r["index"]:
                print(f"  built {time.ctime(built['built_at'])} in "
                      f"{built['build_seconds']:.1f} s: {built['windows']} windows, "
                      f"{built['sentences']} sentences, {built['embedding_model']}, "
                      f"segmenter {built['segmenter_version']}")
            if r["problem"]:
                print(f"  {r['problem']}")
        if not ok:
            print("  run: python -m index build")
    return 0 if ok else 1
