"""The corpus and the reader's training: the committed corpus is valid and as large as
the issue asks, a broken label is caught, the split is by document, the shipped model's
card matches the corpus on disk, and a tiny training run goes end to end (never a full
one: that is `python -m training fit`)."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from training import corpus, splits

CARD = Path(__file__).resolve().parent.parent / "assistant" / "reader_model" / "card.json"


@pytest.fixture(scope="module")
def loaded():
    return corpus.load()


def test_the_committed_corpus_has_no_problems_and_its_promised_size(loaded):
    documents, errors = loaded
    assert errors == []
    questions = [q for d in documents for q in d.questions]
    kinds = Counter(q.kind for q in questions)
    assert len(documents) >= 40 and len(questions) >= 2000
    assert min(len(d.questions) for d in documents) >= 40
    assert kinds["unanswerable"] / len(questions) >= 0.25
    assert kinds["false-premise"] / len(questions) >= 0.05
    assert {d.path.suffix for d in documents} == {".md", ".txt"}


def test_a_label_that_is_not_an_exact_quote_is_an_error(tmp_path, loaded):
    documents, _ = loaded
    doc = documents[0]
    (tmp_path / "documents").mkdir()
    (tmp_path / "questions").mkdir()
    shutil.copy(doc.path, tmp_path / "documents" / doc.path.name)
    lines = (corpus.CORPUS / "questions" / f"{doc.id}.jsonl").read_text("utf-8").splitlines()
    first = json.loads(lines[0])
    answerable = next(json.loads(x) for x in lines if json.loads(x)["answerable"])
    answerable["gold"] = [answerable["gold"][0].replace(" ", "  ", 1)]  # retyped, not copied
    good = [x for x in lines if json.loads(x)["id"] != answerable["id"]]
    (tmp_path / "questions" / f"{doc.id}.jsonl").write_text(
        "\n".join([*good, json.dumps(answerable)]) + "\n", "utf-8")
    _, errors = corpus.load(tmp_path)
    assert any("not an exact quote" in e for e in errors)
    assert first  # the untouched lines are still read


def test_the_split_is_by_document_and_covers_the_corpus(loaded):
    documents, _ = loaded
    split = splits.load()
    assert set(split) == {d.id for d in documents}
    counts = Counter(split.values())
    assert counts["dev"] >= 5 and counts["test"] >= 5 and counts["train"] >= 25


@pytest.mark.skipif(not CARD.is_file(), reason="no shipped reader model")
def test_the_shipped_card_matches_the_corpus_on_disk():
    card = json.loads(CARD.read_text("utf-8"))
    assert card["corpus_sha256"] == corpus.fingerprint(), (
        "the corpus changed since the reader was trained: retrain (make train)")
    assert card["corpus_sha256"] in (corpus.CORPUS.parent / "MODEL_CARD.md").read_text("utf-8")
    split = splits.load()
    assert all(split[d] == "train" for d in card["train_documents"])
    assert all(split[d] == "dev" for d in card["dev_documents"])


def test_the_fingerprint_sees_one_changed_byte(tmp_path):
    root = tmp_path / "c"
    shutil.copytree(corpus.CORPUS / "documents", root / "documents")
    before = corpus.fingerprint(root)
    path = next((root / "documents").iterdir())
    path.write_bytes(path.read_bytes()[:-1] + b"!")
    assert corpus.fingerprint(root) != before


def test_overlap_counts_shared_content_words_only():
    assert corpus.overlap("Who pays the deposit?", ("The rider pays a deposit.",)) == 1.0
    assert corpus.overlap("Who funds it?", ("The rider pays a deposit.",)) == 0.0


@pytest.mark.slow
@pytest.mark.skipif(not CARD.is_file(), reason="no shipped reader model")
def test_a_tiny_training_run_goes_from_int8_to_int8(tmp_path, loaded):
    """Dequantize the shipped model, train three steps on two documents' questions, export
    int8 again and load it as the assistant does: the whole loop, in seconds."""
    import onnxruntime

    from assistant.answering.reader import MODEL_DIR, OnnxReader
    from tests.fakes import BagOfWordsEmbeddings
    from training.base import load_bert
    from training.export import to_onnx
    from training.fit import Config, fit
    from training.reader import encode, tokenizer, torch_scores

    base = load_bert(MODEL_DIR / "model.onnx")
    tok = tokenizer(MODEL_DIR / "tokenizer.json", 64)
    pairs = [("How long is the crossing?", "The crossing takes forty minutes."),
             ("How long is the crossing?", "Tickets are sold at the pier.")]
    session = onnxruntime.InferenceSession(str(MODEL_DIR / "model.onnx"))
    want = session.run(None, encode(tok, pairs))[0]
    assert np.abs(torch_scores(base, tok, pairs) - want[:, :2]).max() < 1.0  # dequantized

    documents, _ = loaded
    two = documents[:2]
    config = Config.read(max_steps=3, batch_size=4, epochs=1, eval_depth=4, hard_negatives=2,
                         easy_negatives=1)
    result = fit(config, tmp_path / "run", two, {two[0].id: "train", two[1].id: "dev"},
                 MODEL_DIR, BagOfWordsEmbeddings())
    assert result["steps"] == 3 and result["dev"][0]["questions"] > 0
    int8 = to_onnx(tmp_path / "run" / "model", tmp_path / "onnx")
    assert int8.stat().st_size < 40 * 1024 * 1024
    folder = tmp_path / "shipped"
    folder.mkdir()
    shutil.copy(int8, folder / "model.onnx")
    shutil.copy(MODEL_DIR / "tokenizer.json", folder / "tokenizer.json")
    card = json.loads((MODEL_DIR / "card.json").read_text("utf-8"))
    card["model_sha256"] = __import__("hashlib").sha256(int8.read_bytes()).hexdigest()
    (folder / "card.json").write_text(json.dumps(card), "utf-8")
    logits = OnnxReader(folder).logits("How long is the crossing?", [p for _, p in pairs])
    assert logits.shape[0] == 2 and logits.shape[1] >= 2 and np.isfinite(logits).all()
