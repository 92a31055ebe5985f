"""Stage 3, evidence selection: from scored sentences to what the answer quotes.

Pointers (headings, lead-ins, the author's questions, item labels) are never an answer
on their own: they pass a blend of their score to the content they introduce. A why-
or list-question gets a whole unit (a claim and its enumerated reasons, a lead-in and
its items); a one-fact question gets one sentence, and a second only when it adds what
the first lacks; a question about the whole document gets the lead, the section topics
or the closing, chosen by how central each sentence is to the document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.answering.question import Question
from assistant.answering.scoring import Lexicon, Scores
from assistant.answering.structure import DocumentMap, Unit
from assistant.terms import NUMBER, tokenize
from index.store import Index

Layout = Literal["quote", "quotes", "list", "summary"]
# The hand-written rule families, each switchable so it can be measured with and without
# (`python -m eval run --rules …`): pointers pass their score on; who-gets-what-from-whom;
# a question about the whole document; typed answers (numbers, dates) first; a list or a
# claim and its reasons as one unit; a second quote for a one-fact question; and
# (read by `answerability`) refusals for foreign words and for a number the evidence lacks.
RULES = frozenset({"pointers", "direction", "document", "typed", "units", "second",
                   "refusals"})
UNIT_MARGIN = 0.05  # a unit answers a why/list question if it scores this close to the best
_ANAPHOR = re.compile(r"^(this|these|that|those|such|all this|all of this|it|they|he|she)\b",
                      re.IGNORECASE)
_BECAUSE = re.compile(r"\b(because|since|as a result|due to|owing to|thanks to|so that|"
                      r"therefore|thus|hence|for this reason)\b|:", re.IGNORECASE)
_SENTENCE_END = tuple(".!?:\"”’")
MAX_SUBITEMS = 3  # sentences quoted after an item that is itself a lead-in
SECOND_MARGIN = 0.04  # a second quote for a one-fact question must score this close
MAX_ITEMS = 8
MAX_SECTION = 3  # paragraph openers quoted when a whole section answers
MIN_LEAD_WORDS = 5  # a shorter lead-in ("This could:") is framed by the sentence before it
_TIME = re.compile(r"\b(1[5-9]\d\d|20\d\d|\d{1,2}(st|nd|rd|th)|january|february|march|"
                   r"april|(?-i:May)(?= \d)|(?<=\d )(?-i:May)|june|july|august|september|"
                   r"october|november|december|"
                   r"century|decade|year|month|week|day|days|since|until|after|before|"
                   r"during|when|then|today|now|19\d0s|20\d0s)\b", re.IGNORECASE)
# A calendar date (a year, a decade, a month and year): what makes a title answer "when".
_DATED = re.compile(r"\b(1[5-9]\d\d|20\d\d)s?\b")
_UNIT_INTENTS = frozenset({"why", "list", "how"})
_RECEIVING = frozenset(tokenize("receives gets gains obtains acquires benefits earns wins"))
_SINGLE_INTENTS = frozenset({"number", "when", "who", "definition"})
_JUDGING_INTENTS = frozenset({"yesno", "stance"})  # asks what the author makes of something
# A sentence that opens by turning against what came before: the author's verdict on it.
_TURNING = re.compile(r"^(however|but|yet|still|nevertheless|nonetheless|in reality|"
                      r"in fact|in practice)\b", re.IGNORECASE)
# Discourse markers that open a conclusion: general English, not any one document's.
_CONCLUDING = re.compile(r"^(thus|so|therefore|hence|in reality|in short|in sum|overall|"
                         r"ultimately|in conclusion|all this|this means|the bottom line)\b",
                         re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Selection:
    """What to quote, in reading order, and how to lay it out."""

    groups: tuple[tuple[int, ...], ...]  # sentence ids; one group per point or list item
    layout: Layout
    lead: tuple[int, ...]  # a lead-in or claim quoted before a list's items
    best: float  # the selection's best score (answerability reads it)
    adjusted: np.ndarray  # every sentence's score after pointers and direction

    @property
    def sentence_ids(self) -> tuple[int, ...]:
        return self.lead + tuple(i for g in self.groups for i in g)


def adjust(question: Question, index: Index, doc: DocumentMap, scores: Scores,
           lexicon: Lexicon, rules: frozenset[str] = RULES) -> np.ndarray:
    """Scores after pointers pass theirs on, and after who-gets-what-from-whom."""
    s = scores.fused.astype(np.float64)
    out = s.copy()
    if "pointers" in rules:
        for pointer, targets in doc.follows.items():
            for t in targets:
                out[t] = max(out[t], (s[t] + s[pointer]) / 2)
    if "direction" in rules and question.receiver and question.giver:
        paragraph_stems: dict[int, set[str]] = {}
        for i, stems in enumerate(lexicon.stems):
            paragraph_stems.setdefault(index.sentences[i].paragraph, set()).update(stems)
        for i, sentence in enumerate(index.sentences):
            order = lexicon.tokens[i]
            r = _first(order, question.receiver)
            g = _first(order, question.giver)
            if g is not None and (r is None or g < r):
                out[i] -= 0.1  # the giver is the subject: the other direction
            elif r is not None and (g is None or r < g):
                receives = any(t in _RECEIVING for t in order[r + 1 :])
                # "X, in turn, receives …": the giver named just before, in the paragraph
                nearby = set(question.giver) <= paragraph_stems[sentence.paragraph]
                out[i] += (0.1 + 0.1 * nearby) if receives else 0.03
    return out


def select(question: Question, index: Index, doc: DocumentMap, scores: Scores,
           lexicon: Lexicon, rules: frozenset[str] = RULES) -> Selection:
    s = adjust(question, index, doc, scores, lexicon, rules)
    if question.intent == "document" and "document" in rules:
        return _document(question, index, doc, s)
    eligible = [i for i, role in enumerate(doc.roles)
                if role == "content" or role == "byline"
                or (role == "title" and question.intent == "when"
                    and bool(_DATED.search(index.sentences[i].text)))]
    if not eligible:
        return Selection((), "quote", (), float("-inf"), s)
    ranked = sorted(eligible, key=lambda i: -s[i])
    if "typed" in rules and (question.intent in ("number", "when") or _asks_which(question)):
        typed = [i for i in ranked[:5] if _has_type(question, index.sentences[i].text)]
        ranked = typed + [i for i in ranked if i not in typed]
    best = ranked[0]
    if "units" not in rules:
        return _single(question, doc, lexicon, s, ranked, rules)
    listed = _defined_by_list(question, doc, best)
    if question.intent not in _SINGLE_INTENTS or listed:
        unit = (doc.units[doc.unit_of[best]] if listed else
                _unit_for(question, doc, s, best) or _introduced_unit(doc, scores, s, best))
        if unit is not None and question.intent in _JUDGING_INTENTS:
            verdict = _verdict(doc, unit)
            if verdict is not None:
                return Selection(((verdict,),), "quote", (), float(s[best]), s)
        if unit is not None:
            return _unit_selection(unit, doc, s)
    if question.intent not in _SINGLE_INTENTS:
        section = _section(doc, scores, s, best)
        if section is not None:
            return section
    groups = [_with_antecedent(doc, _whole(doc, best))]
    if question.intent == "why" and (reason := _reason_after(doc, groups[0])) is not None:
        # "Why X?" → "X would be short-lived." + "Buyers leave after …": a claim that gives
        # no reason of its own is explained by the sentence after it.
        return Selection((groups[0], reason), "quotes", (), float(s[best]), s)
    if question.intent in _JUDGING_INTENTS and (turn := _turn_after(doc, best)) is not None:
        # "You may charge a fee. However, only on your own behalf.": the answer is both.
        return Selection((groups[0], (turn,)), "quotes", (), float(s[best]), s)
    return _single(question, doc, lexicon, s, ranked, rules, groups)


def shape(question: Question, index: Index, doc: DocumentMap, s: np.ndarray,
          picked: Sequence[int], rules: frozenset[str]) -> Selection:
    """The learned reader's picks (best first) shaped by the document's structure, so a
    list or a claim with its reasons is quoted whole when the reader's picks span it, and
    nothing is quoted out of its context. Families: "units" (whole units; whole sentences
    with what they point back to), "pointers" (a pointer is answered by what it
    introduces), "document" (a question about the whole document). `s`: the reader's
    probability per sentence (0 where it did not read)."""
    if question.intent == "document" and "document" in rules:
        return _document(question, index, doc, s)
    if not picked:
        return Selection((), "quote", (), float("-inf"), s)
    best = picked[0]
    if "units" in rules:
        unit = _unit_of_pick(question, doc, best, picked)
        if unit is not None:
            return _unit_selection(unit, doc, s)
    order = [_answered_by(doc, s, i) if "pointers" in rules else i for i in picked]
    groups: list[tuple[int, ...]] = []
    for i in dict.fromkeys(order):
        group = _with_antecedent(doc, _whole(doc, i)) if "units" in rules else (i,)
        if not any(set(group) & set(g) for g in groups):
            groups.append(group)
    groups.sort(key=lambda g: g[0])
    return Selection(tuple(groups), "quote" if len(groups) == 1 else "quotes", (),
                     float(s[best]), s)


def _unit_of_pick(question: Question, doc: DocumentMap, best: int, picked: Sequence[int]
                  ) -> Unit | None:
    """The unit to quote whole: the best pick is a lead-in, or the picks hold both the
    unit's intro and one of its items, or the question asks for several things."""
    for unit in doc.units:
        if unit.intro and best == unit.intro[-1] and doc.roles[best] == "lead_in":
            return unit  # "The risks are:" only points at its items
    if best not in doc.unit_of:
        return None
    unit = doc.units[doc.unit_of[best]]
    if question.intent == "list" or question.count is not None:
        return unit
    # the reader also picks what introduces the items: the answer is the unit they make
    return unit if any(i in unit.intro for i in picked[1:]) or (
        best in unit.intro and any(i in unit.members for i in picked[1:])) else None


def _answered_by(doc: DocumentMap, s: np.ndarray, i: int) -> int:
    """A pointer (heading, lead-in, the author's question, a label) is answered by the
    content it introduces: the one the reader scored highest, else the first."""
    if not doc.is_pointer(i) or not doc.follows.get(i):
        return i
    targets = [j for j in doc.follows[i] if doc.roles[j] == "content"][:MAX_SECTION]
    return max(targets, key=lambda j: s[j]) if targets else i


def _single(question: Question, doc: DocumentMap, lexicon: Lexicon, s: np.ndarray,
            ranked: list[int], rules: frozenset[str],
            groups: list[tuple[int, ...]] | None = None) -> Selection:
    """The best sentence (whole, with what it points back to), and a second one close
    behind when it adds what the first lacks."""
    best = ranked[0]
    groups = groups or [_whole(doc, best)]
    for other in ranked[1:3] if "second" in rules else ():
        if s[other] < s[best] - SECOND_MARGIN * (3 if question.intent == "comparison" else 1):
            break
        have = set().union(*(lexicon.stems[i] for g in groups for i in g))
        if any(other in g for g in groups):
            continue
        if question.intent == "comparison" or (set(question.focus) - have) & lexicon.stems[other]:
            groups.append(_whole(doc, other))
    groups.sort(key=lambda g: g[0])
    return Selection(tuple(groups), "quote" if len(groups) == 1 else "quotes", (),
                     float(s[best]), s)


def _unit_for(question: Question, doc: DocumentMap, s: np.ndarray, best: int
              ) -> Unit | None:
    """The unit that answers. The best match is the sentence that introduces the items:
    it only points at them, so the items are the answer. The question asks for a list:
    any sentence of the unit will do. A why or how question: the question matches the
    intro about as well as the best sentence."""
    asks_many = question.intent == "list" or question.count is not None
    for unit in doc.units:
        if best not in unit.members:
            continue
        if asks_many or (unit.intro and best == unit.intro[-1]):
            return unit
        if best in unit.intro and doc.roles[unit.intro[-1]] == "lead_in":
            return unit  # "…could benefit … . This could:" — the sentence the lead-in ends
        intro = max((s[i] for i in unit.intro), default=float("-inf"))
        if question.intent in _UNIT_INTENTS and intro >= s[best] - UNIT_MARGIN:
            return unit
    return None


def _verdict(doc: DocumentMap, unit: Unit) -> int | None:
    """The sentence right after a unit, when it turns against it ("However, these benefits
    are short-lived."): a yes/no or stance question about the unit is answered by it."""
    after = max(unit.members) + 1
    if after >= len(doc.roles) or doc.roles[after] != "content":
        return None
    return after if _TURNING.match(doc.texts[after]) else None


def _whole(doc: DocumentMap, i: int) -> tuple[int, ...]:
    """All pieces of the sentence piece `i` belongs to: a sentence too long to quote as one
    was cut after a clause, and a piece that starts mid-sentence does not read alone."""
    start = i
    while start > 0 and _goes_on(doc, start - 1):
        start -= 1
    end = i
    while _goes_on(doc, end):
        end += 1
    return tuple(range(start, end + 1))


def _beside(doc: DocumentMap, i: int, step: int, role: str = "content") -> int | None:
    """The sentence `step` away from `i` (1: the next, -1: the one before) when it is in
    the same paragraph and has `role`; None otherwise."""
    j = i + step
    if 0 <= j < len(doc.roles) and doc.paragraph[j] == doc.paragraph[i] and doc.roles[j] == role:
        return j
    return None


def _goes_on(doc: DocumentMap, i: int) -> bool:
    """Piece `i` ends mid-sentence and the next piece of its paragraph carries on."""
    after = _beside(doc, i, 1)
    return (after is not None and doc.roles[i] == "content"
            and not doc.texts[i].endswith(_SENTENCE_END) and doc.texts[after][:1].islower())


def _with_antecedent(doc: DocumentMap, group: tuple[int, ...]) -> tuple[int, ...]:
    """A sentence that opens by pointing back ("This will slow …", "All this …") says what
    follows from the sentence before it in its paragraph: quoted alone it has no subject."""
    before = _beside(doc, group[0], -1)
    if before is not None and _ANAPHOR.match(doc.texts[group[0]]):
        return (*_whole(doc, before), *group)
    return group


def _reason_after(doc: DocumentMap, group: tuple[int, ...]) -> tuple[int, ...] | None:
    """The next sentence of the paragraph, when the claim in `group` gives no reason."""
    if any(_BECAUSE.search(doc.texts[i]) for i in group):
        return None
    after = _beside(doc, group[-1], 1)
    return _whole(doc, after) if after is not None else None


def _turn_after(doc: DocumentMap, i: int) -> int | None:
    """The next sentence of the same paragraph, when it qualifies this one ("However, …")."""
    after = _beside(doc, i, 1)
    return after if after is not None and _TURNING.match(doc.texts[after]) else None


def _defined_by_list(question: Question, doc: DocumentMap, best: int) -> bool:
    """'"X" means any of the following:' and its items: a definition given as a list."""
    if question.intent != "definition" or best not in doc.unit_of:
        return False
    intro = doc.units[doc.unit_of[best]].intro
    return bool(intro) and doc.roles[intro[-1]] == "lead_in"


def _introduced_unit(doc: DocumentMap, scores: Scores, s: np.ndarray, best: int
                     ) -> Unit | None:
    """A lead-in that matches the question better than any content sentence introduces
    the answer: its list ("Risks for farmers:" → the risks)."""
    leads = [u for u in doc.units if u.intro and doc.roles[u.intro[-1]] == "lead_in"]
    if not leads:
        return None
    unit = max(leads, key=lambda u: scores.fused[u.intro[-1]])
    return unit if scores.fused[unit.intro[-1]] > s[best] else None


def _unit_selection(unit: Unit, doc: DocumentMap, s: np.ndarray) -> Selection:
    groups = []
    for item in unit.items[:MAX_ITEMS]:
        first = item[0]
        # A label ("Raise prices.") names the item; the sentence after it says it. An item
        # that is itself a lead-in ("for losses caused by:") is said by what follows it.
        take = (item[:2] if doc.roles[first] == "label" else
                item[:1 + MAX_SUBITEMS] if doc.roles[first] == "lead_in" else item[:1])
        groups.append(tuple(take))
    # The intro's last sentence frames the items; the intro sentence that best matches the
    # question states what they back; a lead-in too short to say anything ("This could:")
    # is left to the sentence before it.
    lead: set[int] = set()
    if unit.intro:
        lead.add(max(unit.intro, key=lambda i: s[i]))
        if len(doc.texts[unit.intro[-1]].split()) >= MIN_LEAD_WORDS:
            lead.add(unit.intro[-1])
    best = max(float(s[i]) for i in unit.members)
    return Selection(tuple(groups), "list", tuple(sorted(lead)), best, s)


def _section(doc: DocumentMap, scores: Scores, s: np.ndarray,
             best: int) -> Selection | None:
    """A heading that matches the question better than any sentence under it: the
    question is about the section, so its paragraphs' opening sentences answer."""
    headings = [i for i, role in enumerate(doc.roles) if role == "heading" and doc.follows.get(i)]
    if not headings:
        return None
    top = max(headings, key=lambda i: scores.fused[i])
    if scores.fused[top] <= scores.fused[best] + UNIT_MARGIN:
        return None
    picked = tuple(_labelled(doc, i) for i in _openers(doc, doc.follows[top])[:MAX_SECTION])
    return Selection(picked, "quote" if len(picked) == 1 else "quotes", (),
                     float(scores.fused[top]), s) if picked else None


def _labelled(doc: DocumentMap, i: int) -> tuple[int, ...]:
    """A paragraph's opening sentence with the label it follows ("Mites." + its first
    sentence): the label names the point, the sentence says it."""
    before = _beside(doc, i, -1, "label")
    return (before, i) if before is not None else (i,)


def _openers(doc: DocumentMap, ids: tuple[int, ...]) -> list[int]:
    """The first content sentence of each paragraph among `ids`, in reading order."""
    firsts: dict[int, int] = {}
    for i in ids:
        if doc.roles[i] == "content":
            firsts.setdefault(doc.paragraph[i], i)
    return list(firsts.values())


def _document(question: Question, index: Index, doc: DocumentMap, s: np.ndarray
              ) -> Selection:
    """Lead for "what is it about", central closing sentences for the conclusion, central
    section topics for a thesis or a summary."""
    content = [i for i, role in enumerate(doc.roles) if role == "content"]
    if not content:
        return Selection((), "quote", (), float("-inf"), s)
    plain = index.vectors.plain
    centroid = plain[content].mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    central = plain @ centroid
    value = central + 0.5 * (s - s[content].mean())
    ask = question.document
    value = value + 0.1 * np.asarray([bool(_CONCLUDING.match(x.text))
                                      for x in index.sentences])
    if ask == "about":
        title = [i for i, role in enumerate(doc.roles) if role == "title"][:1]
        picked = [*title, *doc.lead[:1]] if title else list(doc.lead[:2])
    elif ask == "final":
        picked = list(doc.last[:2])
    elif ask == "conclusion":
        # The closing paragraphs' opening sentences: a conclusion is drawn over the last
        # few paragraphs, each opening with the point it makes.
        picked = _openers(doc, doc.closing)
    elif ask == "thesis":
        # The closing paragraph that holds the most central sentence, quoted whole: a
        # thesis is argued over a few sentences, not stated in one.
        pool = [*doc.closing, *doc.lead]
        top = max(pool, key=lambda i: value[i])
        picked = [i for i in content if doc.paragraph[i] == doc.paragraph[top]][:3]
    else:
        pool = list(dict.fromkeys([*doc.lead, *doc.finals, *doc.closing])) or content
        picked = _diverse(pool, value, plain, question.count or 3)
    picked.sort()
    layout: Layout = "summary" if ask == "summary" else (
        "quote" if len(picked) == 1 else "quotes")
    return Selection(tuple((i,) for i in picked), layout, (),
                     float(max(s[i] for i in picked)), s)


def _diverse(pool: list[int], value: np.ndarray, vectors: np.ndarray, n: int) -> list[int]:
    """Maximal marginal relevance: central sentences that do not repeat each other."""
    picked: list[int] = []
    while pool and len(picked) < n:
        def gain(i: int) -> float:
            repeat = max((float(vectors[i] @ vectors[j]) for j in picked), default=0.0)
            return float(value[i]) - 0.7 * repeat
        choice = max((i for i in pool if i not in picked), key=gain, default=None)
        if choice is None:
            break
        picked.append(choice)
    return picked


def _asks_which(question: Question) -> bool:
    """'Which company …?' / 'Who …?': the answer names someone the question does not."""
    return question.intent == "who" or question.text.lower().startswith("which ")


def _has_type(question: Question, text: str) -> bool:
    if question.intent == "when":
        return bool(_TIME.search(text))
    if question.intent == "number":
        return bool(NUMBER.search(text))
    asked = {w.lower().strip("'’s") for w in re.findall(r"[\w'’-]+", question.text)}
    return any(w.lower().strip("'’s") not in asked
               for w in re.findall(r"(?<=\s)[A-Z][\w'’-]+", text))


def _first(tokens: Sequence[str], terms: tuple[str, ...]) -> int | None:
    return next((n for n, t in enumerate(tokens) if t in terms), None)
