"""The embedding model compiled to ONNX once per data folder, so that a fresh process
embeds a question with onnxruntime and never imports torch, transformers or
sentence-transformers (seconds of start-up for every `ask`).

The compiled graph is the whole sentence-transformers pipeline (transformer, pooling,
normalisation), exported with torch's exporter from the packaged model on disk: nothing
is downloaded. It is used only if it reproduces sentence-transformers on probe texts
(a long one included, for truncation); otherwise the caller falls back to the model
itself.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from source.errors import ModelError

log = logging.getLogger("index")

FORMAT = 2  # bump when the compiled folder's layout or the export changes
PARITY = 1e-4  # largest difference from sentence-transformers accepted on a probe
BATCH = 32
_PROBES = ("Why does the author think so?", "word " * 600,
           "Ünïcödé “quotes”, $12.5 million — and 1848-1850.")



def compiled_dir(cache: Path, model: Path) -> Path:
    """One folder per model folder and weights: a reinstalled or edited model compiles
    again instead of silently using stale weights."""
    h = hashlib.sha256(f"{FORMAT}\0{model.resolve()}".encode())
    for f in sorted(model.rglob("*")):
        if f.is_file():
            stat = f.stat()
            h.update(f"\0{f.relative_to(model)}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return cache / f"{model.name}-{h.hexdigest()[:16]}"


class CompiledEmbeddings(Embeddings):
    """LangChain embeddings over a compiled folder: tokenizers + onnxruntime only."""

    def __init__(self, folder: Path) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        self.folder = folder
        self._inputs: list[str] = meta["inputs"]
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=int(meta["max_seq_length"]))
        self._tokenizer.no_padding()
        self._pad_id = int(meta["pad_id"])
        self._dimension = int(meta["dimension"])
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        self._session = onnxruntime.InferenceSession(
            str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        """Batches of similar length (as sentence-transformers does), so a short text is
        not padded to a long neighbour's length; rows come back in the input order."""
        encoded = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        out = np.zeros((len(encoded), self._dimension), dtype=np.float32)
        for first in range(0, len(order), BATCH):
            rows = order[first : first + BATCH]
            width = max(len(encoded[i].ids) for i in rows)
            feeds = {k: np.zeros((len(rows), width), dtype=np.int64) for k in self._inputs}
            if "input_ids" in feeds:
                feeds["input_ids"][:] = self._pad_id
            for n, i in enumerate(rows):
                e = encoded[i]
                for name, values in (("input_ids", e.ids), ("attention_mask",
                                     e.attention_mask), ("token_type_ids", e.type_ids)):
                    if name in feeds:
                        feeds[name][n, : len(values)] = values
            vectors = self._session.run(None, feeds)[0]
            out[rows] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True),
                                             1e-12)
        return out

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        rows: list[list[float]] = self._encode(texts).tolist()
        return rows

    def embed_query(self, text: str) -> list[float]:
        row: list[float] = self._encode([text])[0].tolist()
        return row


def load_compiled(cache: Path, model: Path) -> CompiledEmbeddings:
    """The compiled model for `model`, compiled first if the cache lacks it or holds a
    damaged copy."""
    folder = compiled_dir(cache, model)
    for attempt in range(2):
        if not (folder / "meta.json").is_file():
            compile_model(model, folder)
        try:
            return CompiledEmbeddings(folder)
        except Exception as exc:  # onnxruntime and tokenizers raise their own types
            if attempt:
                raise ModelError(f"cannot load the compiled model in {folder}: {exc}") from exc
            log.warning("the compiled model in %s is damaged (%s); compiling it again",
                        folder, exc)
            shutil.rmtree(folder, ignore_errors=True)  # a cache: rebuilt, never patched
    raise AssertionError("unreachable")


def compile_model(model: Path, folder: Path) -> None:
    """Export `model` to `folder` (atomically: a half-written folder is never used)."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ModelError(f"cannot compile the embedding model: {exc}") from exc
    log.warning("compiling the embedding model to ONNX, once per user (%s)", folder)
    st = SentenceTransformer(str(model), device="cpu", local_files_only=True)
    hf = st.tokenizer
    if not (model / "tokenizer.json").is_file() or hf.pad_token_id is None:
        raise ModelError(f"{model} has no fast tokenizer file to compile with")
    features = st.preprocess(list(_PROBES[:2]))
    inputs = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in features]

    class Pipeline(torch.nn.Module):  # the whole model as one graph with plain inputs
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = self.st(dict(zip(inputs, tensors, strict=True)))[
                "sentence_embedding"]
            return out

    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    except OSError as exc:
        raise ModelError(f"cannot write to the model cache {folder.parent}: "
                           f"{exc.strerror or exc}") from exc
    try:
        axes: dict[str, dict[int, str]] = {k: {0: "batch", 1: "tokens"} for k in inputs}
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's tracer notes, not the user's concern
            torch.onnx.export(Pipeline().eval(), tuple(features[k] for k in inputs),
                              str(tmp / "model.onnx"), input_names=inputs,
                              output_names=["embedding"],
                              dynamic_axes={**axes, "embedding": {0: "batch"}},
                              opset_version=17, dynamo=False)
        shutil.copyfile(model / "tokenizer.json", tmp / "tokenizer.json")
        meta = {"format": FORMAT, "source": str(model.resolve()), "inputs": inputs,
                "max_seq_length": st.max_seq_length, "pad_id": hf.pad_token_id,
                "dimension": st.get_embedding_dimension()}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), "utf-8")
        expected = st.encode(list(_PROBES), normalize_embeddings=True, show_progress_bar=False)
        got = CompiledEmbeddings(tmp)._encode(list(_PROBES))
        diff = float(np.abs(expected - got).max()) if got.shape == expected.shape else np.inf
        if not diff <= PARITY:
            raise ModelError(f"the compiled model differs from {model} by {diff:.2g}")
        try:
            os.replace(tmp, folder)  # another process may have won the race: keep its copy
        except OSError:
            if not (folder / "meta.json").is_file():
                raise
    except ModelError:
        raise
    except Exception as exc:  # torch's exporter raises many types
        raise ModelError(f"cannot compile {model} to ONNX: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
