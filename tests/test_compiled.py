"""The embedding model compiled to ONNX: the same vectors as sentence-transformers, a fresh
`ask` that never imports torch, and a compiled copy that does not match being refused."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.compiled import PARITY, CompiledEmbeddings, compiled_dir, load_compiled
from index.models import resolve_model
from source.errors import ModelError

pytestmark = pytest.mark.slow  # compiles the real embedding model with torch and compares

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ["Why would the plan fail?", "It could: raise prices; cut jobs.", "word " * 500]


@pytest.fixture(scope="module")
def model():
    return resolve_model("all-MiniLM-L6-v2")


@pytest.fixture(scope="module")
def reference(model):
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(str(model), device="cpu", local_files_only=True)
    return st.encode(TEXTS, normalize_embeddings=True)


def test_compiled_vectors_are_the_models_vectors(model_cache, model, reference):
    compiled = load_compiled(model_cache, model)
    got = np.asarray(compiled.embed_documents(TEXTS))
    assert np.abs(got - reference).max() <= PARITY
    # rows come back in input order although batches are sorted by length
    assert np.allclose(compiled.embed_query(TEXTS[2]), got[2], atol=1e-6)


def test_a_compiled_copy_that_differs_is_caught_by_the_parity_check(
        model_cache, model, reference, tmp_path):
    """The check that guards the compiled model can fail: a copy that truncates at 8
    tokens (a plausible export bug) is far outside the tolerance on the long text."""
    broken = tmp_path / "broken"
    shutil.copytree(compiled_dir(model_cache, model), broken)
    meta = json.loads((broken / "meta.json").read_text("utf-8"))
    (broken / "meta.json").write_text(json.dumps({**meta, "max_seq_length": 8}), "utf-8")
    got = np.asarray(CompiledEmbeddings(broken).embed_documents(TEXTS))
    assert np.abs(got - reference).max() > PARITY


def test_a_changed_model_folder_compiles_again(model_cache, model, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    before = compiled_dir(model_cache, copy)
    (copy / "config.json").write_text((copy / "config.json").read_text() + "\n")
    assert compiled_dir(model_cache, copy) != before


def test_a_damaged_compiled_model_is_compiled_again(model_cache, model, reference, tmp_path,
                                                    caplog):
    """The compiled model is a cache: a damaged copy is replaced, not used or patched."""
    cache = tmp_path / "cache"
    folder = compiled_dir(cache, model)
    shutil.copytree(compiled_dir(model_cache, model), folder)
    (folder / "model.onnx").write_bytes(b"not a model")
    got = np.asarray(load_compiled(cache, model).embed_documents(TEXTS))
    assert "is damaged" in caplog.text and np.abs(got - reference).max() <= PARITY


def test_a_model_that_cannot_be_compiled_is_a_model_error(tmp_path, model):
    """A model folder without a fast tokenizer cannot be compiled: one ModelError line
    (the caller then falls back to sentence-transformers)."""
    copy = tmp_path / "model"
    shutil.copytree(model, copy)
    (copy / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="no fast tokenizer file"):
        load_compiled(tmp_path / "cache", copy)


def test_a_fresh_ask_never_imports_torch(assistant, shared_data_dir, model_cache):
    """The point of compiling: with the index present, answering a question from a new
    process loads neither torch nor sentence-transformers (seconds of start-up)."""
    probe = ("import sys, runpy; sys.argv = ['assistant', 'ask', '--no-build', "
             f"'--data-dir', {str(shared_data_dir)!r}, 'Why do hives fail?']\n"
             "try:\n    runpy.run_module('assistant', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "print('heavy:', sorted(m for m in ('torch', 'sentence_transformers', "
             "'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "heavy: []" in done.stdout, done.stdout[-500:]


def test_an_unwritable_model_cache_falls_back_to_the_model_itself(tmp_path, caplog):
    """A cache that is a file (or read-only) costs start-up time, never an answer."""
    from index.embed import make_embeddings

    blocked = tmp_path / "cache"
    blocked.write_text("a file, not a folder")
    embeddings = make_embeddings("all-MiniLM-L6-v2", blocked)
    assert type(embeddings).__name__ == "HuggingFaceEmbeddings"
    assert "cannot write to the model cache" in caplog.text
    assert len(embeddings.embed_query("hello")) == 384
