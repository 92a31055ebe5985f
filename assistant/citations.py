"""Turn an answerer's numbered markers into citations sliced from the article by offsets.

The only way a quote reaches the user: a model may choose numbers, never type quotes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Citation, Draft, Evidence
from source.article import Article

MARKER = re.compile(r"\s*\[(\d{1,3})\]")


def resolve(draft: Draft, evidence: Sequence[Evidence], article: Article
            ) -> tuple[str, list[Citation]]:
    """Renumber markers 1..k in order of first use and build one citation per number.

    A marker whose number names no evidence is dropped from the text, so every
    marker left has exactly one citation and every citation at least one marker.
    """
    if draft.refused:
        return MARKER.sub("", draft.text).strip(), []
    numbering: dict[int, int] = {}
    citations: list[Citation] = []

    def renumber(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if not 1 <= n <= len(evidence):
            return ""
        if n not in numbering:
            ev = evidence[n - 1]
            numbering[n] = len(numbering) + 1
            citations.append(Citation(numbering[n], article.text[ev.start : ev.end],
                                      ev.start, ev.end, ev.section))
        return f" [{numbering[n]}]"

    text = MARKER.sub(renumber, draft.text).strip()
    return text, citations


def markers(text: str) -> list[int]:
    """The marker numbers in an answer, in order (for checks and the UI)."""
    return [int(n) for n in MARKER.findall(text)]
