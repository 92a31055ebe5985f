"""The extractive answerer: the best-supported sentences, in order, each quoted and cited.

Needs no language model, so it cannot say anything the article does not say.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from assistant.types import Draft, Evidence

_LEADS = ("According to the article, ", "It also says: ", "It adds: ")
_NOT_CLAIMS = ("title", "heading")


class ExtractiveAnswerer:
    """Quotes the best `max_citations` of the evidence it is given (already cut to the
    sentences that score close to the best one)."""

    name = "extractive"

    def __init__(self, max_citations: int = 3) -> None:
        self.max_citations = max_citations

    def select(self, evidence: Sequence[Evidence]) -> list[int]:
        """Indexes into `evidence` of the sentences to quote, in article order.

        Headings and rhetorical questions are claims of nothing, so they are quoted
        only when nothing else was found.
        """
        ranked = sorted(range(len(evidence)), key=lambda i: -evidence[i].score)
        claims = [i for i in ranked if evidence[i].kind not in _NOT_CLAIMS
                  and not evidence[i].text.endswith("?")]
        pool = claims or ranked
        return sorted(pool[: self.max_citations], key=lambda i: evidence[i].start)

    def answer(self, question: str, evidence: Sequence[Evidence]) -> Draft:
        return Draft("".join(self.stream(question, evidence)))

    def stream(self, question: str, evidence: Sequence[Evidence]) -> Iterator[str]:
        for n, i in enumerate(self.select(evidence)):
            lead = _LEADS[min(n, len(_LEADS) - 1)]
            yield f"{' ' if n else ''}{lead}“{evidence[i].text}” [{i + 1}]"
