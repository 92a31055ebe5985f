"""The extractive answerer: the selected sentences, laid out by `assistant.answering.compose`.

Needs no language model, so it cannot say anything the article does not say.
"""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answering.compose import render
from assistant.types import Draft, Plan


class ExtractiveAnswerer:
    """Quotes what the selection stage chose, each quote with its marker."""

    name = "extractive"
    verbatim = True

    def answer(self, question: str, plan: Plan) -> Draft:
        return Draft("".join(self.stream(question, plan)), verbatim=True)

    def stream(self, question: str, plan: Plan) -> Iterator[str]:
        yield from render(plan)
