"""More than one article: `python -m index add` copies and indexes it, answers say which
article each quote comes from, and every misuse is one clear line with nothing changed."""

import json
import os
import subprocess
import sys

import pytest

from source import load_article

pytestmark = pytest.mark.slow

WIND = """# Offshore Wind in the Baltic

Denmark built the world's first offshore wind farm at Vindeby in 1991. It had eleven
turbines and ran for twenty-five years before it was taken down.

## Why the Baltic suits wind

The sea is shallow and the winds are steady, so foundations are cheap.
"""


def cli(module, args, data_dir):
    env = {**os.environ, "ATA_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", module, *args], env=env, capture_output=True,
                          text=True, timeout=300)


def ask(question, data_dir):
    out = cli("assistant", ["ask", "--json", question], data_dir)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    data = tmp_path_factory.mktemp("library-data")
    source = tmp_path_factory.mktemp("library-src") / "baltic-wind.md"
    source.write_text(WIND, encoding="utf-8")
    out = cli("index", ["add", str(source)], data)
    assert out.returncode == 0, out.stderr
    assert "added baltic-wind: Offshore Wind in the Baltic" in out.stdout
    return data, source


def test_answers_cite_the_article_a_quote_comes_from(library, article):
    data, source = library
    source.write_text("edited after adding: offsets must not move", encoding="utf-8")
    wind = load_article(data / "library" / "baltic-wind.md")  # the copy the index was made from
    answer = ask("Where was the first offshore wind farm built?", data)
    cited = [c for c in answer["citations"] if c["article"] == "baltic-wind"]
    assert cited and any("Vindeby" in c["quote"] for c in cited)
    for c in cited:
        assert wind.text[c["start"]:c["end"]] == c["quote"]
    answer = ask("On which island did Soviet and Chinese troops clash?", data)
    quote = next(c for c in answer["citations"] if "Zhengbao" in c["quote"])
    assert quote["article"] == "reverse-kissinger"
    assert article.text[quote["start"]:quote["end"]] == quote["quote"]
    refused = ask("How do I bake sourdough bread?", data)
    # no article is nearer to it than the one in view, so only that one was asked
    assert refused["refused"] and refused["answer"].startswith("The article doesn't say")
    assert article.title in refused["answer"]


def test_the_main_article_stays_the_default_and_others_are_named(library, tmp_path):
    """An added article answers what it clearly answers better, says where the answer is
    from, and never lends its byline to the main article (a licence's "Copyright (C)
    <year> <name of author>" line once answered "who wrote the article?")."""
    data, _ = library
    licence = tmp_path / "licence.md"
    licence.write_text("# A Small Licence\n\nCopyright (C) <year> <name of author>\n\n"
                       "You may copy and share this work. Any copy must keep this notice.\n",
                       encoding="utf-8")
    assert cli("index", ["add", str(licence)], data).returncode == 0
    try:
        author = ask("Who wrote the article?", data)
        assert [c["article"] for c in author["citations"]] == ["reverse-kissinger"]
        assert "Ihor Petrenko" in author["citations"][0]["quote"]
        wind = ask("How many turbines did the first offshore wind farm have?", data)
        assert wind["citations"][0]["article"] == "baltic-wind"
        assert wind["answer"].startswith("From “Offshore Wind in the Baltic”")
    finally:
        assert cli("index", ["remove", "licence"], data).returncode == 0


def test_a_damaged_library_file_does_not_stop_the_main_article(library):
    data, _ = library
    listing = data / "library" / "library.json"
    good = listing.read_text("utf-8")
    listing.write_text("{not json", encoding="utf-8")
    try:
        out = cli("assistant", ["ask", "--json", "Who wrote the article?"], data)
        assert out.returncode == 0, out.stderr
        assert "Ihor Petrenko" in out.stdout
        assert "answering from the main article only" in out.stderr
        assert "library.json is damaged" in out.stderr
    finally:
        listing.write_text(good, encoding="utf-8")


def test_list_shows_main_and_added_articles(library):
    data, _ = library
    out = cli("index", ["list"], data)
    assert out.returncode == 0
    ids = [line.split("\t")[0] for line in out.stdout.splitlines()]
    assert ids == ["reverse-kissinger", "baltic-wind"]


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("reverse-kissinger.md", "# Same id\n\nA paragraph.", "is the main article's"),
    ("baltic-wind.md", "# Other\n\nDifferent text.", "already added"),
    ("broken.md", b"\xff\xfe not utf-8", "not valid UTF-8"),
    ("notes.pdf", "x", "unsupported article type"),
])
def test_bad_adds_are_one_line_and_change_nothing(library, tmp_path, name, content, needle):
    data, _ = library
    before = (data / "library" / "library.json").read_text()
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = cli("index", ["add", str(path)], data)
    assert out.returncode == 2 and needle in out.stderr and "Traceback" not in out.stderr
    assert (data / "library" / "library.json").read_text() == before


def test_remove_unknown_is_an_error(library):
    data, _ = library
    out = cli("index", ["remove", "nope"], data)
    assert out.returncode == 2 and "no added article 'nope' (added: baltic-wind)" in out.stderr


def test_remove_takes_it_out_of_answers(library):
    data, _ = library
    assert cli("index", ["remove", "baltic-wind"], data).returncode == 0
    assert not (data / "indexes" / "baltic-wind").exists()
    answer = ask("Where was the first offshore wind farm built?", data)
    assert all(c["article"] == "reverse-kissinger" for c in answer["citations"])


def test_only_answers_from_the_article_it_names(two_articles, article):
    """`Assistant.only(id)` (the chat API's `model` field): that article alone answers."""
    from source.errors import InputError

    wind_question = "Where was the first offshore wind farm built?"
    assert two_articles.ask(wind_question).citations[0].article == "baltic-wind"
    main = two_articles.only("reverse-kissinger")
    assert list(main.articles) == ["reverse-kissinger"]
    refused = main.ask(wind_question)
    assert refused.refused and article.title in refused.answer
    wind = two_articles.only("baltic-wind")
    clash = wind.ask("On which island did Soviet and Chinese troops clash?")
    assert clash.refused and "Offshore Wind in the Baltic" in clash.answer
    assert {c.article for c in wind.ask(wind_question).citations} == {"baltic-wind"}
    with pytest.raises(InputError, match="no article 'nope'"):
        two_articles.only("nope")


def test_an_error_line_names_at_most_ten_articles():
    """A library of 1,000 articles must not make a 1,000-name error line."""
    from source.text import some_of

    ids = [f"a{i}" for i in range(12)]
    assert some_of(ids) == "a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 and 2 more"
    assert some_of(ids[:3]) == "a0, a1, a2" and some_of([]) == "none"


def test_the_assistant_names_its_articles_boundedly_for_an_unknown_one():
    from source.errors import InputError
    from tests.fakes import fake_assistant

    with pytest.raises(InputError, match=r"^no article 'nope'; the indexed ones are: bees$"):
        fake_assistant().only("nope")
