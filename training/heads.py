"""The reader's premise and yes/no outputs as logistic heads on its frozen pooled
features, fitted on the train documents and scored on dev.

Fine-tuning left these rare-label outputs near their starting prior (a false premise is
one pair in 140), so each is fitted afterwards, on the features the classifier reads: a
logistic regression there is exactly one more row of the classifier, so it costs nothing
at answer time.
- contradicts (row 1): a false-premise question beside the sentence its writer marked as
  contradicting it, against every other (question, candidate) pair of the same questions
  and of the other questions' first-stage candidates.
- affirms (row 2): a yes/no question beside its gold verdict sentence, yes against no.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from training import corpus, splits
from training.metrics import auc
from training.pairs import Prepared, prepare, queried, query_of
from training.reader import encode, tokenizer

log = logging.getLogger("training")
CONTRADICTS, AFFIRMS = 1, 2
CANDIDATES = 4  # first-stage candidates per question beside its gold, as negatives


def _premise_pairs(prepared: list[Prepared], embeddings  # noqa: ANN001
                   ) -> tuple[list[tuple[str, str]], list[int], list[str]]:
    pairs, labels, owners = [], [], []
    for p in prepared:
        for q, query, order in queried(p, embeddings):
            gold = p.gold[q.id] if q.false_premise else frozenset()
            for i in sorted(gold | set(order[:CANDIDATES])):
                pairs.append((query, p.passages[i]))
                labels.append(int(i in gold))
                owners.append(q.id)
    return pairs, labels, owners


def _verdict_pairs(prepared: list[Prepared]) -> tuple[list[tuple[str, str]], list[int]]:
    pairs, labels = [], []
    for p in prepared:
        for q in p.document.questions:
            if q.kind != "yes-no" or q.verdict not in ("yes", "no"):
                continue
            for i in sorted(p.gold[q.id]):
                pairs.append((query_of(q), p.passages[i]))
                labels.append(int(q.verdict == "yes"))
    return pairs, labels


def _features(model, tok, pairs: list[tuple[str, str]]) -> np.ndarray:  # noqa: ANN001
    import torch

    out = []
    with torch.inference_mode():
        for first in range(0, len(pairs), 64):
            feeds = encode(tok, pairs[first : first + 64])
            hidden = model.bert(**{k: torch.from_numpy(v) for k, v in feeds.items()})
            out.append(hidden.pooler_output.numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.hidden_size))


def fit_heads(run: Path, seed: int = 13, embeddings=None) -> dict:  # noqa: ANN001
    """Write rows 1 and 2 of the run's classifier in place; returns their dev scores."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from transformers import BertForSequenceClassification

    from index.embed import embeddings_for
    from index.settings import IndexSettings

    embeddings = embeddings or embeddings_for(IndexSettings.load())
    model = BertForSequenceClassification.from_pretrained(str(run / "model")).eval()
    config = json.loads((run / "fit.json").read_text("utf-8"))["config"]
    tok = tokenizer(run / "model" / "tokenizer.json", config["max_length"])
    documents, _ = corpus.load()
    which = splits.load()
    train = prepare([d for d in documents if which[d.id] == "train"], embeddings)
    dev = prepare([d for d in documents if which[d.id] == "dev"], embeddings)

    def logistic(x: np.ndarray, y: list[int]) -> LogisticRegression:
        return LogisticRegression(C=1.0, max_iter=3000, random_state=seed,
                                  class_weight="balanced").fit(x, y)

    p_train, p_dev = _premise_pairs(train, embeddings), _premise_pairs(dev, embeddings)
    premise = logistic(_features(model, tok, p_train[0]), p_train[1])
    dev_logit = premise.decision_function(_features(model, tok, p_dev[0]))
    by_question: dict[str, float] = {}
    for owner, value in zip(p_dev[2], dev_logit, strict=True):
        by_question[owner] = max(by_question.get(owner, -np.inf), float(value))
    kind = {q.id: q.kind for d in documents for q in d.questions}
    premise_auc = auc([v for k, v in by_question.items() if kind[k] == "false-premise"],
                      [v for k, v in by_question.items() if kind[k] != "false-premise"])

    v_train, v_dev = _verdict_pairs(train), _verdict_pairs(dev)
    verdict = logistic(_features(model, tok, v_train[0]), v_train[1])
    verdict_accuracy = float(verdict.score(_features(model, tok, v_dev[0]), v_dev[1]))

    rows = model.classifier.out_features
    grown = torch.nn.Linear(model.classifier.in_features, AFFIRMS + 1)
    with torch.no_grad():
        grown.weight.zero_()
        grown.bias.zero_()
        grown.weight[0] = model.classifier.weight[0]
        grown.bias[0] = model.classifier.bias[0]
        for row, head in ((CONTRADICTS, premise), (AFFIRMS, verdict)):
            grown.weight[row] = torch.from_numpy(head.coef_[0].astype(np.float32))
            grown.bias[row] = float(head.intercept_[0])
    model.classifier = grown
    model.num_labels = model.config.num_labels = AFFIRMS + 1
    model.save_pretrained(str(run / "model"))
    result = {"replaced_rows": [CONTRADICTS, AFFIRMS], "rows_before": rows,
              "premise": {"train_pairs": len(p_train[0]), "train_positives": sum(p_train[1]),
                          "dev_question_auc": None if premise_auc is None
                          else round(premise_auc, 3)},
              "verdict": {"train_pairs": len(v_train[0]), "dev_pairs": len(v_dev[0]),
                          "dev_accuracy": round(verdict_accuracy, 3),
                          "dev_yes_share": round(float(np.mean(v_dev[1])), 3)}}
    fitted = json.loads((run / "fit.json").read_text("utf-8"))
    fitted["heads"] = result
    (run / "fit.json").write_text(json.dumps(fitted, indent=1), "utf-8")
    log.info("heads: %s", result)
    return result
