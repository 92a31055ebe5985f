"""Reader for plain text scraped from a web page: drops the page chrome, keeps the article.

The rules are about what news-site chrome looks like (menus, photo credits, cookie
banners, "similar articles" rails, browser warnings), not about one article, so
they also leave an ordinary plain-text article intact.
"""

from __future__ import annotations

import itertools
import re

from source.article import RawBlock
from source.text import FINITE, normalize

# Whole lines that are navigation or credits, never article prose.
_CHROME_LINE = re.compile(
    r"^(?:menu|by|share|print|advertisement|skip to (?:main )?content"
    r"|(?:photo|image|picture)?\s*(?:source|credit|photo|image)s?\s*:\s*[^.]{0,80})$",
    re.IGNORECASE,
)
# A line that starts the trailing rails of a page: everything after it is chrome.
_TAIL_MARKER = re.compile(
    r"^(?:similar|related|recommended|more|latest) (?:articles|news|stories|posts)$"
    r"|^(?:read also|read more|you may also like|comments)$",
    re.IGNORECASE,
)
# A block that interrupts the page wherever it appears: dropped with its whole run of lines.
_BLOCK_MARKER = re.compile(r"^(?:outdated browser|update your browser)$", re.IGNORECASE)
_COOKIE_BANNER = re.compile(
    r"\bcookies?\b.*\b(?:policy|consent|accept|we use)\b|\bwe use cookies\b", re.IGNORECASE)
_LIST_MARKER = re.compile(r"^(?:(?P<bullet>[-–—•*·])|(?P<number>\d{1,2})[.)]|"
                          r"\((?P<letter>[a-z]|[ivx]{1,4})\))\s+")
_BYLINE = re.compile(r"^(?P<name>[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3}), \S.{0,250}$")
_BY_LINE = re.compile(r"^By (?P<name>[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+){1,3})$")
# Plain-text layout: a rule under a line makes it a heading (Markdown's "setext" style);
# a box drawn with '*' around text is decoration, the text inside is the document's.
_RULE = re.compile(r"^[=\-*_#~]{3,}$")
_BOXED = re.compile(r"^\*+ ?(?P<inner>.*?) *\*+$|^\*+$")
_SMALL_WORDS = {"a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "for", "from",
                "with", "as", "at", "by", "is", "are", "be", "vs", "via", "into", "than"}


def read_scraped(raw: str) -> tuple[list[RawBlock], str | None]:
    """Return the article's blocks in order and the author, if a byline names one."""
    paragraphs, author = _paragraphs(_unframe(normalize(raw)))
    blocks = [_classify(p, first=i == 0) for i, p in enumerate(paragraphs)]
    for i, (block, after) in enumerate(itertools.pairwise(blocks)):
        # '"Term" means' over '(a) that …': a sentence whose list goes on in lower case
        # has a verb and a continuation a heading never has.
        if (block.kind == "heading" and after.kind == "list_item" and after.text[:1].islower()
                and FINITE.search(block.text)):
            blocks[i] = RawBlock("paragraph", block.text)
    if len(blocks) > 1:
        last = blocks[-1]
        match = _BYLINE.match(last.text)
        if last.kind in ("paragraph", "heading") and match and not last.text.endswith("?"):
            blocks[-1] = RawBlock("byline", last.text)
            author = author or match["name"]
    return blocks, author


def _unframe(text: str) -> str:
    """Drop box frames and rules; a line with a rule under it becomes a heading line of
    its own (marked with a leading '# ', which `_classify` reads)."""
    out: list[str] = []
    for line in text.split("\n"):
        if boxed := _BOXED.match(line):
            line = (boxed["inner"] or "").strip()
        if _RULE.match(line):
            if out and out[-1] and not _RULE.match(out[-1]) and (
                    len(out) < 2 or not out[-2]):
                out[-1] = "# " + out[-1]
                out.append("")
            else:
                out.append("")
            continue
        out.append(line)
    return "\n".join(out)


def _paragraphs(text: str) -> tuple[list[str], str | None]:
    """Group lines into paragraphs, skipping chrome; a list marker starts a new one."""
    paragraphs: list[str] = []
    current: list[str] = []
    author: str | None = None
    in_block = False

    def flush() -> None:
        if current:
            joined = " ".join(current)
            if not _COOKIE_BANNER.search(joined):
                paragraphs.append(joined)
            current.clear()

    for line in text.split("\n"):
        if not line:
            in_block = False
            flush()
            continue
        if _TAIL_MARKER.match(line):
            break
        if in_block or _BLOCK_MARKER.match(line):
            in_block = True
            continue
        if by := _BY_LINE.match(line):
            author = by["name"]
            continue
        if _CHROME_LINE.match(line):
            continue
        if _LIST_MARKER.match(line):
            flush()
        current.append(line)
    flush()
    return paragraphs, author


def _classify(paragraph: str, first: bool) -> RawBlock:
    if paragraph.startswith("# "):  # underlined in the source
        return RawBlock("title" if first else "heading", paragraph[2:])
    if match := _LIST_MARKER.match(paragraph):
        marker = ("- " if match["bullet"] else f"({match['letter']}) " if match["letter"]
                  else f"{match['number']}. ")
        return RawBlock("list_item", paragraph[match.end():], marker)
    if paragraph[0].islower():
        # A sentence never starts lower-case; a list item whose bullet was lost does.
        return RawBlock("list_item", paragraph, "- ")
    if first and len(paragraph.split()) <= 30 and paragraph[-1] not in ".;:,":
        return RawBlock("title", paragraph)
    if _looks_like_heading(paragraph):
        return RawBlock("heading", paragraph)
    return RawBlock("paragraph", paragraph)


def _looks_like_heading(line: str) -> bool:
    """Short, title-cased, and not ended like a sentence or a list lead-in."""
    words = line.split()
    if len(words) > 16 or line[-1] in ".;:,!":
        return False
    content = [w for w in words if w.lower() not in _SMALL_WORDS and w[0].isalpha()]
    capitalised = sum(w[0].isupper() for w in content)
    return bool(content) and capitalised / len(content) >= 0.6
