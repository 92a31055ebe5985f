"""The app's install (`make run`) leaves out the eval's packages (the `eval` extra): the app
answers without them, and an eval command that needs one says which extra to install."""

import subprocess
import sys
from pathlib import Path

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
