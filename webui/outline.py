"""The argument's outline and the example questions, both from the article's own structure
(title, headings, list items) so they fit whatever article the app serves."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from source.article import Article
from webui.article import block_id

THESIS = "What is the main thesis?"
SUMMARY = "Summarize the article in 3 points"


def question_about(heading: str) -> str:
    """A heading that is a question is asked as it is; any other is asked about."""
    text = " ".join(heading.split()).rstrip(":.")
    return text if text.endswith("?") else f"What does the article say about “{text}”?"


def example_questions(article: Article, limit: int = 4) -> list[str]:
    """Questions any article invites: its thesis, its first headings, and a summary."""
    out = [THESIS, *(question_about(h) for h in article.headings[: max(limit - 2, 0)])]
    return [*out, SUMMARY][:limit]


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the outline: the block it points at, its label, its depth (0 title,
    1 section, 2 list item), and the question "Ask about this" asks (sections only)."""

    block: int
    label: str
    depth: int
    question: str | None = None


def outline(article: Article) -> list[Entry]:
    entries: list[Entry] = []
    for i, block in enumerate(article.blocks):
        text = article.block_text(block)
        if block.kind == "title":
            entries.append(Entry(i, text, 0, THESIS))
        elif block.kind == "heading":
            entries.append(Entry(i, text, 1, question_about(text)))
        elif block.kind == "list_item":
            entries.append(Entry(i, label(text), 2))
    return entries


def label(text: str, words: int = 8) -> str:
    """A list item's lead phrase ("Lower costs. Prices fall…" -> "Lower costs"), or
    its first words when it has none short enough."""
    lead = re.match(r"(.{8,70}?)(?:[.:;]\s| [-–—] )", text)
    if lead:
        return lead.group(1)
    cut = text.split()
    if len(cut) <= words:
        return text
    return " ".join(cut[:words]).rstrip(",;:-–—") + "…"


def render_outline(article: Article) -> str:
    """The outline as nested lists of links into the article panel, each section with an
    "Ask about this" button (its question in the button's value)."""
    out = ['<nav class="ata-outline" aria-label="Outline of the argument">'
           '<p class="ata-o-head">Outline</p>']
    items: list[str] = []  # list items waiting to go under the section above them
    in_section = False

    def flush() -> None:
        if items:
            out.append(f'<ul class="ata-o-items">{"".join(items)}</ul>')
            items.clear()

    for e in outline(article):
        if e.depth == 2:
            items.append(f"<li>{_link(e)}</li>")
            continue
        flush()
        if e.depth == 0:
            out.append(f'<p class="ata-o-title">{_link(e)}{_ask(e)}</p>')
            continue
        out.append("</li>" if in_section else '<ul class="ata-o-sections">')
        out.append(f"<li>{_link(e)}{_ask(e)}")  # closed after its items
        in_section = True
    flush()
    out.append("</li></ul></nav>" if in_section else "</nav>")
    return "".join(out)


def _link(e: Entry) -> str:
    return f'<a class="ata-go" href="#{block_id(e.block)}">{html.escape(e.label)}</a>'


def _ask(e: Entry) -> str:
    if not e.question:
        return ""
    q = html.escape(e.question)
    return (f' <button type="button" class="ata-ask-about" value="{q}" title="{q}">'
            "Ask about this</button>")
