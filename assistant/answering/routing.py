"""Which articles a question goes to: the one in view, plus at most `depth` others (by
title, then by the library's first-stage search). Only these go through the full
answering stages, so a question's cost does not grow with the library. General rules
only: nothing here knows any one article's words."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from assistant.answering.question import Question

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
          nearest: Callable[[int], list[tuple[str, float]]], depth: int,
          in_view_similarity: Callable[[], float] = lambda: float("-inf")) -> list[str]:
    """The article in view first, then up to `depth` others: those whose titles the
    question names (most title words first), then those the library search finds at
    least as near to the question as the article in view (`nearest(n)`: article ids
    with their nearest sentence's similarity, called only when places are left;
    `in_view_similarity()` the same for the article in view). An article farther from
    the question than the one in view is not worth its full stages: the one in view
    answers, or says it does not. A question about the document itself ("who wrote the
    article?") stays with the article in view unless it names another one."""
    by_title = sorted((i for i in titles if i != in_view and named(question, titles[i])),
                      key=lambda i: -named(question, titles[i]))[:depth]
    if about_in_view(question) and not by_title:
        return [in_view]
    chosen = [in_view, *by_title]
    if len(chosen) <= depth and not about_in_view(question):
        found = nearest(depth + 1)
        bar = in_view_similarity() if found else 0.0
        for article_id, similarity in found:
            if len(chosen) == depth + 1 or similarity < bar:
                break
            if article_id not in chosen:
                chosen.append(article_id)
    return chosen
