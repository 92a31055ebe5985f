"""Helpers for the browser tests: Debian's Chromium driven by Playwright (never a
downloaded browser), and the few page actions every browser test needs."""

import json
import re
import shutil
from pathlib import Path

import pytest

from webui.assets import SHOW_FIRST_QUOTE

CHROMIUM = "/usr/bin/chromium"
# Every wait is for something the page does (an element, a class, a count); this ceiling
# only ends a hung test, so no verdict depends on how fast the machine is.
HANG_MS = 60_000
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def launch_chromium(playwright_api):
    """A context manager yielding a headless Chromium, or a skip saying what is missing."""
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does)")
    return playwright_api.sync_playwright()


def serve(assistant):
    """The app for `assistant` on a free loopback port: (url, demo)."""
    import ui
    from tests.loopback import free_port

    port = free_port()
    demo = ui.build_app(assistant)
    ui.launch(demo, "127.0.0.1", port, block=False)
    return f"http://127.0.0.1:{port}/", demo


def ask(page, question):
    box = page.locator("#ata-question textarea")
    box.fill(question)
    box.press("Enter")


def answers(page, count=1):
    """Wait until the chat shows `count` finished answers (a screenshot if they never come)."""
    try:
        page.wait_for_function(
            f"() => document.querySelectorAll('#ata-chat .ata-answer').length >= {count}",
            timeout=HANG_MS)
    except Exception:
        shoot(page, "no-answer.png", full_page=True)
        raise


def shoot(page, name, **kwargs):
    """Screenshots go to test-artifacts/; the README's copies in docs/ are chosen from them."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **kwargs)


def box_of(page, selector):
    """The element's rectangle in the viewport."""
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); "
        "return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, "
        "width: r.width, height: r.height}; }")


# The app ends each of its events, the page's load event included, with SHOW_FIRST_QUOTE
# (ui.build_app: `.then(None, js=SHOW_FIRST_QUOTE)`), whose first act is one querySelector
# for the newest quote; it runs once the event's outputs are on the page. Counting those
# calls tells a test that the load event has finished, however long it took.
AFTER_EVENT = re.search(r'querySelector\("([^"]+)"\)', SHOW_FIRST_QUOTE).group(1)
COUNT_EVENTS = """(() => {
  const selector = SELECTOR, query = Document.prototype.querySelector;
  window.ataEventsDone = 0;
  Document.prototype.querySelector = function (s) {
    if (s === selector) window.ataEventsDone += 1;
    return query.call(this, s);
  };
})();""".replace("SELECTOR", json.dumps(AFTER_EVENT))


def count_events(page):
    """From the next navigation on, count the app's finished events (`events_done`)."""
    page.add_init_script(COUNT_EVENTS)


def events_done(page, count):
    """Wait until `count` of the app's events (the page's load first) have finished."""
    page.wait_for_function(f"() => window.ataEventsDone >= {count}", timeout=HANG_MS)
    return page.evaluate("window.ataEventsDone")
