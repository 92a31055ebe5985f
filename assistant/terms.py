"""Words as the answering stages compare them: Snowball stems, minus words that carry no
topic (function words, and the words every question about a document uses)."""

from __future__ import annotations

import re
import threading
from typing import Protocol

_WORD = re.compile(r"\w+")

# A number in figures or in words: what a "how much / how many" answer must hold.
NUMBER = re.compile(
    r"\d[\d.,]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
    r"trillions?|dozens?|half|twice|double|triple|percent)\b", re.IGNORECASE)


class _Stemmer(Protocol):
    """What we use of a snowballstemmer stemmer (the library has no types)."""

    def stemWord(self, word: str) -> str: ...

    def stemWords(self, words: list[str]) -> list[str]: ...


_LOCAL = threading.local()


def _stemmer() -> _Stemmer:
    """One stemmer per thread: a Snowball stemmer keeps the word it is stemming in the
    object, so two threads sharing one (the chat API answers in worker threads) corrupt
    each other's words (an IndexError inside the stemmer, seen under 20 streams)."""
    stemmer: _Stemmer | None = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        import snowballstemmer

        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("english")
    return stemmer


def tokenize(text: str) -> list[str]:
    """Lower-cased Snowball stems, so 'clashes' finds 'clash' and 'U.S.' finds 'US'."""
    return _stemmer().stemWords(_WORD.findall(text.lower().replace(".", "")))


def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower())


STOP = frozenset(tokenize(
    "a an the and or but if of to in on at by for from with as is are was were be been being "
    "it its this that these those there their they them he his she her we our you your i "
    "which who whom whose what when where why how do does did has have had will would could "
    "should may might can also than then so such into about over after before up out all any "
    "some more most other only very just both each not no nor me my mine us one ones s t "
    "don't doesn't isn't aren't won't can't shall must"))

# Words that ask rather than name a topic: never a focus term of a question.
ASKING = frozenset(tokenize(
    "article text document piece essay author writer writes wrote say says said think thinks "
    "believe believes according view views opinion mention mentions mentioned explain "
    "explains describe describes tell tells give gives list name according main key "
    "point points thing things way ways exactly really actually please kind sort happen "
    "happens mean means idea ideas much many large big long old often far"))

# The coverage judge's function words: a claim's content is what is left without them. A
# narrower list than STOP on purpose: "one", "no", "not" and "must" carry a claim's meaning.
FUNCTION_WORDS = frozenset(tokenize(
    "a an the and or but if of to in on at by for from with as is are was were be been being "
    "it its this that these those there their they them he his she her we our you your i "
    "which who whom what when where why how do does did has have had will would could should "
    "may might can also than then so such into about over after before up out all any some "
    "more most other only very just both each"))

# A number in figures: a claim whose figure the premise lacks is a contradiction.
FIGURES = re.compile(r"\d+(?:[.,]\d+)*")

# Negation as the judge compares a claim with its premise...
NEGATION = re.compile(r"\b(?:not|no|never|none|neither|nor|cannot)\b|n't\b", re.IGNORECASE)
# ...and the wider set that denies a false premise ("unlikely", "without" included).
DENIAL = re.compile(r"\b(not|no|never|none|neither|nor|cannot|unlikely|without)\b|n't\b",
                    re.IGNORECASE)

# A sentence that opens with a personal pronoun is about whoever the sentence before names;
# a clause that opens with any third-person pronoun leans on an earlier one.
OPENS_WITH_PERSON = re.compile(r"^(he|she|they|his|her|their)\b", re.IGNORECASE)
OPENS_WITH_PRONOUN = re.compile(r"^(it|he|she|they|its|his|her|their)\b", re.IGNORECASE)
