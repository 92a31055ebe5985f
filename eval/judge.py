"""The entailment judge: a packaged NLI cross-encoder saying whether evidence supports a claim."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from index.embed import force_offline
from index.models import resolve_model

ENTAILED = 0.5  # P(entailment) at or above which a claim counts as supported


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
