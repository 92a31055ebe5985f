"""A usage mistake on any command line is one `error:` line naming `--help`, exit status 2,
like every other error here (argparse alone prints its usage block first)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import pytest

import source.errors
from assistant.serving.cli import main as assistant_main
from eval.cli import main as eval_main
from index.cli import main as index_main
from training.cli import main as training_main
from ui import main as ui_main

Main = Callable[[Sequence[str]], int]

MISTAKES: list[tuple[Main, list[str], str]] = [
    (assistant_main, ["ask", "--bogus", "Why?"], "unrecognized arguments: --bogus"),
    (assistant_main, ["ask", "--history", "-x", "Why?"],
     "goes as --history=VALUE"),
    (assistant_main, ["ask", "-what?"], "a question that starts with '-' goes after --"),
    (index_main, ["frob"], "invalid choice: 'frob'"),
    (eval_main, ["run", "--suite"], "expected one argument"),
    (ui_main, ["--bogus"], "unrecognized arguments: --bogus"),
    (training_main, ["frob"], "invalid choice: 'frob'"),
]


def usage_error(main: Main, argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The lines a usage mistake prints, after checking it exits with status 2."""
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(("main", "argv", "needle"), MISTAKES,
                         ids=[" ".join(a) for _, a, _ in MISTAKES])
def test_a_usage_mistake_is_one_line_naming_help(main, argv, needle, capsys):
    lines = usage_error(main, argv, capsys)
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: python ") and lines[0].endswith(" --help")
    assert needle in lines[0]


def test_plain_argparse_fails_the_check_above(monkeypatch, capsys):
    """The check can fail: argparse's own error prints its usage block first."""
    monkeypatch.setattr(source.errors.ArgumentParser, "error",
                        argparse.ArgumentParser.error)
    lines = usage_error(index_main, ["frob"], capsys)
    assert len(lines) > 1 and lines[0].startswith("usage:")
