"""Which articles a question goes to: the one in view, plus at most `depth` others (by
title, then by the library's first-stage search). Only these go through the full
answering stages, so a question's cost does not grow with the library. General rules
only: nothing here knows any one article's words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from assistant.question import Question

# "the article", "this text", "the author('s)": the one the reader is looking at
IN_VIEW = re.compile(r"\b(the|this|that) (article|text|document|essay|piece|paper|page|"
                     r"author|writer)s?\b(?!s)", re.IGNORECASE)
NAMED_WORDS = 2  # title words a question must share to name an article (all of a shorter title)


def named(question: Question, words: frozenset[str]) -> int:
    """How many of a title's content words the question uses; 0 unless enough to name it
    (one common word, "licence" or "history", names no article of many)."""
    shared = len(words & set(question.focus))
    return shared if words and shared >= min(NAMED_WORDS, len(words)) else 0


def about_in_view(question: Question) -> bool:
    """A question about the document itself, or one that says "the article" or "the
    author": it means the article in view."""
    return question.intent == "document" or bool(IN_VIEW.search(question.text))


def route(question: Question, in_view: str, titles: Mapping[str, frozenset[str]],
          nearest: Callable[[int], list[str]], depth: int) -> list[str]:
    """The article in view first, then up to `depth` others: those whose titles the
    question names (most title words first), then the nearest by the library search
    (`nearest(n)`, called only when places are left). A question about the document
    itself ("who wrote the article?") stays with the article in view unless it names
    another one."""
    by_title = sorted((i for i in titles if i != in_view and named(question, titles[i])),
                      key=lambda i: -named(question, titles[i]))[:depth]
    if about_in_view(question) and not by_title:
        return [in_view]
    chosen = [in_view, *by_title]
    if len(chosen) <= depth and not about_in_view(question):
        for article_id in nearest(depth + 1):
            if article_id not in chosen:
                chosen.append(article_id)
            if len(chosen) == depth + 1:
                break
    return chosen
