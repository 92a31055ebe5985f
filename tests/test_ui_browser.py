"""The running app: a real headless Chromium driven by Playwright, and the gradio_client API.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run); no browser is downloaded.
"""

import json

import pytest

from tests.browser import HANG_MS, ask, shoot

pytestmark = pytest.mark.slow


def test_chat_answers_highlights_and_follows_up(app_url, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    hosts, dialogs = set(), []
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(app_url)

    ask(page, "On which island did Soviet and Chinese troops clash?")
    page.wait_for_selector("#ata-article mark.ata-q", timeout=HANG_MS)
    assert "Zhengbao" in page.locator("#ata-chat").inner_text()
    marks = [m.inner_text() for m in page.locator("#ata-article mark.ata-q").all()]
    assert any("border island of Zhengbao" in m for m in marks)

    ask(page, "Why was China interested in that?")
    page.wait_for_function(
        "() => document.querySelectorAll('#ata-chat .ata-answer').length >= 2",
        timeout=HANG_MS)
    assert page.locator("#ata-article mark.ata-q").count() >= 1
    page.get_by_text("How this answer was found").click()
    trace = page.locator("#ata-trace").inner_text()
    # the follow-up was retrieved with the earlier question it leans on
    assert "Soviet and Chinese troops clash? Why was China interested in that?" in trace

    page.locator("#ata-chat a.ata-cite").last.click()
    page.wait_for_selector("#ata-article mark.ata-q.active", timeout=HANG_MS)
    shoot(page, "ui-answer.png")

    ask(page, "<script>alert(1)</script><img src=x onerror=alert(2)> **bold**")
    page.wait_for_function(
        "() => document.querySelector('#ata-chat').innerText.includes('<script>alert(1)')",
        timeout=HANG_MS)
    shoot(page, "ui-escaped.png", full_page=True)
    assert dialogs == []  # nothing the user typed ran
    assert hosts == {app_url.split("/")[2]}, hosts  # no request left the machine


def test_gradio_client_ask_endpoint(app_url, article):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    data = client.predict("On which island did Soviet and Chinese troops clash?", "[]",
                          api_name="/ask")
    data = json.loads(data) if isinstance(data, str) else data
    assert set(data) == {"question", "answer", "refused", "citations", "support",
                         "answerer", "premise_rejected", "timings_ms"}
    quote = next(c for c in data["citations"] if "Zhengbao" in c["quote"])
    assert article.text[quote["start"]:quote["end"]] == quote["quote"]
    error = client.predict("   ", "[]", api_name="/ask")
    error = json.loads(error) if isinstance(error, str) else error
    assert "empty" in error["error"]


CONCURRENT = [
    ("On which island did Soviet and Chinese troops clash?", "Zhengbao"),
    ("How much was trade between Moscow and Beijing worth in 2023?", "$240 billion"),
    ("Which pipeline project could China finalize?", "Power of Siberia 2"),
    ("Who wrote the article?", "Ihor Petrenko"),
    ("Which American company's investments in Russia failed?", "ExxonMobil"),
]


FOLLOW_UPS = [  # (the user's earlier question, what "Why?" after it must cite)
    ("Will Putin break his alliance with China?", "First, China is a stable source"),
    ("Would NATO be weakened if Washington negotiated with Moscow alone?",
     "coordinating role"),
]


def test_twenty_concurrent_api_users_get_their_own_answers(app_url, capsys):
    """20 clients at once, each with its own question and history: no cross-talk."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    def one(i: int) -> tuple[float, str, dict]:
        if i % 2:  # half ask a follow-up that only their own history can answer
            earlier, needle = FOLLOW_UPS[(i // 2) % len(FOLLOW_UPS)]
            question = "Why?"
        else:
            question, needle = CONCURRENT[(i // 2) % len(CONCURRENT)]
            earlier = f"user {i} asks first"
        history = json.dumps([{"role": "user", "content": earlier},
                              {"role": "assistant", "content": f"answer for user {i}"}])
        started = time.perf_counter()
        data = Client(app_url, verbose=False).predict(question, history, api_name="/ask")
        data = json.loads(data) if isinstance(data, str) else data
        return time.perf_counter() - started, needle, {**data, "sent": question}

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(one, range(20), timeout=300))
    wall = time.perf_counter() - started
    for _, needle, data in results:
        assert "error" not in data, data
        assert data["question"] == data["sent"]
        assert any(needle in c["quote"] for c in data["citations"]), (needle, data["answer"])
    latencies = sorted(r[0] for r in results)
    with capsys.disabled():
        print(f"\n20 concurrent users: {20 / wall:.2f} answers/s, "
              f"p50 {latencies[9]:.2f} s, p95 {latencies[18]:.2f} s, wall {wall:.1f} s")
