"""The article panel: the clean text as HTML, each block with an id the outline links to,
and each cited quote in a <mark> at its exact offsets."""

from __future__ import annotations

import html
from collections.abc import Sequence

from assistant.types import Citation
from source.article import Article

_TAGS = {"title": "<h1 id=\"{id}\">{}</h1>", "heading": "<h2 id=\"{id}\">{}</h2>",
         "list_item": "<li id=\"{id}\">{}</li>",
         "byline": "<p id=\"{id}\" class=\"ata-byline\">{}</p>"}


def block_id(index: int) -> str:
    """The element id of the article's block number `index` (the outline links to it)."""
    return f"ata-b-{index}"


def quote_id(c: Citation) -> str:
    """The element id of a quote's mark: its article and offsets, so a [n] of an earlier
    answer still finds its own quote, not the newest answer's n-th."""
    return f"ata-q-{c.article or 'main'}-{c.start}-{c.end}"


def render_article(article: Article, citations: Sequence[Citation] = (),
                   earlier: Sequence[Citation] = ()) -> str:
    """The clean article as HTML, with each quote of the latest answer (`citations`)
    marked and numbered, and each quote of an earlier answer marked but unlit until its
    [n] is clicked. Citations of another article are left out: each article is shown with
    its own quotes."""
    own = [c for c in citations if c.article in (None, article.article_id)]
    latest = {(c.start, c.end) for c in own}
    marks = sorted([*own, *(c for c in earlier if c.article in (None, article.article_id)
                            and (c.start, c.end) not in latest)],
                   key=lambda c: (c.start, (c.start, c.end) not in latest))
    out: list[str] = [f'<article class="ata-doc" data-article="{html.escape(article.article_id)}">']
    open_list: str | None = None
    for i, block in enumerate(article.blocks):
        tag = ("ol" if block.marker[:1].isdigit() else "ul") if block.kind == "list_item" else None
        if tag != open_list:
            if open_list:
                out.append(f"</{open_list}>")
            if tag:
                out.append(f"<{tag}>")
            open_list = tag
        inner = _highlight(article.text, block.start, block.end, marks, latest)
        out.append(_TAGS.get(block.kind, '<p id="{id}">{}</p>').format(inner, id=block_id(i)))
    if open_list:
        out.append(f"</{open_list}>")
    out.append("</article>")
    return "\n".join(out)


def _highlight(text: str, start: int, end: int, marks: Sequence[Citation],
               latest: set[tuple[int, int]]) -> str:
    parts: list[str] = []
    pos = start
    for c in marks:
        if c.start < start or c.end > end or c.start < pos:
            continue  # quotes never cross blocks; an overlapping second quote is skipped
        parts.append(html.escape(text[pos : c.start]))
        quote = html.escape(text[c.start : c.end])
        if (c.start, c.end) in latest:
            parts.append(f'<mark class="ata-q" id="{quote_id(c)}" data-cite="{c.id}">'
                         f"{quote}<sup>[{c.id}]</sup></mark>")
        else:
            parts.append(f'<mark class="ata-q ata-earlier" id="{quote_id(c)}">{quote}</mark>')
        pos = c.end
    parts.append(html.escape(text[pos:end]))
    return "".join(parts)
