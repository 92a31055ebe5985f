"""Train the reader: the base cross-encoder adapted on the corpus's train documents, its
dev-document scores logged after every epoch, a checkpoint kept for each. Seeds fixed."""

from __future__ import annotations

import json
import logging
import math
import random
import time
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from training import corpus, splits
from training.metrics import measure
from training.pairs import examples, items, prepare
from training.reader import ANSWERS, CONTRADICTS, encode, tokenizer, torch_scores

log = logging.getLogger("training")
HERE = Path(__file__).resolve().parent
CONFIG = HERE / "config.toml"
RUNS = HERE / "runs"  # checkpoints and logs: git-ignored


@dataclass(frozen=True, slots=True)
class Config:
    """Every knob, read from `config.toml` (its comments say what each does): no default
    here, so the file is the one place a value is set."""

    seed: int
    base: str
    max_length: int
    hard_negatives: int
    easy_negatives: int
    frozen_layers: int
    epochs: int
    batch_size: int
    learning_rate: float
    warmup: float
    contradicts_weight: float
    eval_depth: int
    max_steps: int = 0  # 0: every step of every epoch; a smoke run sets a few

    @classmethod
    def read(cls, path: Path = CONFIG, **overrides) -> Config:  # noqa: ANN003
        data = tomllib.loads(path.read_text("utf-8"))
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
        return cls(**{**data, **{k: v for k, v in overrides.items() if v is not None}})


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def base_folder(spec: str) -> Path:
    """`package:sub/folder` inside an installed package, or a folder on disk."""
    import importlib.util

    package, sep, sub = spec.partition(":")
    if sep and (found := importlib.util.find_spec(package)) and found.origin:
        return Path(found.origin).parent / sub
    path = Path(spec)
    if not path.is_dir():
        raise FileNotFoundError(f"base model {spec!r} not found; run: make train-deps")
    return path


def fit(config: Config, out: Path, documents: list[corpus.Document] | None = None,
        split: dict[str, str] | None = None, base: Path | None = None,
        embeddings=None) -> dict:  # noqa: ANN001
    """Train, evaluate on dev after each epoch, and save the last model under `out`.
    `embeddings`: the first stage that picks hard negatives (default: the assistant's)."""
    import torch

    from index.embed import embeddings_for
    from index.settings import IndexSettings
    from training.base import load_bert

    seed_everything(config.seed)
    out.mkdir(parents=True, exist_ok=True)
    if documents is None:
        documents, errors = corpus.load()
        if errors:
            raise ValueError(f"the corpus has {len(errors)} problems; "
                             "run: python -m training check")
    split = split or splits.load()
    base = base or base_folder(config.base)
    embeddings = embeddings or embeddings_for(IndexSettings.load())
    train_docs = [d for d in documents if split.get(d.id) == "train"]
    dev_docs = [d for d in documents if split.get(d.id) == "dev"]
    started = time.perf_counter()
    train = examples(prepare(train_docs, embeddings), embeddings, config.hard_negatives,
                     config.easy_negatives, config.seed)
    dev = items(prepare(dev_docs, embeddings), embeddings, config.eval_depth)
    log.info("pairs: %d train from %d documents; %d dev questions (%.0f s)", len(train),
             len(train_docs), len(dev), time.perf_counter() - started)
    tok = tokenizer(base / "tokenizer.json", config.max_length)
    model = load_bert(base / "model.onnx")
    for p in model.bert.embeddings.parameters():
        p.requires_grad = False
    for layer in model.bert.encoder.layer[: config.frozen_layers]:
        for p in layer.parameters():
            p.requires_grad = False
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    if config.max_steps:
        total = min(total, config.max_steps)
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad],
                                  lr=config.learning_rate, weight_decay=0.01)
    warm = max(1, int(config.warmup * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    history = [{"epoch": 0, **_dev(model, tok, dev)}]
    log.info("dev before training: %s", _brief(history[-1]))
    step = 0
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = list(range(len(train)))
        random.Random(config.seed + epoch).shuffle(order)
        running = 0.0
        for first in range(0, len(order), config.batch_size):
            if step >= total:
                break
            batch = [train[i] for i in order[first : first + config.batch_size]]
            feeds = encode(tok, [(e.query, e.passage) for e in batch])
            logits = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).logits
            answers = torch.tensor([e.answers for e in batch])
            contradicts = torch.tensor([e.contradicts for e in batch])
            loss = (loss_fn(logits[:, ANSWERS], answers)
                    + config.contradicts_weight * loss_fn(logits[:, CONTRADICTS], contradicts))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
            step += 1
            running += float(loss.detach())
            if step % 50 == 0:
                log.info("epoch %d step %d/%d loss %.4f (%.0f s)", epoch, step, total,
                         running / 50, time.perf_counter() - started)
                running = 0.0
        model.eval()
        history.append({"epoch": epoch, **_dev(model, tok, dev)})
        log.info("dev after epoch %d: %s", epoch, _brief(history[-1]))
        torch.save(model.state_dict(), out / f"epoch-{epoch}.pt")
        if step >= total:
            break
    model.save_pretrained(out / "model")
    (out / "model" / "tokenizer.json").write_bytes((base / "tokenizer.json").read_bytes())
    result = {"config": {f.name: getattr(config, f.name) for f in fields(config)},
              "train_pairs": len(train), "train_documents": [d.id for d in train_docs],
              "dev_documents": [d.id for d in dev_docs], "steps": step,
              "seconds": round(time.perf_counter() - started),
              "dev": [{k: v for k, v in h.items() if k != "rows"} for h in history]}
    (out / "fit.json").write_text(json.dumps(result, indent=1), "utf-8")
    return result


def _dev(model, tok, dev) -> dict:  # noqa: ANN001
    if not dev:
        return {}

    def scorer(query, passages):  # noqa: ANN001, ANN202
        logits = torch_scores(model, tok, [(query, p) for p in passages])
        return logits[:, ANSWERS], logits[:, CONTRADICTS]

    return measure(dev, scorer)


def _brief(m: dict) -> str:
    return ", ".join(f"{k} {m.get(k)}" for k in ("r_at_1", "r_at_3", "answerability_auc",
                                                 "premise_auc"))
