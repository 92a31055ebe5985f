"""Stage 0 (once per index), the document's structure as a reader sees it: which sentences
point at content (headings, lead-ins ending in ':', the author's own questions, short
labels that open a list item) and what they point at; which sentences belong together
(a claim and its "First, … Second, …" reasons; a lead-in and its list items); and where
the lead, the section topics and the closing are. Built from the blocks the cleaner
found, so it holds for any article, licence or Markdown file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from index.segment import Segment, is_label

Role = Literal["title", "byline", "heading", "lead_in", "question", "label", "content"]
POINTERS = frozenset({"title", "heading", "lead_in", "question", "label"})

_ENUMERATOR = re.compile(r"^(first(ly)?|second(ly)?|third(ly)?|fourth(ly)?|fifth(ly)?|"
                         r"finally|lastly|last but not least|in the first place|"
                         r"to begin with|next|moreover)\b[,:]?", re.IGNORECASE)
_FIRST = re.compile(r"^(first(ly)?|in the first place|to begin with)\b", re.IGNORECASE)
MAX_FOLLOW = 8  # sentences a lead-in, question or label passes its score to


@dataclass(frozen=True, slots=True)
class Unit:
    """Sentences that answer together: `claim` (a lead-in or the claim its reasons back)
    and `items`, each item the sentences of one reason or list entry."""

    claim: int | None
    items: tuple[tuple[int, ...], ...]
    intro: tuple[int, ...] = ()  # the sentences that introduce the unit (claim included)

    @property
    def members(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys((*self.intro, *(i for item in self.items for i in item))))

    @property
    def heads(self) -> tuple[int, ...]:
        """The intro and each item's opening sentence: what names the unit's points."""
        return tuple(dict.fromkeys((*self.intro, *(item[0] for item in self.items))))


@dataclass(frozen=True, slots=True)
class DocumentMap:
    roles: tuple[Role, ...]  # per sentence id
    follows: dict[int, tuple[int, ...]]  # pointer -> the content sentences it introduces
    units: tuple[Unit, ...]
    unit_of: dict[int, int]  # sentence id -> index into units
    lead: tuple[int, ...]  # the opening content sentences
    topics: tuple[int, ...]  # the first content sentence under each heading
    closing: tuple[int, ...]  # the last content paragraphs' sentences
    finals: tuple[int, ...] = ()  # each paragraph's last sentence: where a point is concluded
    last: tuple[int, ...] = ()  # the final paragraph's sentences
    paragraph: tuple[int, ...] = ()  # per sentence: its block
    texts: tuple[str, ...] = ()  # per sentence: its text

    def is_pointer(self, i: int) -> bool:
        return self.roles[i] in POINTERS


def map_document(sentences: Sequence[Segment], markers: Sequence[str] = ()) -> DocumentMap:
    """`markers`: each block's list marker ("- ", "1. ", "(a) "), so a nested list of
    another style is a unit of its own."""
    blocks: dict[int, list[int]] = {}
    for s in sentences:
        blocks.setdefault(s.paragraph, []).append(s.id)
    order = list(blocks)
    roles = [_role(s, blocks[s.paragraph]) for s in sentences]
    # A block that is one short capitalised label with no verb and body text after it is
    # a run-in section title ("1. Definitions."): a heading, whatever the cleaner called
    # it. (A list's last item, "- a rake.", is not.)
    for n, b in enumerate(order[:-1]):
        ids = blocks[b]
        nxt = sentences[blocks[order[n + 1]][0]]
        text = sentences[ids[0]].text
        if (len(ids) == 1 and roles[ids[0]] == "content" and is_label(text)
                and text[:1].isupper() and nxt.kind != "list_item"):
            roles[ids[0]] = "heading"

    follows: dict[int, tuple[int, ...]] = {}
    for n, b in enumerate(order):
        ids = blocks[b]
        later = [i for later_block in order[n + 1 :] for i in blocks[later_block]]
        for pos, i in enumerate(ids):
            role = roles[i]
            if role in ("heading", "title"):
                body: list[int] = []
                for j in later:
                    if roles[j] in ("heading", "byline") or (role == "title" and len(body) > 3):
                        break
                    body.append(j)
                follows[i] = tuple(body)  # a heading introduces its whole section
            elif role in ("lead_in", "question", "label"):
                rest = [j for j in ids[pos + 1 :] if roles[j] == "content"]
                if not rest and role == "lead_in":
                    rest = _list_after(later, sentences)
                if not rest:
                    rest = [j for j in later if roles[j] == "content"][:3]
                follows[i] = tuple(rest[:MAX_FOLLOW])
    units = _units(sentences, blocks, order, roles, markers)
    unit_of = {i: n for n, unit in enumerate(units) for i in unit.members}
    content = [s.id for s in sentences if roles[s.id] == "content"]
    paragraphs = [b for b in order if any(roles[i] == "content" for i in blocks[b])
                  and sentences[blocks[b][0]].kind == "paragraph"]
    lead = tuple(i for b in paragraphs[:2] for i in blocks[b] if roles[i] == "content")[:3]
    closing = tuple(i for b in paragraphs[-3:] for i in blocks[b] if roles[i] == "content")
    finals = tuple(blocks[b][-1] for b in paragraphs if roles[blocks[b][-1]] == "content")
    topics = tuple(next(j for j in t if roles[j] == "content")
                   for i, t in follows.items() if roles[i] == "heading"
                   and any(roles[j] == "content" for j in t))
    last = tuple(i for i in blocks[paragraphs[-1]] if roles[i] == "content") if paragraphs else ()
    return DocumentMap(tuple(roles), follows, tuple(units), unit_of,
                       lead or tuple(content[:2]), topics, closing or tuple(content[-2:]),
                       finals, last or tuple(content[-2:]),
                       tuple(x.paragraph for x in sentences), tuple(x.text for x in sentences))


def _role(s: Segment, block: list[int]) -> Role:
    if s.kind in ("title", "byline", "heading"):
        return s.kind
    text = s.text.rstrip()
    if text.endswith("?"):
        return "question"
    if text.endswith(":"):
        return "lead_in"
    if len(block) > 1 and s.id == block[0] and is_label(text):
        return "label"
    return "content"


def _list_after(later: list[int], sentences: Sequence[Segment]) -> list[int]:
    out: list[int] = []
    for j in later:
        if sentences[j].kind != "list_item":
            break
        out.append(j)
    return out


def _style(marker: str) -> str:
    return "number" if marker[:1].isdigit() else "letter" if marker.startswith("(") else marker


def _units(sentences: Sequence[Segment], blocks: dict[int, list[int]], order: list[int],
           roles: list[Role], markers: Sequence[str]) -> list[Unit]:
    units: list[Unit] = []

    def style(n: int) -> str:
        return _style(markers[order[n]]) if order[n] < len(markers) else ""

    # A lead-in (or the paragraph right before a list) and the list items after it.
    n = 0
    while n < len(order):
        first = sentences[blocks[order[n]][0]]
        if first.kind != "list_item":
            n += 1
            continue
        start = n
        while (n < len(order) and sentences[blocks[order[n]][0]].kind == "list_item"
               and style(n) == style(start)):
            n += 1
        items = tuple(tuple(blocks[b]) for b in order[start:n])
        intro = tuple(blocks[order[start - 1]]) if start > 0 else ()
        if intro and roles[intro[-1]] in ("heading", "title", "byline"):
            intro = ()
        if len(items) >= 2:
            units.append(Unit(intro[-1] if intro else None, items, intro))
    # A claim followed by "First, … Second(ly), … Third, …" (within a paragraph or two).
    flat = [i for b in order for i in blocks[b]]
    pos = 0
    while pos < len(flat):
        i = flat[pos]
        if not _FIRST.match(sentences[i].text):
            pos += 1
            continue
        reasons: list[list[int]] = [[i]]
        k = pos + 1
        while k < len(flat) and sentences[flat[k]].kind != "heading":
            j = flat[k]
            same_block = sentences[j].paragraph == sentences[reasons[-1][-1]].paragraph
            if _ENUMERATOR.match(sentences[j].text):
                reasons.append([j])
            elif same_block and len(reasons[-1]) < 2:
                reasons[-1].append(j)
            else:
                break
            k += 1
        if len(reasons) >= 2:
            # The claim the reasons back: the sentence before "First", and the one before
            # it when both are in the same paragraph ("X fails. There are three reasons.")
            claim = [j for j in flat[max(0, pos - 2) : pos] if roles[j] in ("content", "lead_in")]
            if len(claim) == 2 and sentences[claim[0]].paragraph != sentences[i].paragraph:
                claim = claim[1:]
            units.append(Unit(claim[-1] if claim else None, tuple(tuple(x) for x in reasons),
                              tuple(claim)))
        pos = k
    return units
