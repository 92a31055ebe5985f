"""The local answerer: the packaged GGUF parts are joined only if their sha256 matches,
and the real Qwen2.5-Coder-0.5B answers through the same grounding as every answerer."""

import hashlib
import sys

import pytest

from assistant.answerers import local
from assistant.chain import Result
from index.settings import ConfigError, load_settings


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Two tiny importable part packages (an honest fake of the split model wheels)."""
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 777]
    for i, chunk in enumerate(chunks, 1):
        package = tmp_path / "site" / f"fake_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part0{i}.bin").write_bytes(chunk)
        (package / "__init__.py").write_text(
            "import os\ndef get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part0{i}.bin')\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    whole = b"".join(chunks)
    return whole, local.PackagedGGUF("fake.gguf", ("fake_part1", "fake_part2"),
                                     hashlib.sha256(whole).hexdigest(), len(whole))


def test_parts_are_joined_once_when_the_hash_matches(tmp_path, monkeypatch, fake_parts):
    whole, spec = fake_parts
    monkeypatch.setitem(local.LOCAL_MODELS, "fake", spec)
    settings = load_settings(data_dir=tmp_path / "data")
    path = local.model_file(settings, "fake")
    assert path.read_bytes() == whole
    assert local.model_file(settings, "fake") == path


def test_a_tampered_part_is_refused_and_nothing_is_left(tmp_path, monkeypatch, fake_parts):
    _, spec = fake_parts
    monkeypatch.setitem(local.LOCAL_MODELS, "fake", local.PackagedGGUF(
        spec.file, spec.parts, "0" * 64, spec.size))
    settings = load_settings(data_dir=tmp_path / "data")
    with pytest.raises(ConfigError, match="do not match the published sha256"):
        local.model_file(settings, "fake")
    assert list((tmp_path / "data" / "models").iterdir()) == []


def test_missing_parts_and_unknown_models_are_clear(tmp_path, monkeypatch):
    settings = load_settings(data_dir=tmp_path)
    monkeypatch.setitem(local.LOCAL_MODELS, "ghost", local.PackagedGGUF(
        "ghost.gguf", ("no_such_part_package",), "0" * 64, 1))
    with pytest.raises(ConfigError, match=r"not installed .*pip install -e '\.\[local\]'"):
        local.model_file(settings, "ghost")
    with pytest.raises(ConfigError, match="unknown local model 'gpt-9'"):
        local.model_file(settings, "gpt-9")


@pytest.mark.slow
def test_real_local_model_answers_grounded_or_falls_back(assistant, article):
    settings = assistant.settings.model_copy(update={"answerer": "local"})
    generative = assistant.with_answerer(local.local_answerer(settings, ""), settings)
    pieces = list(generative.stream("How much was Russia-China trade worth in 2023?"))
    result = pieces[-1]
    assert isinstance(result, Result)
    answer = result.answer
    print(f"local model: {answer.answerer}: {answer.answer!r} {answer.timings_ms}",
          file=sys.stderr)
    assert answer.answerer.startswith("local:qwen2.5-coder-0.5b-instruct")
    assert "first_token" in answer.timings_ms
    # The article answers this: a refusal is a failure, whoever wrote the final text.
    assert not answer.refused, answer.answer
    assert any("$240 billion" in c.quote for c in answer.citations), answer.answer
    assert all(article.text[c.start:c.end] == c.quote for c in answer.citations)
    assert all(s.score >= 0.5 for s in answer.support)
