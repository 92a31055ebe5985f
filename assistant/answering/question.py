"""Stage 1, question analysis: what a question asks for, about what, and what it takes
for granted. General English patterns only; nothing here knows any one document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from assistant.terms import ASKING, STOP, tokenize

Intent = Literal["fact", "number", "when", "who", "why", "how", "list", "yesno", "stance",
                 "definition", "comparison", "document"]
DocumentAsk = Literal["thesis", "summary", "conclusion", "final", "about"]

_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8}
# Nouns that ask for several things ("what risks …", "which conditions …").
_KINDS = (r"(harm|damage|dangers?|risks?|consequences?|implications?|effects?|impacts?|"
          r"benefits?|advantages?|disadvantages?|costs?|gains?|problems?|threats?|reasons?|"
          r"steps?|conditions?|obligations?|requirements?|ways?|options?|factors?|"
          r"countries|things)")
_DOCUMENT: list[tuple[DocumentAsk, re.Pattern[str]]] = [
    ("summary", re.compile(r"\b(summar\w*|tl;?dr|recap|in (a few|\w+) (points|bullets|"
                           r"sentences)|key (points|takeaways|ideas)|main (points|ideas))\b")),
    ("final", re.compile(r"\b(final (message|point|word|thought)s?|closing (words?|lines?|"
                         r"message)|last word|end (with|on)|ends? up saying|parting)\b")),
    ("conclusion", re.compile(r"\b(conclu\w+|bottom line|in the end)\b")),
    ("thesis", re.compile(r"\b(thesis|main (argument|claim|message|idea|point|takeaway)|"
                          r"central (argument|claim|idea|point)|core (argument|message|idea)|"
                          r"overall (argument|message|point)|gist|takeaway|big idea|"
                          r"what is the author (arguing|saying)|author'?s? (main )?position)\b")),
    ("about", re.compile(r"\b(what('s| is| are)? (this|the) (article|text|document|piece|"
                         r"essay|paper|license|licence)s? (about|for)|what (is|does) (it|this) "
                         r"(cover|about)|topic of|subject of|what kind of (document|text))\b|"
                         r"^what('s| is) (this|the|that) (article|text|document|piece|essay|"
                         r"paper|file|page)$")),
]
_INTENTS: list[tuple[Intent, re.Pattern[str]]] = [
    ("why", re.compile(r"^(why|for what reasons?|what (are|were|is) the reasons?|"
                       r"how come|on what grounds)\b|\bwhy\b")),
    ("number", re.compile(r"\bhow (much|many|large|big|long|old|often|far)\b|"
                          r"\bwhat (percentage|amount|number|sum|share|size)\b")),
    ("when", re.compile(r"^(when|in what year|what year|which year|what date|on what date|"
                        r"since when)\b|\b(what|which) (year|date|month|decade)\b")),
    ("comparison", re.compile(r"\b(differ\w*|difference|compare\w*|comparison|versus|vs\.?|"
                              r"unlike|similar\w*|contrast)\b")),
    ("stance", re.compile(r"\b(author|article|writer)('s)? (think|thinks|believe|believes|"
                          r"view|views|opinion|position|stance|recommend|recommends|suggest|"
                          r"suggests|propose|proposes|argue|argues|see|sees|consider|"
                          r"considers|call|calls|say|says)\b|\baccording to the (author|"
                          r"article)\b|\bshould\b")),
    ("list", re.compile(rf"^(what|which) (are|were)\b|^list\b|^name\b|"
                        rf"^what (must|should|do|does|shall) (i|you|we|they|one) (\w+ )?"
                        rf"(do|need to|have to)\b|"
                        rf"^(what|which) (\w+ )?{_KINDS}\b|\b(what|which) \w+ {_KINDS}\b")),
    ("definition", re.compile(r"^what (is|are|was|were) (a |an |the )?[\w“”\"' -]{1,40}\?*$|"
                              r"\bwhat does .{1,40} mean\b|\bdefin\w+\b|\bmeaning of\b|"
                              r"^what (counts|qualifies) as\b|^what is (considered|meant by)\b")),
    ("who", re.compile(r"^(who|whom|whose)\b|^(which|what) (person|people|company|"
                       r"organi[sz]ation|newspaper|country|leader)\b")),
    ("how", re.compile(r"^how\b|\bin what way\b")),
    ("yesno", re.compile(r"^(is|are|was|were|does|do|did|can|could|will|would|should|has|"
                         r"have|had|may|might|must|shall)\b")),
]
# "What does X get from Y?" / "What does X give Y?": who receives and who gives.
_RECEIVES = re.compile(r"\bwhat (?:does|do|did|would|will|could|can|might) (?P<a>[\w .'’-]{2,40}?)"
                       r" (?:get|gain|receive|obtain|want|take|need|expect|win|demand)s?"
                       r"(?: in return)? from (?P<b>[\w .'’-]{2,40}?)\s*(?:in return)?\??$")
_GIVES = re.compile(r"\bwhat (?:does|do|did|would|will|could|can|might) (?P<b>[\w .'’-]{2,40}?)"
                    r" (?:give|offer|provide|supply|send)s? (?:to )?(?P<a>[\w .'’-]{2,40}?)"
                    r"(?: in return)?\s*\??$")
# "And the other way round?": the previous question with who-gets-what reversed.
_REVERSAL = re.compile(r"^(and|but|so|what about|how about)?\s*(the|it|is it|was it)?\s*"
                       r"(other way (round|around)|vice versa|reverse|opposite direction|"
                       r"conversely)(,? then)?$")


def is_reversal(question: str) -> bool:
    return bool(_REVERSAL.match(" ".join(question.lower().split()).rstrip(" ?!.")))


def reverse(question: str) -> str | None:
    """'What does A get from B?' → 'What does B get from A?'; None if it has no direction."""
    text = " ".join(question.split()).rstrip(" ?!.")
    if len(text.lower()) != len(text) or not (m := _RECEIVES.search(text.lower())):
        return None
    a, b = text[m.start("a"):m.end("a")], text[m.start("b"):m.end("b")]
    return f"{text[:m.start('a')]}{b}{text[m.end('a'):m.start('b')]}{a}{text[m.end('b'):]}?"


# "Why does the author believe X?": X is taken for granted, and may be false.
_PREMISE = re.compile(
    r"^(?:why|how come) (?:does|do|did|would|is|was) (?:the )?(?:author|article|writer|text|"
    r"document|license|licence|he|she|they|it) (?:\w+ )?(?:believe|think|say|argue|claim|"
    r"recommend|want|suggest|propose|support|insist|consider|hold|maintain|predict|expect|"
    r"advocate|call for|conclude|forbid|prohibit|require|allow|permit|demand|describe|"
    r"portray|depict|present|call|see|view|regard|praise|criticize|criticise)s?(?: that)?"
    r" (?P<premise>.{6,})$")


# "Why does X do Y?" takes "X does Y" for granted, as a fact (the subject is kept: it is
# what the premise is about); "why would/could X …?" asks how a hypothetical would come
# about, and takes nothing for granted.
_WHY = re.compile(r"^(?:why|how come) (?:does|do|did|is|are|was|were|has|have) "
                  r"(?P<premise>.{6,})$")


@dataclass(frozen=True, slots=True)
class Question:
    """A question read for what it asks; `query` is the standalone text to retrieve for."""

    text: str
    query: str
    intent: Intent
    focus: tuple[str, ...]  # content stems of the query, in order, no repeats
    document: DocumentAsk | None = None  # a question about the whole document
    count: int | None = None  # "in 3 points", "the three reasons"
    receiver: tuple[str, ...] = ()  # stems of who gets something, for direction
    giver: tuple[str, ...] = ()
    premise: str | None = None  # what a "why does the author believe …" takes for granted
    names: tuple[str, ...] = ()  # capitalised words inside the question, no possessive 's
    own_focus: tuple[str, ...] = ()  # content stems of the question as asked (follow-ups)


def analyse(text: str, query: str | None = None) -> Question:
    """Read `text` (as asked) and `query` (standalone, after follow-up condensing)."""
    query = query or text
    if is_reversal(text) and query != text:  # read the rewritten question, not "vice versa"
        text = query
    low = " ".join(text.lower().split()).rstrip(" ?!.")
    document = next((kind for kind, pattern in _DOCUMENT if pattern.search(low)), None)
    intent: Intent = "document" if document else next(
        (name for name, pattern in _INTENTS if pattern.search(low)), "fact")
    count = None
    if m := re.search(r"\b(\d|two|three|four|five|six|seven|eight)\b (?:\w+ )?(points|"
                      r"reasons|things|bullets|sentences|ideas|risks|ways|items|arguments)\b",
                      low):
        count = int(m[1]) if m[1].isdigit() else _NUMBER_WORDS[m[1]]
    receiver: tuple[str, ...] = ()
    giver: tuple[str, ...] = ()
    if m := _RECEIVES.search(low) or _GIVES.search(low):
        receiver, giver = _content(m["a"]), _content(m["b"])
    premise = m["premise"] if (m := _PREMISE.match(low) or _WHY.match(low)) else None
    names = tuple(dict.fromkeys(  # capitalised, but not because a sentence starts there
        w.removesuffix("'s").removesuffix("’s") for part in re.split(r"[.!?:;]\s+", text)
        for i, w in enumerate(re.findall(r"[\w'’-]+", part))
        if i > 0 and w[0].isupper() and (not w.isupper() or len(w) > 1)))
    return Question(text, query, intent, _content(query), document, count, receiver, giver,
                    premise, names, _content(text))


def _content(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for t in tokenize(text)
                               if t not in STOP and t not in ASKING and not t.isdigit()
                               or (t.isdigit() and len(t) == 4)))
