"""Helpers for the browser tests: Debian's Chromium driven by Playwright (never a
downloaded browser), and the few page actions every browser test needs."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
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
            timeout=60_000)
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
