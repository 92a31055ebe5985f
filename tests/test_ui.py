"""UI rendering: markers to quotes, highlights at exact offsets, everything escaped."""

import html
import re

import pytest

import ui
from assistant.types import Answer, Citation
from source import parse_article
from source.markdown import read_markdown
from webui.answer import layout
from webui.outline import outline


def slice_of(article, needle):
    start = article.text.index(needle)
    return needle, start, start + len(needle)


def cite_of(article, needle, n=1):
    return Citation(n, *slice_of(article, needle), None)


def test_a_quote_the_answer_names_is_a_block_quote_with_its_marker_and_section(article):
    """The reader sees the framing line, then the exact quote as a block quote with [n] and
    its section; the [n] is never numbered a second time by a list around it."""
    c1 = cite_of(article, "armed clashes on the border island of Zhengbao", 1)
    c1 = Citation(1, c1.quote, c1.start, c1.end, "Some section")
    out = ui.render_answer(Answer("q", f"The article says: “{c1.quote}” [1]", False, [c1]))
    shown = re.search(r'<p>([^<]*)</p><blockquote class="ata-quote"><p><span class="ata-qt">'
                      r'([^<]*)</span> <a class="ata-cite" href="#ata-q-main-\d+-\d+">\[1\]</a>'
                      r"</p>"
                      r"<footer><cite>([^<]*)</cite></footer></blockquote>", out)
    assert [html.unescape(g) for g in shown.groups()] == [
        "The article says:", article.text[c1.start:c1.end], "Some section"]
    assert "<ol" not in out and out.count("[1]") == 1  # once, not "1. [1]"


def test_list_answers_are_lists_of_block_quotes(article):
    cites = [cite_of(article, "Weaken NATO", 1), cite_of(article, "demoralize Eastern Europe", 2)]
    text = "The article lists two points:\n- “Weaken NATO” [1]\n- “demoralize Eastern Europe” [2]"
    lines, unquoted = layout(Answer("q", text, False, cites))
    assert [(line.bullet, [p.cite.id if p.cite else p.text for p in line.pieces])
            for line in lines] == [("", ["The article lists two points:"]), ("ul", [1]),
                                   ("ul", [2])]
    assert unquoted == []
    out = ui.render_answer(Answer("q", text, False, cites))
    assert re.search(r'<ul class="ata-points">(<li><blockquote class="ata-quote">.*?'
                     r"</blockquote></li>){2}</ul>", out)


def test_quotes_run_together_in_one_block_quote_with_their_section_once(article):
    cites = [Citation(n, *slice_of(article, q), "Risks")
             for n, q in ((1, "Weaken NATO"), (2, "demoralize Eastern Europe"))]
    out = ui.render_answer(Answer("q", "- “Weaken NATO” [1] “demoralize Eastern Europe” [2]",
                                  False, cites))
    block = re.findall(r'<blockquote class="ata-quote">(.*?)</blockquote>', out)
    assert len(block) == 1 and block[0].count("<cite>Risks</cite>") == 1
    assert [html.unescape(q) for q in re.findall(r'<span class="ata-qt">(.*?)</span>', out)] \
        == [c.quote for c in cites]


def test_paraphrased_citations_are_quoted_after_the_answer(article):
    """A model's own words cite by number only; every quote is still shown exactly."""
    c1 = cite_of(article, "Zhengbao", 1)
    c2 = cite_of(article, "$240 billion", 2)
    out = ui.render_answer(Answer("q", "Island “x” [1] and trade [2]", False, [c1, c2]))
    assert out.count('class="ata-cite"') == 4  # two markers, two quotes
    assert f'href="#ata-q-main-{c1.start}-{c1.end}">[1]' in out
    assert f'href="#ata-q-main-{c2.start}-{c2.end}">[2]' in out
    assert "[1]" not in re.sub(r"<a[^>]*>\[\d\]</a>", "", out.split("<pre")[0])
    sources = out.split('class="ata-sources"')[1]
    assert [html.unescape(q) for q in re.findall(r'<span class="ata-qt">(.*?)</span>',
                                                 sources)] == ["Zhengbao", "$240 billion"]
    assert html.unescape(ui.as_text("$240 billion")) == "$240 billion"


def test_a_quote_in_other_words_than_the_citation_is_not_taken_for_it(article):
    """Only the citation's exact text makes a block quote; a near miss stays prose."""
    c1 = cite_of(article, "Zhengbao", 1)
    lines, unquoted = layout(Answer("q", "It says “Zhengbao island” [1]", False, [c1]))
    assert [p.cite for p in lines[0].pieces] == [None] and unquoted == [c1]


def test_markdown_copy_has_every_quote_exactly_with_section_and_offsets(article):
    cites = [Citation(1, *slice_of(article, "Weaken NATO"), "Risks"),
             Citation(2, *slice_of(article, "$240 billion"), None, "other-doc")]
    text = "Two points:\n- “Weaken NATO” [1]\n- “$240 billion” [2]"
    md = ui.answer_markdown(Answer("Why?", text, False, cites), {"other-doc": "Other Doc"})
    assert md == ("**Q:** Why?\n\nTwo points:\n\n"
                  f"- > Weaken NATO\n  >\n  > — [1] *Risks*, characters {cites[0].start}–"
                  f"{cites[0].end}\n"
                  f"- > $240 billion\n  >\n  > — [2] characters {cites[1].start}–"
                  f"{cites[1].end}, of “Other Doc”\n")
    for c in cites:
        assert f"> {article.text[c.start:c.end]}\n" in md


def test_answer_carries_its_markdown_and_a_link_that_asks_again(article):
    c1 = cite_of(article, "Zhengbao", 1)
    answer = Answer("Où & why?", "The article says: “Zhengbao” [1]", False, [c1])
    out = ui.render_answer(answer)
    assert 'href="?q=O%C3%B9%20%26%20why%3F"' in out
    pre = re.search(r'<pre class="ata-md" hidden>(.*?)</pre>', out).group(1)
    assert "\n" not in pre and html.unescape(pre) == ui.answer_markdown(answer)


def test_refusal_has_no_sources():
    out = ui.render_answer(Answer("q", "The article doesn't say.", True, []))
    assert "ata-cite" not in out and "<ol" not in out and "doesn" in out


def test_highlight_text_equals_quote(article):
    cites = [cite_of(article, "armed clashes on the border island of Zhengbao", 1),
             cite_of(article, "Russia is an unreliable partner", 2)]
    page = ui.render_article(article, cites)
    marks = re.findall(r'<mark class="ata-q" id="ata-q-main-\d+-\d+" data-cite="(\d)">'
                       r"(.*?)<sup>", page)
    assert [(int(n), html.unescape(t)) for n, t in marks] == [(c.id, c.quote) for c in cites]


def test_an_earlier_answers_marker_finds_its_own_quote(article):
    """Answer 1 cited the island as [1], answer 2 cites the trade figure as [1]: each [1]
    links to its own answer's quote, and the panel holds both (the earlier one unlit)."""
    island, trade = cite_of(article, "Zhengbao", 1), cite_of(article, "$240 billion", 1)
    first = ui.render_answer(Answer("q1", "“Zhengbao” [1]", False, [island]))
    second = ui.render_answer(Answer("q2", "“$240 billion” [1]", False, [trade]))
    target = re.search(r'class="ata-cite" href="#([^"]+)"', first)[1]
    assert target != re.search(r'class="ata-cite" href="#([^"]+)"', second)[1]
    page = ui.render_article(article, [trade], earlier=[island])
    mark = re.search(rf'<mark class="ata-q ata-earlier" id="{target}">(.*?)</mark>', page)
    assert mark and html.unescape(mark[1]) == "Zhengbao"
    assert page.count("<sup>") == 1  # only the latest answer is numbered


def test_ids_by_number_alone_fail_the_test_above(article, monkeypatch):
    import webui.answer

    monkeypatch.setattr(webui.answer, "quote_id", lambda c: f"ata-q-{c.id}")
    island, trade = cite_of(article, "Zhengbao", 1), cite_of(article, "$240 billion", 1)
    first = ui.render_answer(Answer("q1", "“Zhengbao” [1]", False, [island]))
    second = ui.render_answer(Answer("q2", "“$240 billion” [1]", False, [trade]))
    assert (re.search(r'href="#([^"]+)"', first)[1] == re.search(r'href="#([^"]+)"', second)[1])


def test_article_structure_rendered(article):
    page = ui.render_article(article)
    assert len(re.findall(r"<h2 id=", page)) == len(article.headings)
    assert "\n<h1 id=" in page and page.count("<ol>") == 1 and "ata-byline" in page
    assert "<mark" not in page
    ids = re.findall(r' id="(ata-b-\d+)"', page)
    assert len(ids) == len(set(ids)) == len(article.blocks)


def test_a_citation_of_another_article_is_not_marked_in_this_one(article):
    here = cite_of(article, "Zhengbao", 1)
    there = Citation(2, "x", here.start, here.end, None, "other-doc")
    page = ui.render_article(article, [there])
    assert "<mark" not in page
    assert "<mark" in ui.render_article(article, [here])


def test_outline_has_title_sections_and_list_items_linked_into_the_article(article):
    entries = outline(article)
    headings = [e.label for e in entries if e.depth == 1]
    assert entries[0].label == article.title and headings == article.headings
    items = [b for b in article.blocks if b.kind == "list_item"]
    assert len([e for e in entries if e.depth == 2]) == len(items)
    page, nav = ui.render_article(article), ui.render_outline(article)
    targets = re.findall(r'<a class="ata-go" href="#(ata-b-\d+)">', nav)
    assert len(targets) == len(entries) and all(f' id="{t}"' in page for t in targets)
    asks = [html.unescape(v) for v in re.findall(r'class="ata-ask-about" value="([^"]*)"', nav)]
    assert asks == [ui.example_questions(article)[0],
                    *[ui.question_about(h) for h in article.headings]]


def test_outline_of_an_article_without_headings_or_lists():
    doc = parse_article(b"# Only a Title\n\nOne paragraph.", "bare", read_markdown)
    nav = ui.render_outline(doc)
    assert "Only a Title" in nav and "ata-o-sections" not in nav and nav.endswith("</nav>")


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


@pytest.mark.slow
def test_build_app_without_launching(assistant):
    demo = ui.build_app(assistant)
    assert demo.title == "Ask the article"
    assert any(getattr(fn, "api_name", None) == "ask" for fn in demo.fns.values())


@pytest.mark.slow
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
    doc = parse_article(b"# Bees\n\nText.\n\n## Why Do Hives Fail?\n\nMore.\n\n## Honey\n\nEnd.",
                        "bees", read_markdown)
    assert ui.example_questions(doc) == [
        "What is the main thesis?", "Why Do Hives Fail?",
        "What does the article say about “Honey”?", "Summarize the article in 3 points"]


def ui_strings() -> list[str]:
    """Every string literal of the web app's code: labels, framing words, scripts, styles."""
    import ast
    from pathlib import Path

    root = Path(ui.__file__).parent
    return [node.value for path in [root / "ui.py", *sorted((root / "webui").glob("*.py"))]
            for node in ast.walk(ast.parse(path.read_text("utf-8")))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_the_app_font_covers_every_character_the_app_shows(article):
    """The served font files have a glyph for every character of the UI's strings and of
    the articles it is tested with, in every weight; Gradio's default 600 weight (the file
    that drew only the capital A of bold words) does not, and the check says so."""
    from pathlib import Path

    from fontTools.ttLib import TTFont
    from gradio.themes.utils.fonts import font_file_path

    from source import load_article
    from webui.assets import FONT, WEIGHTS

    documents = sorted((Path(ui.__file__).parent / "eval" / "documents").glob("*.txt"))
    texts = [*ui_strings(), article.text, *(load_article(p).text for p in documents)]
    used = {ch for text in texts for ch in text if ch.isprintable() and not ch.isspace()}

    def missing(weight: int) -> list[str]:
        cmap = TTFont(font_file_path(FONT, weight)).getBestCmap()
        return sorted(ch for ch in used if ord(ch) not in cmap)

    assert {"“", "—", "…", "·", "A"} <= used
    for weight in WEIGHTS:
        assert missing(weight) == [], weight
    assert "A" not in missing(600) and "a" in missing(600)  # the broken file, caught


def test_a_busy_port_is_one_line_before_anything_loads(tmp_path, capsys):
    """`python ui.py` on a taken port: one `error:` line, exit 2, and no index built (the
    port is checked before the models load, as the chat API does)."""
    from assistant.serving.api import bind

    with bind("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        assert ui.main(["--port", str(port), "--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: cannot serve on 127.0.0.1:{port}: Address already in use"]
    assert not (tmp_path / "d").exists()


def test_another_articles_quote_at_the_same_offsets_does_not_hide_an_earlier_one(article):
    """Spans are compared within the article shown: a latest quote of another article
    that happens to have the same offsets leaves this article's earlier quote marked."""
    island = cite_of(article, "Zhengbao", 1)
    foreign = Citation(1, "x", island.start, island.end, None, "other-article")
    page = ui.render_article(article, [foreign], earlier=[island])
    assert re.search(r'<mark class="ata-q ata-earlier" id="[^"]+">Zhengbao</mark>', page)


def test_the_web_app_reads_its_own_env_vars_not_the_chat_apis(tmp_path, monkeypatch, capsys):
    """ATA_WEB_PORT is the web app's; the chat API's ATA_PORT never moves it. A bad value
    is one line naming the flag and the variable, before anything loads."""
    from assistant.serving.api import bind

    monkeypatch.setenv("ATA_PORT", "not a port")  # the chat API's: ignored here
    with bind("127.0.0.1", 0) as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("ATA_WEB_PORT", str(port))
        assert ui.main(["--data-dir", str(tmp_path / "d")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"error: cannot serve on 127.0.0.1:{port}: Address already in use"]
    monkeypatch.setenv("ATA_WEB_PORT", "70000")
    assert ui.main(["--data-dir", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(
        "error: bad setting port (flag --port or env ATA_WEB_PORT)")
    assert not (tmp_path / "d").exists()
