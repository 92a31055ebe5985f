"""Reader for Markdown articles, parsed by markdown-it-py rather than by regexes."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from source.article import BlockKind, RawBlock
from source.text import normalize


def read_markdown(raw: str) -> tuple[list[RawBlock], str | None]:
    """Headings, paragraphs and list items in order; the first `#` heading is the title."""
    tokens = MarkdownIt("commonmark").parse(normalize(raw))
    blocks: list[RawBlock] = []
    list_stack: list[list[int]] = []  # per open list: [next number] or [] for bullets
    pending_kind: BlockKind = "paragraph"
    marker = ""
    for tok in tokens:
        if tok.type == "bullet_list_open":
            list_stack.append([])
        elif tok.type == "ordered_list_open":
            list_stack.append([int(tok.attrs.get("start", 1) or 1)])
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            list_stack.pop()
        elif tok.type == "list_item_open":
            counter = list_stack[-1]
            marker = f"{counter[0]}. " if counter else "- "
            if counter:
                counter[0] += 1
            pending_kind = "list_item"
        elif tok.type == "heading_open":
            pending_kind = "title" if tok.tag == "h1" and not blocks else "heading"
        elif tok.type == "inline":
            text = _plain(tok)
            if text:
                kind = pending_kind if list_stack or pending_kind != "list_item" else "paragraph"
                blocks.append(RawBlock(kind, text, marker if kind == "list_item" else ""))
            pending_kind, marker = ("list_item" if list_stack else "paragraph"), ""
        elif tok.type in ("fence", "code_block") and tok.content.strip():
            blocks.append(RawBlock("paragraph", " ".join(tok.content.split())))
    return blocks, None


def _plain(inline: Token) -> str:
    """The visible text of an inline token: emphasis, links and code reduced to their words."""
    out: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            continue
    return " ".join("".join(out).split())
