"""Judges of whether evidence supports a claim: the eval scores answers with them and
the chain checks a generative answer's sentences against their citations with them.

`NLIJudge` runs an NLI cross-encoder from a local folder or packaged model. No PyPI
package we could find ships NLI weights (see README, "Eval"), so the default is
`CoverageJudge`: a transparent lexical stand-in, named for what it is, not an NLI model.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.citations import MARKER
from assistant.terms import FIGURES, FUNCTION_WORDS, NEGATION, tokenize
from index.embed import force_offline
from index.models import model_folder, resolve_model
from source.errors import ConfigError

ENTAILED = 0.5  # P(entailment) at or above which a claim counts as supported
JUDGE_USE = "use 'coverage' or a local NLI model folder (ATA_JUDGE)"

_MARKER_GROUP = re.compile(r"(?:\s*\[\d{1,3}\])+")
_ATTRIBUTION = re.compile(
    r"^(?:according to the (?:article|author),?|the (?:article|author) (?:says|notes|argues|"
    r"writes|states|claims)(?: that)?:?|it (?:also )?(?:says|adds|notes|argues)(?: that)?:?|"
    r"and:)\s*", re.IGNORECASE)
_QUOTES = "“”\"'‘’ "


@dataclass(frozen=True, slots=True)
class Statement:
    """One claim of an answer with the marker numbers it carries; `text` is the piece
    of the answer it came from, markers included, so dropping it is exact."""

    claim: str
    cites: tuple[int, ...]
    text: str


def statements(answer_text: str) -> list[Statement]:
    """Split an answer into one claim per sentence. A marker group cites the sentence it
    closes (as in ALCE); other sentences before it carry no citation of their own."""
    out: list[Statement] = []
    pos = 0
    for match in [*_MARKER_GROUP.finditer(answer_text), None]:
        end = match.start() if match else len(answer_text)
        sentences = _sentences(answer_text[pos:end])
        markers = match.group() if match else ""
        cites = tuple(int(n) for n in MARKER.findall(markers))
        for i, sentence in enumerate(sentences):
            last = match is not None and i == len(sentences) - 1
            out.append(Statement(claim(sentence), cites if last else (),
                                 sentence + markers if last else sentence))
        pos = match.end() if match else pos
    return [s for s in out if re.search(r"\w", s.claim)]


def _sentences(text: str) -> list[str]:
    """Sentences of an answer chunk; a piece with no words (a closing quote mark, the
    period after a marker) joins the sentence before it."""
    from index.segment import sentence_texts

    out: list[str] = []
    for piece in sentence_texts(text):
        if out and not re.search(r"\w", piece):
            out[-1] = f"{out[-1]}{piece}"
        else:
            out.append(piece)
    return out


def claim(text: str) -> str:
    """A statement without markers, attribution lead-ins or wrapping quote marks."""
    text = MARKER.sub("", text).strip().lstrip(".,;:!? ")
    text = _ATTRIBUTION.sub("", text).strip()
    return text.strip(_QUOTES).strip()


class Judge(Protocol):
    name: str

    def entailment(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """P(premise entails hypothesis) for each (premise, hypothesis) pair."""
        ...


class NLIJudge:
    """A sentence-transformers NLI cross-encoder; label order is read from the model config."""

    def __init__(self, spec: str) -> None:
        force_offline()
        from sentence_transformers import CrossEncoder

        self.name = spec
        self._model = CrossEncoder(str(resolve_model(spec)), device="cpu", local_files_only=True)
        labels = {i: str(v).lower() for i, v in self._model.config.id2label.items()}
        self._entail = next(i for i, v in labels.items() if v.startswith("entail"))
        self._cache: dict[tuple[str, str], float] = {}

    def entailment(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        todo = [p for p in dict.fromkeys(pairs) if p not in self._cache]
        if todo:
            probs = self._model.predict(list(todo), apply_softmax=True, batch_size=16,
                                        show_progress_bar=False, convert_to_numpy=True)
            for pair, row in zip(todo, probs, strict=True):
                self._cache[pair] = float(row[self._entail])
        return [self._cache[p] for p in pairs]

    def supports(self, premise: str, hypothesis: str) -> bool:
        return self.entailment([(premise, hypothesis)])[0] >= ENTAILED


_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")


class CoverageJudge:
    """Supported = the premise contains (by Snowball stem) ~80%+ of the claim's content words
    and every number in it, and agrees with it on negation. Deterministic and needs no
    model; blind to paraphrase with new words, and to contradiction that keeps the words
    (README: Eval, judge)."""

    name = "coverage (lexical stand-in, not NLI)"

    def entailment(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        return [self._score(premise, claim) for premise, claim in pairs]

    @staticmethod
    def _score(premise: str, claim: str) -> float:
        words = [w for w in tokenize(claim) if w not in FUNCTION_WORDS]
        if not words or not premise:
            return 0.0
        have = set(tokenize(premise))
        coverage = sum(w in have for w in words) / len(words)
        # Negation must agree with the premise sentences that speak about the claim.
        related = [s for s in _SENTENCE_END.split(premise)
                   if sum(w in set(tokenize(s)) for w in words) >= len(words) / 2]
        if bool(NEGATION.search(claim)) != any(NEGATION.search(s) for s in related):
            coverage *= 0.4
        # A number the premise does not have (a changed year or sum) is a contradiction.
        if not set(FIGURES.findall(claim)) <= set(FIGURES.findall(premise)):
            coverage *= 0.4
        return coverage**3  # one new content word in four already means "not supported"


def make_judge(spec: str) -> Judge:
    """`coverage` (default), or a packaged NLI model name / local NLI model folder."""
    if spec == "coverage":
        return CoverageJudge()
    model_folder(spec, JUDGE_USE)  # before sentence-transformers loads: at once, in one line
    try:
        return NLIJudge(spec)
    except (OSError, ValueError, StopIteration) as exc:
        raise ConfigError(f"judge {spec!r} is not a usable NLI model: {exc}") from None
