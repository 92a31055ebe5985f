"""The reader's third output, "the passage says yes to the question": a logistic head on
the trained reader's frozen pooled features, fitted on the train documents' yes/no
questions (their gold verdict sentences), scored on dev. Linear on the same features the
classifier reads, so it becomes one more row of the classifier and costs nothing at
answer time."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from training import corpus, splits
from training.pairs import prepare, query_of
from training.reader import encode, tokenizer

log = logging.getLogger("training")
AFFIRMS = 2


def _pairs(documents, embeddings) -> tuple[list[tuple[str, str]], list[int]]:  # noqa: ANN001
    pairs, labels = [], []
    for p in prepare(documents, embeddings):
        for q in p.document.questions:
            if q.kind != "yes-no" or q.verdict not in ("yes", "no") or not p.gold[q.id]:
                continue
            for i in sorted(p.gold[q.id]):
                pairs.append((query_of(q), p.passages[i]))
                labels.append(int(q.verdict == "yes"))
    return pairs, labels


def _features(model, tok, pairs: list[tuple[str, str]]) -> np.ndarray:  # noqa: ANN001
    import torch

    out = []
    with torch.inference_mode():
        for first in range(0, len(pairs), 32):
            feeds = encode(tok, pairs[first : first + 32])
            hidden = model.bert(**{k: torch.from_numpy(v) for k, v in feeds.items()})
            out.append(hidden.pooler_output.numpy())
    return np.concatenate(out)


def fit_verdict(run: Path, seed: int = 13, embeddings=None) -> dict:  # noqa: ANN001
    """Add the 'affirms' row to the run's model in place; returns its dev accuracy."""
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
    train = _pairs([d for d in documents if which[d.id] == "train"], embeddings)
    dev = _pairs([d for d in documents if which[d.id] == "dev"], embeddings)
    head = LogisticRegression(C=1.0, max_iter=2000, random_state=seed, class_weight="balanced")
    head.fit(_features(model, tok, train[0]), train[1])
    dev_accuracy = float(head.score(_features(model, tok, dev[0]), dev[1]))
    rows = model.classifier.out_features
    grown = torch.nn.Linear(model.classifier.in_features, max(rows, AFFIRMS + 1))
    with torch.no_grad():
        grown.weight.zero_()
        grown.bias.zero_()
        grown.weight[:rows] = model.classifier.weight[: min(rows, AFFIRMS)]
        grown.bias[:rows] = model.classifier.bias[: min(rows, AFFIRMS)]
        grown.weight[AFFIRMS] = torch.from_numpy(head.coef_[0].astype(np.float32))
        grown.bias[AFFIRMS] = float(head.intercept_[0])
    model.classifier = grown
    model.num_labels = model.config.num_labels = AFFIRMS + 1
    model.save_pretrained(str(run / "model"))
    result = {"train_pairs": len(train[0]), "dev_pairs": len(dev[0]),
              "dev_accuracy": round(dev_accuracy, 3),
              "dev_yes_share": round(float(np.mean(dev[1])), 3) if dev[1] else None}
    fitted = json.loads((run / "fit.json").read_text("utf-8"))
    fitted["verdict"] = result
    (run / "fit.json").write_text(json.dumps(fitted, indent=1), "utf-8")
    log.info("verdict head: %s", result)
    return result
