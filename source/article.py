"""The clean article: one text that is the coordinate system for every citation."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

BlockKind = Literal["title", "heading", "paragraph", "list_item", "byline"]

BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Block:
    """One title, heading, paragraph, list item or byline of the clean text.

    `start`/`end` index `Article.text` and cover the block's words only: a list
    item's marker ("- ", "1. ") sits just before `start`, so quotes never include it.
    """

    kind: BlockKind
    start: int
    end: int
    section: str | None  # the heading this block falls under; None before the first
    marker: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    """A cleaned article. `text[b.start:b.end]` is the text of every block `b`."""

    article_id: str
    title: str
    author: str | None
    byline: str | None
    text: str
    blocks: tuple[Block, ...] = field(repr=False)

    @property
    def content_hash(self) -> str:
        """sha256 of the clean text: the index is rebuilt when this changes."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def block_text(self, block: Block) -> str:
        return self.text[block.start : block.end]

    @property
    def headings(self) -> list[str]:
        return [self.block_text(b) for b in self.blocks if b.kind == "heading"]


@dataclass(frozen=True, slots=True)
class RawBlock:
    """A block before offsets are assigned: what the format readers produce."""

    kind: BlockKind
    text: str
    marker: str = ""


def assemble(article_id: str, raw_blocks: list[RawBlock], author: str | None) -> Article:
    """Join blocks into one deterministic text and record each block's offsets."""
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    section: str | None = None
    for raw in raw_blocks:
        if parts:
            parts.append(BLOCK_SEPARATOR)
            pos += len(BLOCK_SEPARATOR)
        if raw.kind == "heading":
            section = raw.text
        parts.append(raw.marker + raw.text)
        start = pos + len(raw.marker)
        blocks.append(Block(raw.kind, start, start + len(raw.text), section, raw.marker))
        pos = start + len(raw.text)
    text = "".join(parts)
    title = next((b.text for b in raw_blocks if b.kind == "title"), article_id)
    byline = next((b.text for b in raw_blocks if b.kind == "byline"), None)
    return Article(article_id, title, author, byline, text, tuple(blocks))
