"""Stage 2, retrieval: every sentence of a document scored against the question, from the
vectors saved with the index (one query embedding, then dot products) and the question's
focus terms (IDF-weighted share found in the sentence or its heading)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answering.question import Question
from assistant.terms import OPENS_WITH_PERSON, STOP, tokenize
from index.segment import Segment, context_text
from index.store import Index

LEXICAL_WEIGHT = 0.3  # how much a full focus-term match adds to a cosine similarity
NEAR_WORD = 0.6  # cosine at which a word the document lacks counts as one it has
NEAR_NAME = 0.85  # a name needs a near synonym ("Holland"/"Netherlands"), not a sibling


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Per-index word statistics, computed once when the index opens, so a question costs
    a few array additions, not a pass over every sentence in Python."""

    tokens: tuple[tuple[str, ...], ...]  # per sentence, its stems in order (for direction)
    stems: tuple[frozenset[str], ...]  # per sentence, its content stems
    idf: dict[str, float]
    rarest: float  # the largest IDF: the weight of a term the document never uses
    own: dict[str, np.ndarray]  # stem -> the sentences that use it
    near: dict[str, np.ndarray]  # stem -> the sentences whose heading / lead-in uses it
    vocabulary: frozenset[str]  # every content stem the document uses
    named: frozenset[str] = frozenset()  # the title's stems: what every sentence is about
    title_pairs: frozenset[tuple[str, str]] = frozenset()  # neighbouring title stems
    acronyms: frozenset[str] = frozenset()  # "mpl" for a title "Mozilla Public License"
    title_id: int | None = None  # the title's sentence, if the document shows one

    @classmethod
    def of(cls, index: Index) -> Lexicon:
        tokens = [tuple(tokenize(s.text)) for s in index.sentences]
        stems = [frozenset(t) - STOP for t in tokens]
        ctx = [frozenset(tokenize(t)) - STOP - own
               for t, own in zip(context_text(index.article, index.sentences), stems,
                                 strict=True)]
        stems = [own | _referent(index.sentences, i) for i, own in enumerate(stems)]
        df = Counter(t for s in stems for t in s)
        n = max(len(stems), 1)
        idf = {t: math.log(1 + n / c) for t, c in df.items()}
        title = tuple(tokenize(index.article.title))
        acronyms = _acronyms(index.article.title)
        return cls(tuple(tokens), tuple(stems), idf, max(idf.values(), default=1.0),
                   _postings(stems), _postings(ctx), frozenset(df),
                   frozenset(title) - STOP | acronyms,
                   frozenset(p for p in itertools.pairwise(title) if not set(p) & STOP),
                   acronyms,
                   next((s.id for s in index.sentences if s.kind == "title"), None))

    def weight(self, term: str) -> float:
        """IDF; a term the document never uses weighs as much as its rarest one."""
        return self.idf.get(term, self.rarest)


_NAME = re.compile(r"(?<=[\s(“\"'])[A-Z][\w'’-]+")


def _referent(sentences: Sequence[Segment], i: int) -> frozenset[str]:
    """A sentence that opens with a personal pronoun ("He will: …") is about whoever the
    sentence before it in the paragraph names: it matches a question by that name."""
    if i == 0 or not OPENS_WITH_PERSON.match(sentences[i].text):
        return frozenset()
    before = sentences[i - 1]
    if before.paragraph != sentences[i].paragraph:
        return frozenset()
    return frozenset(t for name in _NAME.findall(" " + before.text)
                     for t in tokenize(name)) - STOP


def _postings(per_sentence: list[frozenset[str]]) -> dict[str, np.ndarray]:
    ids: dict[str, list[int]] = {}
    for i, terms in enumerate(per_sentence):
        for t in terms:
            ids.setdefault(t, []).append(i)
    return {t: np.asarray(v, dtype=np.int64) for t, v in ids.items()}


@dataclass(frozen=True, slots=True)
class Scores:
    dense: np.ndarray  # cosine, mean of the plain and the in-context sentence vectors
    lexical: np.ndarray  # IDF-weighted share of the focus terms present, 0..1
    fused: np.ndarray


def score(question: Question, index: Index, lexicon: Lexicon, query_vector: np.ndarray
          ) -> Scores:
    vectors = index.vectors
    focus = _telling(question, lexicon)
    title = lexicon.title_id
    # Only when the question calls the document by its name (two title words in a row,
    # "the Acme Licence"), not when it shares one word with the title (an actor the title
    # names is still what the question is about); and only when the question says more
    # than one other thing: else the rest of the query is one word, not the question.
    if (len(question.focus) > len(focus) > 1 and title is not None
            and _calls_by_name(question.text, lexicon)):
        query_vector = _without(query_vector, vectors.plain[title])
    dense = 0.5 * (vectors.plain @ query_vector + vectors.context @ query_vector)
    got = np.zeros(len(index.sentences), dtype=np.float64)
    total = sum(lexicon.weight(t) for t in focus)
    for term in focus:  # the sentence itself counts fully, its heading half
        weight = lexicon.weight(term)
        if (own := lexicon.own.get(term)) is not None:
            got[own] += weight
        if (near := lexicon.near.get(term)) is not None:
            got[near] += 0.5 * weight
    lexical = (got / total if total else got).astype(np.float32)
    return Scores(dense, lexical, dense + LEXICAL_WEIGHT * lexical)


def _telling(question: Question, lexicon: Lexicon) -> Sequence[str]:
    """The focus terms that tell sentences apart. A word of the document's own name ("the
    Acme Licence") names what every sentence is about, so a sentence that repeats it is no
    better an answer; it counts only when the question asks about nothing else, or names
    who gets what from whom (then it is the point)."""
    roles = {*question.receiver, *question.giver}
    rest = [t for t in question.focus if t not in lexicon.named or t in roles]
    return rest or question.focus


def _calls_by_name(text: str, lexicon: Lexicon) -> bool:
    words = tokenize(text)
    return (any(pair in lexicon.title_pairs for pair in itertools.pairwise(words))
            or any(w in lexicon.acronyms for w in words))


def _acronyms(title: str) -> frozenset[str]:
    """The initials of every run of three or four capitalised title words: what a reader
    calls the document for short."""
    words = re.findall(r"[\w'’-]+", title)
    out = set()
    for size in (3, 4):
        for run in (words[i : i + size] for i in range(len(words) - size + 1)):
            if all(w[0].isupper() and w[0].isalpha() for w in run):
                out.update(tokenize("".join(w[0] for w in run)))
    return frozenset(out)


def _without(query: np.ndarray, title: np.ndarray) -> np.ndarray:
    """The query with its share of the document's name taken out, so a sentence that is
    only near the question because it names the document loses that edge too."""
    rest = query - float(query @ title) * title
    return rest / max(float(np.linalg.norm(rest)), 1e-12)


def embed_query(embeddings: Embeddings, text: str) -> np.ndarray:
    vector = np.asarray(embeddings.embed_query(text), dtype=np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


def foreign_terms(question: Question, index: Index, lexicon: Lexicon,
                  embeddings: Embeddings) -> list[str]:
    """Focus words of the question the document never uses, nor a close neighbour of
    ("Holland" in a text that says "the Netherlands"; but "Spain" in a text about Norway has
    no neighbour close enough)."""
    words: dict[str, str] = {}
    for word in question.query.replace("’", "'").split():
        word = word.strip("?!.,;:()\"'“”").removesuffix("'s")
        stems = tokenize(word)
        if len(stems) == 1 and stems[0] in question.focus:
            words.setdefault(stems[0], word)
    missing = [(t, w) for t, w in words.items() if t not in lexicon.vocabulary
               and not _shares_prefix(t, lexicon.vocabulary)]
    vocab = index.vectors.word_vectors
    if not missing or not len(vocab):
        return [w for _, w in missing]
    asked = np.asarray(embeddings.embed_documents([w.lower() for _, w in missing]),
                       dtype=np.float32)
    asked /= np.maximum(np.linalg.norm(asked, axis=1, keepdims=True), 1e-12)
    nearest = (asked @ vocab.T).max(axis=1)
    names = {n.lower() for n in question.names}
    return [w for (_, w), near in zip(missing, nearest, strict=True)
            if near < (NEAR_NAME if w.lower() in names else NEAR_WORD)]


def _shares_prefix(stem: str, vocabulary: frozenset[str]) -> bool:
    """'asian' and 'asia': one word in two forms the stemmer keeps apart."""
    return len(stem) >= 5 and any(v.startswith(stem[:-1]) or stem.startswith(v)
                                  for v in vocabulary if len(v) >= 4 and v[:3] == stem[:3])
