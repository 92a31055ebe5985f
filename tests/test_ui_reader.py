"""The app as a reader sees it in Chromium: the font, where a highlight lands, the layout at
desktop and phone widths, the outline, copying an answer, ?q= links, and more than one
article. Screenshots go to test-artifacts/ (the README shows copies from docs/)."""

import urllib.request
from io import BytesIO
from urllib.parse import quote, urljoin

import pytest

from tests.browser import HANG_MS, answers, ask, box_of, count_events, events_done, shoot
from webui.assets import FONT

pytestmark = pytest.mark.slow

DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}
ISLAND = "On which island did Soviet and Chinese troops clash?"

# The highlighted quote is inside the panel with at least a quarter of the panel's height
# of article after it (a scroll with block: "nearest" leaves it on the last line).
CENTRED = """() => {
  const m = document.querySelector("#ata-article mark.ata-q.active");
  if (!m) return false;
  const p = document.querySelector("#ata-article").getBoundingClientRect();
  const r = m.getBoundingClientRect();
  return r.top >= p.top && r.bottom <= p.bottom && p.bottom - r.bottom >= p.height / 4;
}"""


def test_highlighted_sentence_is_centred_with_context_after_it(app_url, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(app_url)
    ask(page, ISLAND)
    answers(page)
    page.wait_for_function(CENTRED, timeout=HANG_MS)
    mark = page.locator("#ata-article mark.ata-q.active")
    assert "border island of Zhengbao" in mark.inner_text()
    shoot(page, "ui-desktop.png")
    # clicking the marker again from a scrolled-away panel centres it again
    page.locator("#ata-article").evaluate("e => e.scrollTo(0, 0)")
    page.locator("#ata-chat a.ata-cite").first.click()
    page.wait_for_function(CENTRED, timeout=HANG_MS)


def test_a_marker_in_an_earlier_answer_highlights_that_answers_quote(app_url, browser):
    """Two answers, each with its own [1]: clicking the first answer's [1] after the second
    came lights the first answer's quote, not the newest answer's [1]."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(app_url)
    ask(page, ISLAND)
    answers(page)
    ask(page, "How large was trade between Russia and China in 2023?")
    answers(page, 2)
    page.locator("#ata-chat .ata-answer").first.locator("a.ata-cite").first.click()
    page.wait_for_function(CENTRED, timeout=HANG_MS)
    lit = page.locator("#ata-article mark.ata-q.active").inner_text()
    assert "border island of Zhengbao" in lit


def test_answer_is_laid_out_for_a_reader(app_url, browser, assistant):
    """Framing line, then each quote exactly as a block quote with [n] and section; the
    [n] is the only number (no "1. [1]")."""
    page = browser.new_page(viewport=DESKTOP)
    page.goto(app_url)
    ask(page, ISLAND)
    answers(page)
    expected = assistant.ask(ISLAND)
    quotes = page.locator("#ata-chat .ata-answer blockquote.ata-quote .ata-qt")
    assert quotes.count() == len(expected.citations)
    for shown, c in zip(quotes.all(), expected.citations, strict=True):
        assert shown.inner_text() == c.quote
        assert shown.evaluate("e => e.nextElementSibling.textContent") == f"[{c.id}]"
        block = shown.locator("xpath=ancestor::blockquote[1]")
        assert block.locator("footer").inner_text() == c.section
        assert shown.evaluate("e => e.closest('ol') === null")


def test_columns_are_as_tall_as_each_other(app_url, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(app_url)
    page.wait_for_selector("#ata-article h2")
    chat, panel = box_of(page, "#ata-chat-col"), box_of(page, "#ata-article")
    outline = box_of(page, "#ata-outline")
    assert abs(panel["top"] - chat["top"]) <= 2 and abs(panel["bottom"] - chat["bottom"]) <= 2
    assert abs(outline["bottom"] - chat["bottom"]) <= 2
    assert outline["right"] <= chat["left"] and chat["right"] <= panel["left"]  # side by side


@pytest.mark.parametrize("width", [PHONE["width"], 640])
def test_narrow_window_stacks_chat_above_the_article(app_url, browser, width):
    """On a phone (or a narrow window) the columns stack, each full width, nothing
    overflows sideways, and an answer does not scroll the page away from the chat."""
    page = browser.new_page(viewport={**PHONE, "width": width})
    page.goto(app_url)
    ask(page, ISLAND)
    answers(page)
    page.wait_for_selector("#ata-article mark.ata-q.active")
    chat, panel = box_of(page, "#ata-chat-col"), box_of(page, "#ata-article")
    assert panel["top"] >= chat["bottom"]
    for selector in ("#ata-chat-col", "#ata-article", "#ata-outline"):
        rect = box_of(page, selector)
        assert rect["left"] >= 0 and rect["right"] <= width, selector
        assert rect["width"] >= width - 80, selector  # one column, not two squeezed
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    answer = box_of(page, "#ata-chat .ata-answer")
    assert answer["bottom"] > 0 and answer["top"] < PHONE["height"]  # still in view
    if width == PHONE["width"]:
        shoot(page, "ui-phone.png", full_page=True)


def served_fonts(page):
    """{(family, weight): url} of every @font-face rule on the page."""
    return {(r["family"].strip("'\""), r["weight"]): r["url"] for r in page.evaluate("""() =>
      [...document.styleSheets].flatMap((s) => { try { return [...s.cssRules]; }
                                                  catch (e) { return []; } })
        .filter((r) => r instanceof CSSFontFaceRule)
        .map((r) => ({family: r.style.getPropertyValue("font-family"),
                      weight: r.style.getPropertyValue("font-weight"),
                      url: new URL(r.style.getPropertyValue("src").match(/url\\("?([^")]+)/)[1],
                                   r.parentStyleSheet.href || location.href).href}))""")}


def platform_fonts(cdp, root, selector):
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    assert node, selector
    return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


BOLD = ["#ata-ask", ".prose h3", "#ata-article h2", "#ata-outline .ata-o-title a",
        "#ata-trace b", ".ata-answer .ata-label"]


def test_bold_text_is_drawn_from_the_apps_own_font(app_url, browser):
    """Every bold word ("Ask", headings, "Answered by") is drawn from the app's font, with
    no fallback glyph: Chromium reports the fonts it used for each element's text, and the
    font files the page loads cover every character the page shows."""
    from fontTools.ttLib import TTFont

    page = browser.new_page(viewport=DESKTOP)
    page.goto(app_url)
    ask(page, ISLAND)
    answers(page)
    page.get_by_text("How this answer was found").click()
    page.wait_for_selector("#ata-trace b")
    page.evaluate("document.fonts.ready")
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    for selector in [s for s in BOLD if page.locator(s).count()]:
        style = page.locator(selector).first.evaluate(
            "e => [getComputedStyle(e).fontFamily, Number(getComputedStyle(e).fontWeight)]")
        assert style[0].startswith(f'"{FONT}"') and style[1] >= 600, (selector, style)
        used = platform_fonts(cdp, root, selector)
        assert used and all(f["isCustomFont"] for f in used), (selector, used)
    shown = {ch for ch in page.evaluate("document.body.innerText") if not ch.isspace()}
    faces = {k: v for k, v in served_fonts(page).items() if k[0] == FONT}
    assert {w for _, w in faces} >= {"400", "700"}, faces
    for (_, weight), url in faces.items():
        assert url.startswith(app_url)  # served by the app itself
        cmap = TTFont(BytesIO(urllib.request.urlopen(url, timeout=30).read())).getBestCmap()
        assert sorted(ch for ch in shown if ord(ch) not in cmap) == [], weight


def test_outline_navigates_and_asks_about_a_section(app_url, browser, article):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(app_url)
    heading = article.headings[-1]
    link = page.locator("#ata-outline").get_by_role("link", name=heading, exact=True)
    link.click()
    target = page.locator("#ata-article h2", has_text=heading)
    page.wait_for_function(
        """(text) => { const h = [...document.querySelectorAll("#ata-article h2")]
                          .find((e) => e.textContent === text);
                       const p = document.querySelector("#ata-article").getBoundingClientRect();
                       const t = h.getBoundingClientRect().top - p.top;
                       return h.classList.contains("active") && t >= 0 && t < 40; }""",
        arg=heading, timeout=HANG_MS)
    assert target.is_visible()
    link.locator("xpath=following-sibling::button[1]").click()
    answers(page)
    import ui

    assert ui.question_about(heading) in page.locator("#ata-chat").inner_text()
    page.wait_for_selector("#ata-article mark.ata-q")


def test_copy_as_markdown_has_every_quote_exactly(app_url, browser, assistant, article):
    question = "What could the United States gain?"
    context = browser.new_context(viewport=DESKTOP)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url[:-1])
    page = context.new_page()
    page.goto(app_url)
    ask(page, question)
    answers(page)
    page.locator("#ata-chat button.ata-copy").last.click()
    page.wait_for_function("() => document.querySelector('button.ata-copy').textContent "
                           "=== 'Copied'", timeout=HANG_MS)
    md = page.evaluate("navigator.clipboard.readText()")
    expected = assistant.ask(question)
    assert expected.citations and md.startswith(f"**Q:** {question}\n")
    for c in expected.citations:
        assert article.text[c.start:c.end] == c.quote
        assert f"> {c.quote}\n" in md
        assert f"— [{c.id}] *{c.section}*, characters {c.start}–{c.end}" in md
    context.close()


def test_a_link_with_q_asks_that_question(app_url, browser):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{app_url}?q={quote(ISLAND)}")
    answers(page)
    assert ISLAND in page.locator("#ata-chat").inner_text()
    assert "Zhengbao" in page.locator("#ata-article mark.ata-q").first.inner_text()
    link = page.locator("#ata-chat a.ata-link").first.get_attribute("href")
    again = browser.new_page(viewport=DESKTOP)
    again.goto(urljoin(app_url, link))  # the answer's own link asks it again
    answers(again)
    assert ISLAND in again.locator("#ata-chat").inner_text()
    plain = browser.new_page(viewport=DESKTOP)
    count_events(plain)
    plain.goto(app_url)  # without ?q= nothing is asked
    assert events_done(plain, 1) == 1  # the page's load event has finished, and no other
    assert plain.locator("#ata-chat .message-row").count() == 0


@pytest.fixture(scope="module")
def library(two_articles):
    """The app over the bundled article and a second one (conftest's "baltic-wind")."""
    from tests.browser import serve

    url, demo = serve(two_articles)
    yield url, two_articles, two_articles.articles["baltic-wind"]
    demo.close()


def shown_article(page):
    return page.locator("#ata-article article.ata-doc").get_attribute("data-article")


def test_a_second_articles_quote_is_highlighted_in_its_own_text(library, browser, article):
    url, assistant, wind = library
    page = browser.new_page(viewport=DESKTOP)
    page.goto(url)
    picker = page.locator("#ata-picker")
    for title in (article.title, wind.title):
        picker.get_by_label(title, exact=True).wait_for()
    assert shown_article(page) == article.article_id

    question = "Where was the first offshore wind farm built?"
    ask(page, question)
    answers(page)
    expected = assistant.ask(question)
    cited = [c for c in expected.citations if c.article == wind.article_id]
    assert cited and any("Vindeby" in c.quote for c in cited)
    page.wait_for_function(f"() => document.querySelector('#ata-article article')"
                           f".dataset.article === '{wind.article_id}'", timeout=HANG_MS)
    marks = page.locator("#ata-article mark.ata-q")
    assert [m.evaluate("e => e.firstChild.textContent") for m in marks.all()] == \
        [c.quote for c in cited]
    assert picker.get_by_label(wind.title, exact=True).is_checked()
    assert wind.title in page.locator("#ata-chat .ata-answer").last.inner_text()
    assert wind.title in page.locator("#ata-outline .ata-o-title").inner_text()
    examples = page.locator("#ata-examples").inner_text()
    assert "Why the Baltic suits wind" in examples and article.headings[0] not in examples
    shoot(page, "ui-two-articles.png")

    ask(page, ISLAND)  # back to the main article, highlighted in its own text
    answers(page, 2)
    page.wait_for_function(f"() => document.querySelector('#ata-article article')"
                           f".dataset.article === '{article.article_id}'", timeout=HANG_MS)
    assert "Zhengbao" in page.locator("#ata-article mark.ata-q").first.inner_text()


def test_the_picker_shows_an_article_with_its_own_outline_and_examples(library, browser,
                                                                      article):
    url, _, wind = library
    page = browser.new_page(viewport=DESKTOP)
    page.goto(url)
    page.locator("#ata-picker").get_by_label(wind.title, exact=True).check()
    page.wait_for_function(f"() => document.querySelector('#ata-article article')"
                           f".dataset.article === '{wind.article_id}'", timeout=HANG_MS)
    assert "Vindeby" in page.locator("#ata-article").inner_text()
    outline = page.locator("#ata-outline").inner_text()
    assert wind.title in outline and "Why the Baltic suits wind" in outline
    assert article.headings[0] not in page.locator("#ata-examples").inner_text()


def test_a_refusal_names_only_articles_the_reader_can_open(library, browser):
    url, assistant, _ = library
    page = browser.new_page(viewport=DESKTOP)
    page.goto(url)
    ask(page, "How do I bake sourdough bread?")
    answers(page)
    refusal = page.locator("#ata-chat .ata-refusal").inner_text()
    titles = [a.title for a in assistant.articles.values()]
    choices = page.locator("#ata-picker label").all_inner_texts()
    assert all(t in refusal for t in titles) and sorted(choices) == sorted(titles)
