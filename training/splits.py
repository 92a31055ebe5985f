"""The corpus's split by document, fixed in `corpus/splits.json` before any training:
questions about one document never sit on both sides."""

from __future__ import annotations

import json
from pathlib import Path

from training.corpus import CORPUS

SPLITS_FILE = CORPUS / "splits.json"
NAMES = ("train", "dev", "test")


def load(path: Path = SPLITS_FILE) -> dict[str, str]:
    """document id -> train | dev | test."""
    data = json.loads(path.read_text("utf-8"))
    out = {doc: name for name in NAMES for doc in data.get(name, [])}
    if len(out) != sum(len(data.get(n, [])) for n in NAMES):
        raise ValueError(f"{path}: a document is in more than one split")
    return out
