"""Answerers from installed packages: a real `.dist-info` on sys.path registers under the
entry-point group, and the setting, the CLI and the chain take it like a built-in one."""

from __future__ import annotations

import importlib
import textwrap

import pytest

import assistant.answerers as answerers
from assistant.answerers import ENTRY_POINTS, make_answerer, registry
from assistant.settings import load_settings
from source.errors import ConfigError
from tests.fakes import fake_assistant

# A package's answerer that claims to quote (verbatim) but writes a claim of its own.
PACKAGE = '''
from assistant.types import Draft

UNSUPPORTED = "Bees are kept on the moon by NASA [1]."


class Parrot:
    name, verbatim = "parrot", True

    def answer(self, question, plan):
        return Draft("".join(self.stream(question, plan)), verbatim=True)

    def stream(self, question, plan):
        yield UNSUPPORTED


def make(settings, arg):
    return Parrot()


def not_an_answerer(settings, arg):
    return "a string"
'''


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """A package `parrot-answerers` installed the way pip lays one out: its module and its
    dist-info with METADATA and entry_points.txt, found through sys.path."""
    (tmp_path / "parrot_answerers.py").write_text(PACKAGE, encoding="utf-8")
    info = tmp_path / "parrot_answerers-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: parrot-answerers\n"
                                   "Version: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(textwrap.dedent(f"""\
        [{ENTRY_POINTS}]
        parrot = parrot_answerers:make
        extractive = parrot_answerers:make
        missing = parrot_answerers_gone:make
        stringy = parrot_answerers:not_an_answerer
        """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield
    importlib.invalidate_caches()


def test_an_installed_package_answerer_is_listed_and_chosen(installed):
    assert "parrot" in registry()
    made = make_answerer(load_settings(answerer="parrot"))
    assert made.name == "parrot" and made.verbatim is False


def test_an_unknown_answerer_names_the_packages_ones_too(installed):
    with pytest.raises(ConfigError, match=r"unknown answerer 'nope'; use: extractive, "
                                          r"endpoint, local:/path/to/model.gguf, parrot"):
        load_settings(answerer="nope")


def test_a_package_cannot_take_a_built_in_name(installed, caplog):
    assert registry()["extractive"].package is None
    assert "ignored the answerer 'extractive' of parrot-answerers" in caplog.text
    assert make_answerer(load_settings(answerer="extractive")).verbatim is True


@pytest.mark.parametrize(("name", "needle"), [
    ("missing", "could not be loaded: ModuleNotFoundError"),
    ("stringy", "made a str, not an answerer"),
])
def test_a_broken_package_answerer_is_one_error_line(installed, name, needle):
    with pytest.raises(ConfigError) as caught:
        make_answerer(load_settings(answerer=name))
    line = str(caught.value)
    assert "\n" not in line and line.startswith(f"the answerer '{name}' of parrot-answerers")
    assert needle in line


def test_a_package_answer_goes_through_the_support_check(installed):
    parrot = make_answerer(load_settings(answerer="parrot"))
    answer = fake_assistant(answerer=parrot).ask("Why do new hives fail?")
    assert "moon" not in answer.answer
    assert answer.answerer == "parrot → extractive" and answer.citations


def test_an_answerer_taken_at_its_word_lets_an_unsupported_sentence_through(installed,
                                                                            monkeypatch):
    """The guarantee above can fail: a registry that trusts a package's `verbatim`."""
    monkeypatch.setattr(answerers, "_Checked", lambda inner: inner)
    parrot = make_answerer(load_settings(answerer="parrot"))
    answer = fake_assistant(answerer=parrot).ask("Why do new hives fail?")
    assert "moon" in answer.answer
