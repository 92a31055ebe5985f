"""The app's install (`make run`) leaves out the eval's packages (the `eval` extra): the app
answers without them, and an eval command that needs one says which extra to install."""

import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

from eval.cli import main as eval_main

ROOT = Path(__file__).resolve().parent.parent
EVAL_ONLY = ("matplotlib", "langchain_classic")
# A module set to None in sys.modules cannot be imported: as if it were not installed.
BLOCK = f"import sys\nfor name in {EVAL_ONLY!r}:\n    sys.modules[name] = None\n"


@pytest.mark.slow
def test_the_app_modules_import_without_the_eval_extra():
    probe = BLOCK + ("import ui, assistant.serving.cli, assistant.serving.api, index.cli, "
                     "eval.pytest_plugin\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.slow
def test_an_ask_answers_without_the_eval_extra(assistant, shared_data_dir):
    probe = BLOCK + ("import runpy\nsys.argv = ['assistant', 'ask', '--no-build', '--json', "
                     f"'--data-dir', {str(shared_data_dir)!r}, 'Who wrote the article?']\n"
                     "runpy.run_module('assistant', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"citations"' in done.stdout


@pytest.mark.parametrize(("command", "package"), [
    (["run"], "matplotlib"),
    (["bench"], "langchain-classic"),
])
def test_an_eval_command_names_the_extra_it_needs(monkeypatch, capsys, command, package):
    monkeypatch.setattr("importlib.util.find_spec",
                        lambda name, *a: None if name in EVAL_ONLY else object())
    assert eval_main(command) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"error: python -m eval {command[0]} needs {package}; install the eval "
                     "extra: .venv/bin/pip install '.[eval]'"]


# The checkout is the one import root: the install must not put these into site-packages.
OURS = ("source", "index", "assistant", "eval", "webui", "ui")


def ours_installed(files: list[PurePosixPath]) -> list[str]:
    """The installed files that are one of our modules, a console script or a path hook
    (an editable install's .pth or finder) rather than the distribution's own metadata."""
    return [str(f) for f in files
            if f.parts[0].removesuffix(".py") in OURS or f.suffix == ".pth"
            or "__editable__" in f.name or "bin" in f.parts]


def test_the_install_puts_none_of_our_names_into_site_packages():
    files = importlib.metadata.files("ask-the-article")
    assert files, "ask-the-article is not installed (make test installs it)"
    assert not ours_installed([PurePosixPath(f) for f in files])


def test_the_check_sees_what_the_old_install_put_there():
    """The check above can fail: the old install's package, module, scripts and hook."""
    old = ["assistant/__init__.py", "ui.py", "../../../bin/ask-the-article",
           "__editable__.ask_the_article-0.1.0.pth", "ask_the_article-0.1.0.dist-info/RECORD"]
    assert ours_installed([PurePosixPath(f) for f in old]) == old[:4]


def test_our_names_are_not_importable_from_another_folder(tmp_path):
    probe = (f"import importlib.util as u\nprint([n for n in {OURS!r} if u.find_spec(n)])\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
