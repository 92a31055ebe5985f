"""Stage 2b, reading: the learned reader scores the first stage's best sentences.

A cross-encoder trained on our own corpus of reader questions (`training/`, model card in
`assistant/reader_model/card.json`) reads the question beside each candidate sentence in
its context (heading, lead-in, label) and gives logits: the sentence belongs to the
answer; it contradicts what the question takes for granted; and (when the shipped model
has that output) it says yes to a yes/no question. Its thresholds were
fitted on the corpus's dev documents, never on the cases the eval scores. ONNX with int8
weights: no torch at answer time; loaded on first use and checked against its card's hash.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np

from source.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MODEL_DIR = Path(__file__).resolve().parent.parent / "reader_model"
ReaderMode = Literal["model", "both", "gate", "rules"]


@dataclass(frozen=True, slots=True)
class Reading:
    """The reader's view of one question over one document's candidates."""

    ids: tuple[int, ...]  # the candidate sentence ids, as the first stage ranked them
    answers: np.ndarray  # logit per candidate: belongs to the answer
    contradicts: np.ndarray  # logit per candidate: contradicts the question's premise
    answer_threshold: float  # the card's: a best logit under it means "does not say"
    premise_threshold: float
    confident_threshold: float = float("-inf")  # under it: "the closest it comes"
    affirms: np.ndarray | None = None  # logit per candidate: it says yes (None: no head)
    first: np.ndarray | None = None  # the first stage's score per candidate (None: unknown)

    @property
    def ranking(self) -> np.ndarray:
        """What orders the candidates: the reader's logit plus the first stage's score,
        standardised over the candidates and weighted by FIRST_STAGE_WEIGHT. The two err
        on different questions (the first stage matches words, the reader reads)."""
        answers = self.answers.astype(np.float64)
        if self.first is None or len(self.first) < 2:
            return answers
        first = self.first.astype(np.float64)
        combined: np.ndarray = answers + FIRST_STAGE_WEIGHT * (first - first.mean()) / (
            first.std() + 1e-9)
        return combined

    def says_yes(self, sentence_id: int) -> bool | None:
        """The reader's yes/no verdict carried by one of its candidates (None: unknown)."""
        if self.affirms is None or sentence_id not in self.ids:
            return None
        return bool(self.affirms[self.ids.index(sentence_id)] >= 0.0)

    @property
    def best(self) -> float:
        return float(self.answers.max()) if len(self.ids) else float("-inf")

    @property
    def answerable(self) -> bool:
        return self.best >= self.answer_threshold

    @property
    def confident(self) -> bool:
        return self.best >= self.confident_threshold

    def contradiction(self) -> int | None:
        """The sentence that denies the question's premise, if the reader found one."""
        if not len(self.ids):
            return None
        k = int(np.argmax(self.contradicts))
        return self.ids[k] if self.contradicts[k] >= self.premise_threshold else None

    def probabilities(self, size: int) -> np.ndarray:
        """Per sentence of the document, the probability it belongs to the answer (0 for
        the sentences the reader did not read)."""
        out = np.zeros(size, dtype=np.float64)
        out[list(self.ids)] = 1 / (1 + np.exp(-self.ranking))
        return out


def pair_feeds(tokenizer: Tokenizer, pairs: Sequence[tuple[str, str]]
               ) -> dict[str, np.ndarray]:
    """A cross-encoder's inputs for (question, passage) pairs, padded to the longest."""
    enc = tokenizer.encode_batch(list(pairs))
    return {"input_ids": np.asarray([e.ids for e in enc], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in enc], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in enc], dtype=np.int64)}


class Reader(Protocol):
    answer_threshold: float
    premise_threshold: float
    confident_threshold: float

    def logits(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """Logits (passages × outputs): answers, contradicts, and affirms if it has it."""
        ...


class OnnxReader:
    """The shipped reader: tokenizers + onnxruntime only. Cheap to construct."""

    def __init__(self, folder: Path = MODEL_DIR) -> None:
        self.folder = folder
        self._session: Any = None  # an onnxruntime.InferenceSession (the library is untyped)
        self._tokenizer: Tokenizer | None = None
        self._lock = threading.Lock()
        self.card: dict[str, Any] = {}
        self.answer_threshold = 0.0
        self.premise_threshold = 0.0
        self.confident_threshold = 0.0
        self.outputs = 2

    def warm_up(self) -> OnnxReader:
        with self._lock:
            if self._session is None:
                self._load()
        return self

    def _load(self) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        try:
            card = json.loads((self.folder / "card.json").read_text("utf-8"))
            data = (self.folder / "model.onnx").read_bytes()
            if hashlib.sha256(data).hexdigest() != card["model_sha256"]:
                raise ModelError(f"{self.folder}/model.onnx does not match its card's hash; "
                                 "restore it with: git checkout -- assistant/reader_model")
            tok = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            session = onnxruntime.InferenceSession(data, options,
                                                   providers=["CPUExecutionProvider"])
        except ModelError:
            raise
        except Exception as exc:  # OSError, JSON and key errors; onnxruntime's own types
            raise ModelError(f"cannot load the reader model in {self.folder}: {exc}") from exc
        tok.enable_truncation(max_length=int(card["max_length"]), strategy="only_second",
                              direction="left")
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        self.card = card
        self.answer_threshold = float(card["thresholds"]["answerable"])
        self.premise_threshold = float(card["thresholds"]["contradicts"])
        self.confident_threshold = float(card["thresholds"].get("confident",
                                                                self.answer_threshold))
        # the yes/no output is read only when its card says it earned its place on dev
        self.outputs = 3 if "affirms" in card["thresholds"] else 2
        self._tokenizer, self._session = tok, session

    def logits(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if self._session is None:
            self.warm_up()
        assert self._session is not None and self._tokenizer is not None
        if not passages:
            return np.zeros((0, 2), dtype=np.float32)
        feeds = pair_feeds(self._tokenizer, [(query, p) for p in passages])
        out: np.ndarray = self._session.run(None, feeds)[0][:, : self.outputs]
        return out


def read(reader: Reader, query: str, passages: Sequence[str], ranking: np.ndarray,
         depth: int) -> Reading:
    """Score the first stage's `depth` best sentences (`ranking`: a score per sentence)."""
    ids = tuple(int(i) for i in np.argsort(-ranking, kind="stable")[:depth])
    out = reader.logits(query, [passages[i] for i in ids])
    return Reading(ids, out[:, 0], out[:, 1], reader.answer_threshold,
                   reader.premise_threshold, reader.confident_threshold,
                   out[:, 2] if out.shape[1] > 2 else None, ranking[list(ids)])


# The reader's own selection (mode "model"): its best sentence, and any other it reads as
# part of the answer nearly as surely. Chosen before any measurement, not fitted to a case.
SECOND_LOGIT_MARGIN = 2.0  # a further quote's logit may be this far under the best's
MAX_QUOTES = 4
# Fitted on the dev data only (the eval's calibrate splits and the corpus's dev documents,
# weights 0.5–1.5): the weight with the best share of questions whose first-ranked
# candidate is a gold sentence (reader alone → blend: article 0.53 → 0.61, Apache 0.57 →
# 0.64, MPL 0.73 → 0.87, corpus dev 0.63 → 0.66).
FIRST_STAGE_WEIGHT = 1.0


def chosen(reading: Reading) -> tuple[int, ...]:
    """Sentence ids the reader would quote, its best first: the best by `ranking`, then
    the next best that the reader itself reads as an answer nearly as surely."""
    if not reading.ids:
        return ()
    order = np.argsort(-reading.ranking, kind="stable")
    best = float(reading.answers[order[0]])
    floor = max(reading.answer_threshold, best - SECOND_LOGIT_MARGIN)
    picked = [reading.ids[int(order[0])]]
    picked += [reading.ids[int(k)] for k in order[1:MAX_QUOTES]
               if reading.answers[int(k)] >= floor]
    return tuple(picked)
