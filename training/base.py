"""A float PyTorch BERT cross-encoder rebuilt from an int8 ONNX file, so a quantized model
(the packaged ms-marco cross-encoder, or our own shipped reader) can be trained further.

Weights are dequantized per tensor, (q - zero_point) * scale. Quantized MatMul weights are
stored as (in, out) under generated names; the node that uses each one names the layer
(`/bert/encoder/layer.3/attention/self/query/MatMul_quant` → `…layer.3.attention.self.query`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

_NODE = re.compile(r"^/(?P<path>.+?)/(?:MatMul|Gemm)(?:_MatMul)?_quant$")


def _dequantized(onnx_path: Path) -> dict[str, np.ndarray]:
    """Every weight by its PyTorch name, as float32 (PyTorch's (out, in) orientation)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(onnx_path))
    raw = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}

    def value(name: str) -> np.ndarray:
        if name in raw:
            return raw[name].astype(np.float32)
        q, scale, zero = (raw[f"{name}_quantized"], raw[f"{name}_scale"],
                          raw[f"{name}_zero_point"])
        return ((q.astype(np.float32) - zero.astype(np.float32)) * scale).astype(np.float32)

    weights: dict[str, np.ndarray] = {}
    for name in raw:
        if name.endswith("_quantized"):
            base = name.removesuffix("_quantized")
            if base.startswith("bert.embeddings."):
                weights[base] = value(base)
        elif not name.endswith(("_scale", "_zero_point")) and name.startswith(
                ("bert.", "classifier.")):
            weights[name] = value(name)
    for node in model.graph.node:
        if node.op_type != "MatMulInteger":
            continue
        match = _NODE.match(node.name)
        if match is None:
            continue
        layer = match["path"].replace("/", ".").replace("layer.", "layer.")
        layer = re.sub(r"\.(\d+)\.", r".\1.", layer)
        weight = node.input[1].removesuffix("_quantized")
        weights[f"{layer}.weight"] = value(weight).T.copy()
    return weights


def load_bert(onnx_path: Path, num_labels: int = 2):  # -> BertForSequenceClassification
    """The ONNX cross-encoder as a trainable model. A one-label base gets extra outputs
    initialised to a low prior (new heads start by saying 'no')."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    weights = _dequantized(onnx_path)
    layers = 1 + max(int(m[1]) for k in weights
                     if (m := re.match(r"bert\.encoder\.layer\.(\d+)\.", k)))
    hidden = weights["bert.embeddings.word_embeddings.weight"].shape[1]
    config = BertConfig(
        vocab_size=weights["bert.embeddings.word_embeddings.weight"].shape[0],
        hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=hidden // 32,
        intermediate_size=weights["bert.encoder.layer.0.intermediate.dense.weight"].shape[0],
        max_position_embeddings=weights["bert.embeddings.position_embeddings.weight"].shape[0],
        type_vocab_size=weights["bert.embeddings.token_type_embeddings.weight"].shape[0],
        num_labels=num_labels)
    model = BertForSequenceClassification(config)
    head_w = weights.pop("classifier.weight")
    head_b = weights.pop("classifier.bias")
    state = {k: torch.from_numpy(v) for k, v in weights.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.startswith("classifier.")
               and not k.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"{onnx_path}: weights do not fit a BERT "
                         f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.fill_(-4.0)
        rows = min(head_w.shape[0], num_labels)
        model.classifier.weight[:rows] = torch.from_numpy(head_w[:rows])
        model.classifier.bias[:rows] = torch.from_numpy(head_b[:rows])
    return model.eval()
