"""The layers' boundaries: each owns its settings and the top composes them; lower layers
never import higher ones; every user-facing error is one of the tree's kinds."""

import ast
import inspect
from pathlib import Path

import pytest

import source.errors as errors
from assistant.answerers.settings import EndpointSettings, GenerationSettings
from assistant.settings import Settings, load_settings
from index.settings import IndexSettings

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["source", "index", "assistant"]  # each may import only those before it


def imported_packages(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
    return found


@pytest.mark.parametrize("layer", ORDER)
def test_a_layer_never_imports_a_higher_one(layer):
    higher = set(ORDER[ORDER.index(layer) + 1 :]) | {"eval", "ui", "webui"}
    assert not imported_packages(ROOT / layer) & higher


def test_the_guard_sees_an_upward_import(tmp_path):
    """The check above can fail: a module that imports the assistant is caught."""
    (tmp_path / "bad.py").write_text("from assistant.chain import Assistant\n")
    assert "assistant" in imported_packages(tmp_path)


def imported_modules(where: Path) -> set[str]:
    """Every absolute module a file or a folder's files import, as written."""
    found = set()
    for path in ([where] if where.is_file() else where.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
    return found


def reaches(modules: set[str], parts: set[str]) -> set[str]:
    return {m for m in modules for p in parts if m == p or m.startswith(p + ".")}


# Inside assistant/: the stages and the judges know nothing of how they are composed,
# configured or served; the judges nothing of the stages; the chain nothing of serving.
PARTS = {
    "answering": {"assistant.chain", "assistant.settings", "assistant.answerers",
                  "assistant.serving"},
    "judging": {"assistant.chain", "assistant.settings", "assistant.answerers",
                "assistant.serving", "assistant.answering"},
    "chain.py": {"assistant.serving"},
}


@pytest.mark.parametrize("part", PARTS)
def test_the_parts_of_the_assistant_import_downwards_only(part):
    assert not reaches(imported_modules(ROOT / "assistant" / part), PARTS[part])


def test_the_guard_sees_a_judge_that_imports_a_stage(tmp_path):
    """The check above can fail: a judge reaching into the answering stages is caught."""
    (tmp_path / "judge.py").write_text("from assistant.answering.question import analyse\n")
    assert reaches(imported_modules(tmp_path), PARTS["judging"]) == {
        "assistant.answering.question"}


def test_each_layer_owns_its_settings_and_the_top_composes_them():
    index, generation = set(IndexSettings.model_fields), set(EndpointSettings.model_fields)
    assert not any(f.startswith("llm_") or f in ("answerer", "judge") for f in index)
    assert set(GenerationSettings.model_fields) < generation
    assert all(f.startswith("llm_") for f in generation)
    assert index | generation < set(Settings.model_fields)
    assert issubclass(Settings, IndexSettings) and issubclass(Settings, EndpointSettings)


def test_the_index_cli_ignores_the_assistants_settings(monkeypatch, tmp_path, capsys):
    """`python -m index` reads only index settings: a bad answerer setting in the env is
    not its business, while the assistant's own loader reports it."""
    from index.cli import main

    monkeypatch.setenv("ATA_LLM_MAX_TOKENS", "1")
    assert main(["status", "--data-dir", str(tmp_path)]) == 1  # missing, not a crash
    with pytest.raises(errors.ConfigError, match=r"\(env ATA_LLM_MAX_TOKENS\)"):
        load_settings()
    monkeypatch.delenv("ATA_LLM_MAX_TOKENS")
    with pytest.raises(errors.ConfigError, match=r"flag --window-size or env"):
        load_settings(window_size=99)


def test_every_app_error_is_a_kind_of_the_tree():
    """One tree: every error class the app reports to a user is defined in
    source/errors.py and sits under one of the root's few direct kinds."""
    kinds = {errors.InputError, errors.ConfigError, errors.ArticleError, errors.StoreError,
             errors.AnswererError}
    defined = [c for _, c in inspect.getmembers(errors, inspect.isclass)
               if issubclass(c, errors.AppError) and c is not errors.AppError]
    assert {c for c in defined if c.__base__ is errors.AppError} == kinds
    for folder in ("source", "index", "assistant"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and path.name != "errors.py":
                    bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                    assert not {"AppError"} & bases, f"{path}: {node.name}"


@pytest.mark.parametrize("main", ["assistant.serving.cli:main_help", "index.cli:main", "ui:main"])
def test_every_cli_words_the_shared_flags_as_the_settings_describe_them(main, capsys):
    """--data-dir, --article and --chroma-url are declared from the settings' own field
    descriptions, so the three CLIs cannot drift apart."""
    import importlib

    module, name = main.split(":")
    if name == "main_help":
        entry = importlib.import_module(module).build_parser().parse_args
        argv = ["ask", "--help"]
    else:
        entry, argv = getattr(importlib.import_module(module), name), ["--help"]
    with pytest.raises(SystemExit):
        entry(argv)
    shown = " ".join(capsys.readouterr().out.split())
    for field in ("data_dir", "article", "chroma_url"):
        description = " ".join(IndexSettings.model_fields[field].description.split())
        assert f"{description} (env ATA_{field.upper()})" in shown
