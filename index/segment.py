"""Sentences with exact offsets, and the small windows of them that retrieval sees."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pysbd

from source.article import Article, BlockKind
from source.text import FINITE

# Bump when segmentation or windowing changes: the index is rebuilt when it differs.
SEGMENTER_VERSION = "pysbd-0.3-v7"  # v7: a heading with a verb and a lower-case list is prose
# Longer "sentences" (a text without sentence punctuation) are cut at spaces, so every
# quote stays short enough to read and to highlight.
MAX_SENTENCE_CHARS = 400

# What a title or byline is, said in words, so "who wrote it?" can match the byline.
_ROLE_LABELS: dict[str, str] = {"title": "The title of the article: ",
                                "byline": "The author who wrote the article: "}


def search_text(kind: str, text: str) -> str:
    """The text retrieval and reranking see for a passage; citations still use `text`."""
    return _ROLE_LABELS.get(kind, "") + text


def context_text(article: Article, sentences: list[Segment]) -> list[str]:
    """Each sentence as a reader meets it: under its heading, after the lead-in a list
    item continues, or named for its role (title, byline). Only embeddings see this."""
    lead_ins: dict[int, str] = {}  # list item block -> the lead-in sentence before the list
    lead = ""
    for number, block in enumerate(article.blocks):
        if block.kind == "list_item":
            lead_ins[number] = lead
        else:
            last = article.text[block.start : block.end]
            lead = last if last.rstrip().endswith(":") else ""
    labels: dict[int, Segment] = {}  # block -> its run-in label ("Limits. No party ...")
    for before, s in zip(sentences, sentences[1:], strict=False):
        if (before.paragraph == s.paragraph and before.paragraph not in labels
                and (before.id == 0 or sentences[before.id - 1].paragraph != s.paragraph)
                and is_label(before.text)):
            labels[s.paragraph] = before
    out = []
    for s in sentences:
        if s.kind in _ROLE_LABELS or s.kind == "heading":
            out.append(s.search_text)
            continue
        lead = lead_ins.get(s.paragraph, "")
        label = labels.get(s.paragraph)
        parts = [f"{s.section}:" if s.section and lead else s.section, lead[-300:],
                 label.text if label is not None and label.id != s.id else "", s.text]
        out.append(" ".join(p for p in parts if p))
    return out


def is_label(text: str) -> bool:
    """A short title-like phrase: a few words, no verb that makes it a sentence."""
    words = text.rstrip(".:").split()
    return 0 < len(words) <= 6 and not FINITE.search(text) and "," not in text


@dataclass(frozen=True, slots=True)
class Segment:
    """One sentence: `article.text[start:end] == text`, always."""

    id: int
    start: int
    end: int
    text: str
    paragraph: int  # index of its block in `article.blocks`
    section: str | None
    kind: BlockKind

    @property
    def search_text(self) -> str:
        return search_text(self.kind, self.text)


@dataclass(frozen=True, slots=True)
class Window:
    """Neighbouring sentences of one paragraph: retrieved as a unit, cited by sentence."""

    id: int
    sentence_ids: tuple[int, ...]
    start: int
    end: int
    text: str
    paragraph: int
    section: str | None
    kind: BlockKind

    @property
    def search_text(self) -> str:
        return search_text(self.kind, self.text)


# A piece that is only a clause number ("1.1.", "7.", "(a)", "iv)"): it opens the sentence
# after it, it is not a sentence of its own.
_NUMBER_ONLY = re.compile(r"^\(?(\d+(\.\d+)*|[a-z]|[ivxlc]+)[.)]*$", re.IGNORECASE)
# Where a sentence may be said to end; a piece ending otherwise ("... 'control' means")
# goes on in the next piece when that opens in lower case or with "(i)".
_ENDS = tuple(".!?:;…\"”’)")
_GOES_ON = re.compile(r"^(\(([ivxlc]+|[a-z]|\d+)\)\s|[a-z])")
# Where a long sentence is best cut, best first: after a clause, after a comma.
_CUTS = ("; ", ", ", " ")


@cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False, char_span=True)


def sentence_texts(text: str) -> list[str]:
    """The sentences of any short text (an answer), by the same segmenter."""
    return [span.sent.strip() for span in _segmenter().segment(text) if span.sent.strip()]


def segment(article: Article) -> list[Segment]:
    """Split every block into sentences; offsets come from the text, not from pysbd's spans."""
    segments: list[Segment] = []
    for number, block in enumerate(article.blocks):
        body = article.text[block.start : block.end]
        for local, stop in _joined(body, _spans(body)):
            for start, end in _pieces(body, local, stop):
                segments.append(Segment(len(segments), block.start + start, block.start + end,
                                        body[start:end], number, block.section, block.kind))
    return segments


def _spans(body: str) -> list[tuple[int, int]]:
    """pysbd's sentences as offsets into `body`, each found after the one before it."""
    out: list[tuple[int, int]] = []
    cursor = 0
    for span in _segmenter().segment(body):
        sentence = span.sent.strip()
        if sentence:
            local = body.index(sentence, cursor)
            cursor = local + len(sentence)
            out.append((local, cursor))
    return out


def _joined(body: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Undo two splits pysbd makes in numbered legal text: a clause number alone ("1.1."),
    and a sentence cut before its inline enumeration ("... means" | "(i) the power ...")."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out:
            prev = body[out[-1][0] : out[-1][1]]
            if _NUMBER_ONLY.match(prev) or (not prev.endswith(_ENDS)
                                            and _GOES_ON.match(body[start:end])):
                out[-1] = (out[-1][0], end)
                continue
        out.append((start, end))
    return out


def _pieces(body: str, start: int, end: int) -> list[tuple[int, int]]:
    """`body[start:end]` as spans of at most MAX_SENTENCE_CHARS, cut after the last clause
    (or comma, or else word) in the second half of the limit, so a piece reads as a unit."""
    out: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE_CHARS:
        limit = start + MAX_SENTENCE_CHARS
        half = start + MAX_SENTENCE_CHARS // 2
        cut = next((at + 1 for sep, since in (*((c, half) for c in _CUTS), (" ", start + 1))
                    if (at := body.rfind(sep, since, limit)) > start), limit)
        stop = cut
        while stop > start and body[stop - 1].isspace():  # no copy of `body`: it may be MBs
            stop -= 1
        out.append((start, stop))
        start = cut
        while start < end and body[start].isspace():
            start += 1
    out.append((start, end))
    return out


def windows(article: Article, sentences: list[Segment], size: int = 2) -> list[Window]:
    """Sliding windows of `size` sentences (stride 1) that never cross a paragraph."""
    if size < 1:
        raise ValueError("window size must be at least 1")
    by_paragraph: dict[int, list[Segment]] = {}
    for s in sentences:
        by_paragraph.setdefault(s.paragraph, []).append(s)
    out: list[Window] = []
    for paragraph, group in by_paragraph.items():
        for i in range(max(1, len(group) - size + 1)):
            part = group[i : i + size]
            start, end = part[0].start, part[-1].end
            out.append(Window(len(out), tuple(s.id for s in part), start, end,
                              article.text[start:end], paragraph, part[0].section, part[0].kind))
    return out
