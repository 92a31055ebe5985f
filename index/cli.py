"""`python -m index build|status|add|list|remove`: build the article's index, say what is
in service, or manage further articles that answers may cite."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from index import library
from index.settings import IndexSettings
from index.store import current_manifest, wanted_manifest
from source.article import Article
from source.errors import run_cli
from source.load import load_article


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index", description=__doc__)
    flags = ("article", "data_dir", "embedding_model", "chroma_url")
    # Accepted before or after the command ("index --data-dir D build" or "index build
    # --data-dir D"); after it, an absent flag must not undo one given before.
    common = argparse.ArgumentParser(add_help=False)
    IndexSettings.add_flags(parser, *flags)
    IndexSettings.add_flags(common, *flags, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", parents=[common],
                                help="build the index if missing or stale")
    build.add_argument("--force", action="store_true", help="rebuild even if up to date")
    status = commands.add_parser("status", parents=[common], help="show the index in service")
    status.add_argument("--json", action="store_true", help="print one JSON object")
    add = commands.add_parser("add", parents=[common],
                              help="add another article (.txt or .md) and index it")
    add.add_argument("path", type=Path)
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
        from index.store import ensure_index

        started = time.perf_counter()
        force = args.command == "build" and args.force
        if args.command == "add":
            article = library.add(settings, args.path, args.replace)
            print(f"added {article.article_id}: {article.title}")
        index = ensure_index(settings, article, embeddings_for(settings),
                             force=force)
        where = f"{index.path}, vectors on {settings.chroma_url}" if settings.chroma_url \
            else index.path
        print(f"index ready: {index.manifest.windows} windows, {index.manifest.sentences} "
              f"sentences at {where} ({time.perf_counter() - started:.1f} s)")
        return 0

    return run_cli(body, interrupted="interrupted; the index in service is unchanged")


def _library(settings: IndexSettings, args: argparse.Namespace) -> int:
    if args.command == "remove":
        library.remove(settings, args.article_id)
        print(f"removed {args.article_id}")
        return 0
    main = load_article(settings.article)
    print(f"{main.article_id}\t{main.title}\t(main article: {settings.article})")
    for path in library.paths(settings):
        added = load_article(path)
        print(f"{added.article_id}\t{added.title}\t({path})")
    return 0


def _status(settings: IndexSettings, article: Article, as_json: bool) -> int:
    """Exit 0 when the index in service matches the article and settings, 1 otherwise."""
    have = current_manifest(settings, article)
    want = wanted_manifest(settings, article)
    fresh = have is not None and have.key() == want.key()
    report = {"article": str(settings.article), "data_dir": str(settings.data_dir),
              "state": "ready" if fresh else ("stale" if have else "missing"),
              "index": asdict(have) if have else None}
    if as_json:
        print(json.dumps(report))
    else:
        print(f"{report['state']}: {article.article_id} ({article.content_hash[:12]})")
        if have:
            print(f"  built {time.ctime(have.built_at)} in {have.build_seconds:.1f} s: "
                  f"{have.windows} windows, {have.sentences} sentences, {have.embedding_model}, "
                  f"segmenter {have.segmenter_version}")
        if not fresh:
            print("  run: python -m index build")
    return 0 if fresh else 1
