"""UI rendering: markers to quotes, highlights at exact offsets, everything escaped."""

import html
import re

import pytest

import ui
from assistant.types import Answer, Citation
from source import parse_article


def cite_of(article, needle, n=1):
    start = article.text.index(needle)
    return Citation(n, needle, start, start + len(needle), None)


def test_markers_become_links_and_quotes_are_listed(article):
    c1 = cite_of(article, "Zhengbao", 1)
    c2 = cite_of(article, "$240 billion", 2)
    out = ui.render_answer(Answer("q", "Island “x” [1] and trade [2]", False, [c1, c2]))
    assert out.count('class="ata-cite"') == 4  # two markers, two list entries
    assert 'href="#ata-q-1"' in out and 'href="#ata-q-2"' in out
    assert "[1]" not in re.sub(r"<a[^>]*>\[\d\]</a>", "", out)  # no raw markers left
    assert "<ol" in out and html.unescape(ui.as_text("$240 billion")) == "$240 billion"


def test_refusal_has_no_sources():
    out = ui.render_answer(Answer("q", "The article doesn't say.", True, []))
    assert "ata-cite" not in out and "<ol" not in out and "doesn" in out


def test_highlight_text_equals_quote(article):
    cites = [cite_of(article, "armed clashes on the border island of Zhengbao", 1),
             cite_of(article, "Russia is an unreliable partner", 2)]
    page = ui.render_article(article, cites)
    marks = re.findall(r'<mark class="ata-q" id="ata-q-(\d)"[^>]*>(.*?)<sup>', page)
    assert [(int(n), html.unescape(t)) for n, t in marks] == [(c.id, c.quote) for c in cites]


def test_article_structure_rendered(article):
    page = ui.render_article(article)
    assert page.count("<h2>") == len(article.headings)
    assert page.startswith("<h1>") and page.count("<ol>") == 1 and "ata-byline" in page
    assert "<mark" not in page


@pytest.mark.parametrize("question", [
    "<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "**bold** _it_ [x](y)",
    "<b>x</b> & `code`"])
def test_user_text_is_inert(question):
    out = ui.as_text(question)
    assert "<" not in out and ">" not in out and "*" not in out and "[" not in out
    assert "`" not in out and "_" not in out
    assert html.unescape(out) == question


def test_article_html_is_escaped():
    article = parse_article(b"Title\n\nA <b>bold</b> claim & <script>x()</script> more.", "t")
    page = ui.render_article(article)
    assert "<b>" not in page and "<script>" not in page and "&lt;b&gt;" in page


def test_build_app_without_launching(assistant):
    demo = ui.build_app(assistant)
    assert demo.title == "Ask the article"
    assert any(getattr(fn, "api_name", None) == "ask" for fn in demo.fns.values())


def test_api_ask_turns_abusive_history_into_an_error_object(assistant):
    """Nested JSON once raised RecursionError in the server; a 4.8 MB message held a
    worker for minutes. Both are now refused before any work, as an error object."""
    demo = ui.build_app(assistant)
    ask = next(fn.fn for fn in demo.fns.values() if getattr(fn, "api_name", None) == "ask")
    nested = ask("Who wrote it?", "[" * 100_000 + "]" * 100_000)
    assert "nested too deeply" in nested["error"]
    huge = ask("Who wrote it?", '[{"role": "user", "content": "' + "x" * 4_800_000 + '"}]')
    assert "byte limit" in huge["error"]


def test_example_questions_come_from_the_article_itself():
    from source import parse_article
    from source.markdown import read_markdown

    doc = parse_article(b"# Bees\n\nText.\n\n## Why Do Hives Fail?\n\nMore.\n\n## Honey\n\nEnd.",
                        "bees", read_markdown)
    assert ui.example_questions(doc) == [
        "What is the main thesis?", "Why Do Hives Fail?",
        "What does the article say about “Honey”?", "Summarize the article in 3 points"]
