"""The cleaner: chrome gone, article structure kept, offsets exact, other formats too."""

import pytest

from source import ArticleError, load_article, parse_article
from source.markdown import read_markdown

CHROME = ["Menu", "Getty Images", "Similar articles", "cookies", "Cookie Policy",
          "Outdated Browser", "Google Chrome", "Mozilla Firefox", "Microsoft Edge", "67.15%",
          "9.6%", "Windows", "Mac OS", "Linux", "браузер", "Ваш"]


@pytest.mark.parametrize("chrome", CHROME)
def test_page_chrome_is_gone(article, chrome):
    assert chrome.lower() not in article.text.lower()


def test_no_cyrillic_left(article):
    assert not any("\u0400" <= ch <= "\u04ff" for ch in article.text)


def test_title_author_and_byline(article):
    assert article.title.startswith("Could Trump “Turn” Russia Away from China")
    assert article.title.endswith("Pay for It?")
    assert article.author == "Ihor Petrenko"
    assert article.byline.startswith("Ihor Petrenko, founder of the “United Ukraine” Think Tank")
    assert article.blocks[0].kind == "title" and article.blocks[-1].kind == "byline"


def test_all_section_headings_kept_in_order(article):
    assert article.headings == [
        "Geopolitical Temptation or Dangerous Illusion?",
        "Why Kissinger Could Do It, but Trump Is Unlikely to",
        "Is a Rapprochement Between Russia and the United States Possible?",
        "What Trump Wants from Putin - and What He won't Get",
        "Who Stands to Gain the Most?",
        "Ukraine as a Bargaining Chip?",
        "Risks for Europe",
    ]


def test_list_items_kept_with_markers(article):
    items = [b for b in article.blocks if b.kind == "list_item"]
    assert len(items) == 4 + 5 + 4 + 3 + 5
    assert [b.marker for b in items if b.marker[0].isdigit()] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    texts = [article.block_text(b) for b in items]
    # Items whose bullet the scrape lost are still items, not paragraphs.
    assert any(t.startswith("deepen the split in the EU.") for t in texts)
    assert any(t.startswith("push Ukraine off the European agenda.") for t in texts)
    for b in items:  # the marker is in the text, just before the item, never inside it
        assert article.text[b.start - len(b.marker): b.start] == b.marker


def test_block_offsets_are_exact_and_ordered(article):
    previous_end = -1
    for b in article.blocks:
        text = article.block_text(b)
        assert text == text.strip() and text
        assert b.start > previous_end
        previous_end = b.end
    assert article.text.count("\n\n") == len(article.blocks) - 1


def test_sections_follow_headings(article):
    by_text = {article.block_text(b): b.section for b in article.blocks}
    zhengbao = next(t for t in by_text if "Zhengbao" in t)
    assert by_text[zhengbao] == "Why Kissinger Could Do It, but Trump Is Unlikely to"
    assert article.blocks[1].section is None


def test_cleaning_is_deterministic(article):
    again = load_article()
    assert again.text == article.text and again.content_hash == article.content_hash


def test_nbsp_and_spacing_normalised(article):
    assert "\u00a0" not in article.text and "  " not in article.text
    assert "popular again in 2021 after the publication" in article.text


def test_plain_article_without_chrome_is_kept_whole():
    raw = (b"A Short Title\n\nFirst paragraph has two sentences. Here is the second.\n\n"
           b"Second paragraph, hard-wrapped\nacross two lines.\n")
    a = parse_article(raw, "plain")
    assert a.title == "A Short Title"
    assert "Second paragraph, hard-wrapped across two lines." in a.text
    assert [b.kind for b in a.blocks] == ["title", "paragraph", "paragraph"]


def test_markdown_article(tmp_path):
    path = tmp_path / "essay.md"
    path.write_text("# The Title\n\nIntro with **bold** and a [link](http://x.test).\n\n"
                    "## A Section\n\n- first item\n- second item\n\n1. one\n2. two\n",
                    encoding="utf-8")
    a = load_article(path)
    assert a.title == "The Title" and a.article_id == "essay"
    assert "Intro with bold and a link." in a.text
    kinds = [(b.kind, b.marker, a.block_text(b), b.section) for b in a.blocks]
    assert ("heading", "", "A Section", "A Section") in kinds
    assert ("list_item", "- ", "first item", "A Section") in kinds
    assert ("list_item", "2. ", "two", "A Section") in kinds


def test_markdown_reader_keeps_order():
    blocks, _ = read_markdown("# T\n\npara one\n\n## H\n\npara two\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("title", "T"), ("paragraph", "para one"), ("heading", "H"), ("paragraph", "para two")]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "no article text"),
    (b"   \n\n  \n", "no article text"),
    (b"Menu\nBy\nSource: Getty Images\n", "no article text"),
    (b"caf\xe9 au lait is good.\n", "not valid UTF-8"),
    (b"\x00\x01\x02binary", "binary"),
])
def test_bad_article_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleError, match=message):
        load_article(path)


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(ArticleError, match="no such article file"):
        load_article(tmp_path / "nope.txt")
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    with pytest.raises(ArticleError, match="unsupported article type"):
        load_article(tmp_path / "a.pdf")


def test_plain_text_layout_underlines_boxes_and_lettered_lists():
    """Plain-text documents (licences, READMEs) mark headings with a rule under them, draw
    boxes of '*' around text, and letter their sub-items: the reader keeps the words and
    the structure, never the decoration."""
    from source import parse_article

    box = "*" * 30
    raw = ("Some Licence\n============\n\n1. Definitions\n--------------\n\n"
           "You may copy it, provided that:\n\n(a) you keep this notice; and\n\n"
           "(b) you say what you changed.\n\n"
           f"{box}\n*  No warranty is given.    *\n*  Use it at your own risk. *\n{box}\n")
    article = parse_article(raw.encode(), "licence")
    kinds = [(b.kind, article.block_text(b)) for b in article.blocks]
    assert kinds == [
        ("title", "Some Licence"), ("heading", "1. Definitions"),
        ("paragraph", "You may copy it, provided that:"),
        ("list_item", "you keep this notice; and"), ("list_item", "you say what you changed."),
        ("paragraph", "No warranty is given. Use it at your own risk.")]
    assert "*" not in article.text and "===" not in article.text


def _kinds(raw: str) -> list[tuple[str, str]]:
    article = parse_article(raw.encode(), "terms")
    return [(b.kind, article.block_text(b)) for b in article.blocks]


DEFINITION = ('Some Terms\n\n1. Definitions\n\n"Outside Code" Means\n\n'
              "(a) code that we did not write; or\n\n(b) code under another licence.\n\n"
              "Key Risks\n\n- losing data;\n\n- losing time.\n")


def test_a_title_cased_line_that_goes_on_in_a_lower_case_list_is_prose():
    """'"Outside Code" Means' over '(a) code that …' looks like a heading but is the start
    of a sentence its items finish; a verbless heading over a lower-case list stays one."""
    kinds = _kinds(DEFINITION)
    assert ("paragraph", '"Outside Code" Means') in kinds
    assert ("heading", "Key Risks") in kinds


def test_a_reader_without_that_rule_fails_the_test_above(monkeypatch):
    import source.scraped as scraped

    monkeypatch.setattr(scraped, "FINITE", __import__("re").compile(r"(?!)"))
    assert ("heading", '"Outside Code" Means') in _kinds(DEFINITION)
