"""Turn an answerer's numbered markers into citations sliced from the article by offsets.

The only way a quote reaches the user: a model may choose numbers, never type quotes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.types import Citation, Draft, Evidence
from source.article import Article

MARKER = re.compile(r"\s*\[(\d{1,3})\]")  # the one marker format: " [n]" after a claim


def marker(n: int) -> str:
    """The marker that cites evidence or citation number `n`; `MARKER` reads it back."""
    return f" [{n}]"


def resolve(draft: Draft, evidence: Sequence[Evidence],
            articles: Article | Mapping[str, Article]) -> tuple[str, list[Citation]]:
    """Renumber markers 1..k in order of first use and build one citation per number.

    A marker whose number names no evidence is dropped from the text, so every
    marker left has exactly one citation and every citation at least one marker;
    so is a marker cut off by the model's token limit.
    """
    if draft.refused:
        return MARKER.sub("", draft.text).strip(), []
    if isinstance(articles, Article):
        articles = {"": articles, articles.article_id: articles}
    numbered = MarkerStream(len(evidence))
    text = (numbered.feed(draft.text) + numbered.finish()).strip()
    citations = []
    for n, number in numbered.numbering.items():  # in order of first use
        ev = evidence[n - 1]
        article = articles[ev.article_id]
        citations.append(Citation(number, article.text[ev.start : ev.end], ev.start, ev.end,
                                  ev.section, article.article_id))
    return text, citations


def markers(text: str) -> list[int]:
    """The marker numbers in an answer, in order (for checks and the UI)."""
    return [int(n) for n in MARKER.findall(text)]


_PARTIAL = re.compile(r"\s*(?:\[\d{0,3})?$")  # trailing space or a marker being written


class MarkerStream:
    """Renumbers markers 1..k in order of first use while a draft streams in, and holds
    back a marker that is still being written, so none is ever shown broken. `resolve`
    runs the whole draft through one, so streamed and final numbers agree.

    Markers naming no evidence vanish here too; the final `resolve` has the last word
    (the chain may still drop sentences its support check rejects).
    """

    def __init__(self, evidence_count: int) -> None:
        self._count = evidence_count
        self.numbering: dict[int, int] = {}  # evidence number -> marker shown
        self._pending = ""

    def feed(self, piece: str) -> str:
        """The text that is safe to show now."""
        text = self._pending + piece
        partial = _PARTIAL.search(text)
        cut = partial.start() if partial else len(text)
        self._pending = text[cut:]
        return MARKER.sub(self._renumber, text[:cut])

    def finish(self) -> str:
        """Whatever was held back (an unfinished marker is dropped)."""
        rest, self._pending = self._pending, ""
        return "" if _PARTIAL.fullmatch(rest) else MARKER.sub(self._renumber, rest)

    def _renumber(self, match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= self._count:
            return ""
        return marker(self.numbering.setdefault(n, len(self.numbering) + 1))
