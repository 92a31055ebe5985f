"""Words as the answering stages compare them: Snowball stems, minus words that carry no
topic (function words, and the words every question about a document uses)."""

from __future__ import annotations

import re
import threading

_WORD = re.compile(r"\w+")

# A number in figures or in words: what a "how much / how many" answer must hold.
NUMBER = re.compile(
    r"\d[\d.,]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
    r"fifty|sixty|seventy|eighty|ninety|hundreds?|thousands?|millions?|billions?|"
    r"trillions?|dozens?|half|twice|double|triple|percent)\b", re.IGNORECASE)


_LOCAL = threading.local()


def _stemmer():  # noqa: ANN202 - snowballstemmer has no types
    """One stemmer per thread: a Snowball stemmer keeps the word it is stemming in the
    object, so two threads sharing one (the chat API answers in worker threads) corrupt
    each other's words (an IndexError inside the stemmer, seen under 20 streams)."""
    stemmer = getattr(_LOCAL, "stemmer", None)
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
