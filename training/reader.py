"""The reader as trained: a BERT cross-encoder with two outputs per (question, passage):
0 'this passage belongs to the answer', 1 'it contradicts what the question takes for
granted'. Tokenisation is the shipped tokenizer.json, exactly as at answer time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

ANSWERS, CONTRADICTS = 0, 1


def tokenizer(path: Path, max_length: int):  # -> tokenizers.Tokenizer
    """Pairs truncated from the passage's left: its context goes before the sentence."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path))
    tok.enable_truncation(max_length=max_length, strategy="only_second", direction="left")
    tok.enable_padding(pad_id=tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
    return tok


def encode(tok, pairs: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:  # noqa: ANN001
    """The answer-time encoding, so training and answering feed the model alike."""
    from assistant.answering.reader import pair_feeds

    return pair_feeds(tok, pairs)


def torch_scores(model, tok, pairs: Sequence[tuple[str, str]], batch: int = 64  # noqa: ANN001
                 ) -> np.ndarray:
    """Logits (n, outputs) from a PyTorch model, in batches."""
    import torch

    out = []
    with torch.inference_mode():
        for first in range(0, len(pairs), batch):
            feeds = encode(tok, pairs[first : first + batch])
            out.append(model(**{k: torch.from_numpy(v) for k, v in feeds.items()})
                       .logits.float().numpy())
    return np.concatenate(out) if out else np.zeros((0, 2), np.float32)
