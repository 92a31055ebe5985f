"""The support check for generated drafts: keep only the sentences their cited evidence
supports. Extractive drafts are quotes (`Draft.verbatim`) and skip it; this is the only
place that reads markers back out of free text, because a model writes free text."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

from assistant.citations import MARKER, marker
from assistant.judging.judges import ENTAILED, Judge, Statement, statements
from assistant.types import Draft, Evidence

log = logging.getLogger(__name__)

_LEADING_MARKERS = re.compile(r"(^|(?<=[.!?]) )((?:\[\d{1,3}\])+) *([^\[]*[.!?])(?= *(?:\[|$))")


def check(draft: Draft, evidence: Sequence[Evidence], judge: Judge,
          fallback: Callable[[], Draft], threshold: float = ENTAILED) -> tuple[Draft, bool]:
    """The checked draft, and whether the fallback replaced it.

    A sentence the model left uncited gets the evidence sentence that supports it, if
    one does (small models often answer right but forget the number). If no supported
    sentence is left (wrong citations, words the judge cannot match, the model's own
    knowledge, or the model declining a question the verification stage found the
    document answers) the draft is replaced by `fallback()`, the extractive answer:
    whether to refuse is decided once, before any model is asked.
    """
    if draft.refused or draft.verbatim:
        return draft, False
    claims = statements(_markers_last(draft.text))
    scores = judge.entailment([(_premise(s.cites, evidence), s.claim) for s in claims])
    kept: list[Statement] = []
    for claim, score in zip(claims, scores, strict=True):
        if score >= threshold:
            kept.append(claim)
        elif not claim.cites and (n := _best_support(judge, claim.claim, evidence, threshold)):
            kept.append(Statement(claim.claim, (n,), f"{claim.text.rstrip()}{marker(n)}"))
    if [k.text for k in kept] == [c.text for c in claims]:
        return Draft(_markers_last(draft.text)), False
    log.info("support check kept %d of %d sentences", len(kept), len(claims))
    if kept:
        return Draft(" ".join(_rebuild(s) for s in kept)), False
    return fallback(), True


def _best_support(judge: Judge, claim: str, evidence: Sequence[Evidence], threshold: float
                  ) -> int | None:
    scores = judge.entailment([(e.text, claim) for e in evidence])
    best = max(range(len(scores)), key=scores.__getitem__, default=None)
    return best + 1 if best is not None and scores[best] >= threshold else None


def _markers_last(text: str) -> str:
    """`[2] Claim.` (a common small-model habit) becomes `Claim [2].`"""
    return _LEADING_MARKERS.sub(lambda m: f"{m[1]}{m[3][:-1]} {m[2]}{m[3][-1]}", text.strip())


def _premise(cites: Sequence[int], evidence: Sequence[Evidence]) -> str:
    return " ".join(evidence[n - 1].text for n in cites if 1 <= n <= len(evidence))


def _rebuild(statement: Statement) -> str:
    """A kept statement in the model's own words, as a sentence with its markers."""
    body = MARKER.sub("", statement.text).strip().lstrip(".,;:!? ")
    end = body[-1] if body[-1] in ".!?" else "."
    body = body.rstrip(".!?")
    markers = "".join(marker(n).strip() for n in statement.cites)
    return f"{body[:1].upper()}{body[1:]} {markers}{end}"
