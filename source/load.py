"""`load_article()`: the one place that reads an article file."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from source.article import Article, RawBlock, assemble
from source.errors import ArticleError
from source.files import read_user_file
from source.markdown import read_markdown
from source.scraped import read_scraped

BUNDLED_ARTICLE = Path(__file__).resolve().parent / "articles" / "reverse-kissinger.raw.txt"
MAX_ARTICLE_BYTES = 20 * 1024 * 1024

Reader = Callable[[str], tuple[list[RawBlock], str | None]]
READERS: dict[str, Reader] = {
    ".txt": read_scraped,
    ".text": read_scraped,
    ".md": read_markdown,
    ".markdown": read_markdown,
}


def load_article(path: str | Path = BUNDLED_ARTICLE) -> Article:
    """Read, clean and assemble an article; any problem is an `ArticleError` with one line."""
    return read_article(path)[0]


def read_article(path: str | Path) -> tuple[Article, bytes]:
    """The article and the exact bytes it was made from (what a copy must hold)."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ArticleError(f"{path}: unsupported article type {path.suffix or '(none)'!r}; "
                           f"use one of {', '.join(sorted(READERS))}")
    data = read_user_file(path, MAX_ARTICLE_BYTES, "article file", ArticleError, ArticleError)
    return parse_article(data, article_id=slug(path), reader=reader, origin=str(path)), data


def parse_article(data: bytes, article_id: str, reader: Reader = read_scraped,
                  origin: str = "article") -> Article:
    """Decode strictly (a wrong byte is an error, not a silent U+FFFD) and clean."""
    if b"\x00" in data:
        raise ArticleError(f"{origin}: looks like a binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"{origin}: not valid UTF-8 (byte {exc.start}); "
                           "convert it with: iconv -t UTF-8") from None
    blocks, author = reader(raw)
    if not any(b.kind in ("paragraph", "list_item") for b in blocks):
        raise ArticleError(f"{origin}: no article text left after cleaning")
    return assemble(article_id, blocks, author)


def slug(path: Path) -> str:
    """A stable id from the file name: 'my-article.raw.txt' -> 'my-article'."""
    stem = path.name.split(".")[0].lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-") or "article"
