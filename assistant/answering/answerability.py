"""Stage 5, verification: may the document answer this at all, and does the question take
for granted what the document denies? One refusal policy, in one place.

Refuse when the question's topic is foreign to the document (a name it never uses, or
most focus words with no close neighbour in its vocabulary), when the evidence lacks
what the question asks for (a number, a date), or when the best evidence scores under
`min_score`. The numbers are fitted by `python -m eval calibrate` on the calibration
split of the eval only, and read from `calibration.json` beside this file; so is
`min_support`, the judge score a generated sentence needs to survive the support check.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.answering.evidence import Selection
from assistant.answering.question import Question
from assistant.answering.reader import Reading
from assistant.judging.judges import ENTAILED
from assistant.terms import DENIAL, NUMBER, OPENS_WITH_PRONOUN, STOP, tokenize
from source.errors import ConfigError

CALIBRATION_FILE = Path(__file__).resolve().parent / "calibration.json"


@dataclass(frozen=True, slots=True)
class Policy:
    min_score: float = 0.35  # best evidence score under which the document does not answer
    max_foreign: float = 0.5  # a larger share of focus words foreign to the document refuses
    min_support: float = ENTAILED  # judge score a generated sentence needs to be kept


@dataclass(frozen=True, slots=True)
class Verdict:
    answerable: bool
    reason: str  # why, in a few words, for the trace and the eval report
    premise_rejected: bool = False


def load_policy(path: Path = CALIBRATION_FILE, min_score: float | None = None) -> Policy:
    """The calibrated policy (the defaults when there is no file); `min_score`
    (--min-score, ATA_MIN_SCORE) overrides it, 0 included. A damaged file is a
    `ConfigError`: never silently the defaults."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        text = None
    except (OSError, UnicodeDecodeError) as exc:
        raise _damaged(path, getattr(exc, "strerror", None) or "not UTF-8 text") from None
    policy = Policy() if text is None else _parse_policy(path, text)
    if min_score is not None:
        policy = replace(policy, min_score=min_score)
    return policy


def _parse_policy(path: Path, text: str) -> Policy:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _damaged(path, "not valid JSON") from None
    if not isinstance(data, dict):
        raise _damaged(path, "not a JSON object")
    values = []
    for key, low, high in (("min_score", -1.0, 2.0), ("max_foreign", 0.0, 2.0),
                           ("min_support", 0.0, 1.0)):
        value = data.get(key, ENTAILED if key == "min_support" else None)
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not math.isfinite(value) or not low <= value <= high):
            raise _damaged(path, f"{key} is {value!r}, not a number from {low} to {high}")
        values.append(float(value))
    return Policy(*values)


def _damaged(path: Path, why: str) -> ConfigError:
    return ConfigError(f"the calibration file {path} is damaged ({why}); run: python -m eval "
                       "calibrate, or reinstall the package")


def verdict(question: Question, selection: Selection, foreign: list[str], policy: Policy,
            evidence_text: str, reading: Reading | None = None, refusals: bool = True
            ) -> Verdict:
    """Whether to answer with `selection`, whose quoted text is `evidence_text`. With a
    `reading`, the learned reader decides answerability and false premises; `refusals`
    adds the hand-written ones (foreign names and words, a number the evidence lacks; the
    lexical premise check only without a reader)."""
    if not selection.groups:
        return Verdict(False, "no evidence")
    if reading is not None:
        if reading.contradiction() is not None:
            return Verdict(True, "premise contradicted (reader)", premise_rejected=True)
        if not reading.answerable and (question.intent != "document" or not refusals):
            return Verdict(False, f"reader: best {reading.best:.2f} < "
                                  f"{reading.answer_threshold:.2f}")
    if question.intent == "document":
        return Verdict(True, "document-level")
    if not refusals:
        return Verdict(True, "reader: answerable" if reading is not None else "answerable")
    names = {n.lower() for n in question.names}
    foreign_names = [w for w in foreign if w.lower() in names]
    if foreign_names:
        return Verdict(False, f"names the document never uses: {', '.join(foreign_names)}")
    if question.focus and len(foreign) / len(question.focus) > policy.max_foreign:
        return Verdict(False, f"focus words foreign to the document: {', '.join(foreign)}")
    if reading is None and selection.best < policy.min_score:
        return Verdict(False, f"best evidence {selection.best:.3f} < {policy.min_score:.3f}")
    if question.intent == "number" and not _new_number(question.text, evidence_text):
        return Verdict(False, "asks for a number the evidence lacks")
    if reading is None and question.premise and (_contradicts(question.premise, evidence_text)
                             or _swapped(question.premise, question.names, evidence_text)):
        return Verdict(True, "premise contradicted", premise_rejected=True)
    return Verdict(True, "answerable")


_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_NOT_ONLY = re.compile(r"\bnot (only|just|merely|simply)\b", re.IGNORECASE)


def _new_number(question: str, evidence: str) -> bool:
    """The evidence has a number the question does not already hold ("Model 3"
    asked about is no answer to "how much")."""
    asked = {m.group().lower() for m in NUMBER.finditer(question)}
    evidence = _URL.sub(" ", evidence)  # "…/2.0/" in a link is an address, not an amount
    return any(m.group().lower() not in asked for m in NUMBER.finditer(evidence))


def _related(words: set[str], evidence: str) -> list[tuple[str, set[str]]]:
    """The evidence's clauses about `words` (sharing a third of them, at least one), each
    with its stems."""
    clauses = ((c, set(tokenize(c))) for c in re.split(r"(?<=[.!?;:])\s+", evidence))
    return [(c, stems) for c, stems in clauses
            if len(words & stems) >= max(1, len(words) // 3)]


def _swapped(premise: str, names: tuple[str, ...], evidence: str) -> bool:
    """The evidence says of another name what the premise says of its subject ("X is
    unreliable" asked, "Y is unreliable" written): the roles are reversed."""
    asked = set(tokenize(premise))
    named = [n for n in (tuple(tokenize(n)) for n in names) if n and set(n) <= asked]
    if len(named) < 2:
        return False
    words = asked - STOP - {t for n in named for t in n}
    if not words:
        return False
    clauses = _related(words, evidence)
    if any(OPENS_WITH_PRONOUN.match(clause) for clause, _ in clauses):
        return False  # "It had …": whose roles these are, the pronoun does not say
    related = [stems for _, stems in clauses]
    subject, others = set(named[0]), [set(n) for n in named[1:]]
    return (any(any(o <= s for o in others) for s in related)
            and not any(subject <= s for s in related))


def _contradicts(premise: str, evidence: str) -> bool:
    """The evidence about the premise's words says the opposite: one is negated, the
    other not (a lexical test; blind to antonyms it has no word for)."""
    words = set(tokenize(premise)) - STOP
    if not words:
        return False
    related = [clause for clause, _ in _related(words, evidence)]
    if not related:
        return False

    def negated(text: str) -> bool:
        return bool(DENIAL.search(_NOT_ONLY.sub("", text)))

    return negated(premise) != any(negated(s) for s in related)
