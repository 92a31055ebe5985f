"""The Gradio app: a chat beside the article, with cited quotes highlighted in the source.

`build_app(assistant)` builds the page without starting anything; `main()` parses flags,
warms the assistant up (building the index if missing) and serves on loopback.
Per-user chat history lives in `gr.State`; this module keeps no mutable globals.
"""

from __future__ import annotations

import argparse
import html
import logging
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from assistant.chain import Assistant, Result
from assistant.citations import MARKER
from assistant.history import load_json, parse_history
from assistant.settings import load_settings
from assistant.types import Answer, Citation, Message
from source.article import Article
from source.errors import AppError

log = logging.getLogger("ui")

def example_questions(article: Any, limit: int = 4) -> list[str]:
    """Questions any article invites, from its own structure: its thesis, its headings
    (a heading that is a question is asked as it is), and a summary."""
    out = ["What is the main thesis?"]
    for heading in article.headings:
        text = " ".join(heading.split()).rstrip(":.")
        out.append(text if text.endswith("?") else f"What does the article say about "
                                                     f"“{text}”?")
        if len(out) >= limit - 1:
            break
    out.append("Summarize the article in 3 points")
    return out[:limit]

# Every character HTML or Markdown gives a meaning to, as a numeric entity: inert in both.
_INERT = {ord(ch): f"&#{ord(ch)};" for ch in "&<>\"'\\`*_{}[]()#+-.!|~=$:"}

# Clicking a citation marker or a quote highlights and scrolls to it in the article.
HEAD = """<script>
document.addEventListener("click", (ev) => {
  const link = ev.target.closest("a.ata-cite");
  if (!link) return;
  ev.preventDefault();
  const mark = document.getElementById(link.getAttribute("href").slice(1));
  if (!mark) return;
  document.querySelectorAll("mark.ata-q.active").forEach((m) => m.classList.remove("active"));
  mark.classList.add("active");
  mark.scrollIntoView({behavior: "smooth", block: "nearest"});
});
</script>"""
CSS = """
#ata-article { max-height: 700px; overflow-y: auto !important; line-height: 1.55; }
#ata-article h1 { font-size: 1.35em; } #ata-article h2 { font-size: 1.1em; margin-top: 1.2em; }
mark.ata-q { background: #fff1a8; padding: 0 .1em; }
mark.ata-q.active { background: #ffc94d; outline: 2px solid #e0a000; }
mark.ata-q sup { color: #805b00; font-weight: 600; }
.ata-byline { font-style: italic; }
"""
SCROLL_TO_FIRST = """() => {
  const m = document.querySelector("#ata-article mark.ata-q");
  if (m) m.scrollIntoView({behavior: "smooth", block: "nearest"});
}"""


def as_text(text: str) -> str:
    """User or article text made inert for the chat's Markdown+HTML renderer."""
    return text.translate(_INERT)


def render_answer(answer: Answer, titles: dict[str, str] | None = None) -> str:
    """The answer with clickable [n] markers, then its numbered quotes; a quote from an
    added article (not the one in the panel) names that article."""
    titles = titles or {}
    if answer.refused:
        return f"<em>{as_text(answer.answer)}</em>"
    body = as_text(MARKER.sub(lambda m: f"\x00{m.group(1)}\x01", answer.answer))
    body = re.sub(r"\x00(\d+)\x01", lambda m: f" {_cite_link(int(m.group(1)))}", body)
    def where(c: Citation) -> str:
        parts = [f"<i>{as_text(titles[c.article])}</i>"] if c.article in titles else []
        parts += [as_text(c.section)] if c.section else []
        return "".join(f" — <small>{p}</small>" for p in parts)

    items = "".join(f"<li>{_cite_link(c.id)} “{as_text(c.quote)}”{where(c)}</li>"
                    for c in answer.citations)
    return f"{body}\n\n<ol class=\"ata-quotes\">{items}</ol>"


def _cite_link(n: int) -> str:
    return f'<a class="ata-cite" href="#ata-q-{n}">[{n}]</a>'


def render_article(article: Article, citations: Sequence[Citation] = ()) -> str:
    """The clean article as HTML, with each cited quote in a <mark> at its exact offsets."""
    marks = sorted((c for c in citations if c.article in (None, article.article_id)),
                   key=lambda c: c.start)
    out: list[str] = []
    open_list: str | None = None
    for block in article.blocks:
        tag = ("ol" if block.marker[:1].isdigit() else "ul") if block.kind == "list_item" else None
        if tag != open_list:
            if open_list:
                out.append(f"</{open_list}>")
            if tag:
                out.append(f"<{tag}>")
            open_list = tag
        inner = _highlight(article.text, block.start, block.end, marks)
        out.append({"title": "<h1>{}</h1>", "heading": "<h2>{}</h2>", "list_item": "<li>{}</li>",
                    "byline": '<p class="ata-byline">{}</p>'}.get(block.kind, "<p>{}</p>")
                   .format(inner))
    if open_list:
        out.append(f"</{open_list}>")
    return "\n".join(out)


def _highlight(text: str, start: int, end: int, marks: Sequence[Citation]) -> str:
    parts: list[str] = []
    pos = start
    for c in marks:
        if c.start < start or c.end > end or c.start < pos:
            continue  # quotes never cross blocks; an overlapping second quote is skipped
        parts.append(html.escape(text[pos : c.start]))
        parts.append(f'<mark class="ata-q" id="ata-q-{c.id}" data-cite="{c.id}">'
                     f"{html.escape(text[c.start : c.end])}<sup>[{c.id}]</sup></mark>")
        pos = c.end
    parts.append(html.escape(text[pos:end]))
    return "".join(parts)


def render_trace(result: Result) -> str:
    """The "how this answer was found" disclosure: query, decision, sentences, timings."""
    t, a = result.trace, result.answer
    decision = ", ".join(f"{k}: {v}" for k, v in t.decision.items())
    evidence = "".join(f"<li><code>{e.score:.3f}</code> {html.escape(e.text)}</li>"
                       for e in t.evidence[:8])
    timings = ", ".join(f"{k} {v:.0f} ms" for k, v in a.timings_ms.items())
    support = "".join(f"<li><code>{s.score:.2f}</code> {html.escape(s.sentence)} "
                      f"{html.escape(''.join(f'[{n}]' for n in s.citations))}</li>"
                      for s in a.support)
    return (f"<p><b>Standalone query:</b> {html.escape(t.standalone_query)}</p>"
            f"<p><b>Answered by:</b> {html.escape(a.answerer)}</p>"
            f"<p><b>Support of each answer sentence by its quotes</b></p><ol>{support}</ol>"
            f"<p><b>Timings:</b> {html.escape(timings)}</p>"
            f"<p><b>Decision:</b> {html.escape(decision)}</p>"
            f"<p><b>Best-scoring sentences</b></p><ol>{evidence}</ol>")


def build_app(assistant: Assistant) -> Any:
    """The page, wired to `assistant`; nothing is loaded or served here."""
    import gradio as gr

    article = assistant.article
    others = {aid: a.title for aid, a in assistant.articles.items() if aid != article.article_id}

    def respond(message: str, chat: list[dict], history: list[Message]) -> Iterator[tuple]:
        chat = [*chat, {"role": "user", "content": as_text(message)},
                {"role": "assistant", "content": "…"}]
        try:
            question = assistant.check_question(message)
            text, result = "", None
            for piece in assistant.stream(question, history):
                if isinstance(piece, Result):
                    result = piece
                    break
                text += piece
                chat[-1]["content"] = as_text(MARKER.sub("", text))  # markers come at the end
                yield "", chat, history, gr.skip(), gr.skip()
        except AppError as exc:
            chat[-1]["content"] = f"<em>Sorry: {as_text(str(exc))}</em>"
            yield "", chat, history, gr.skip(), gr.skip()
            return
        assert result is not None
        chat[-1]["content"] = render_answer(result.answer, others)
        history = [*history, Message(role="user", content=question),
                   Message(role="assistant", content=result.answer.answer)]
        yield ("", chat, history, render_article(article, result.answer.citations),
               render_trace(result))

    def clear() -> tuple:
        return "", [], [], render_article(article), ""

    def ask(question: str, history_json: str = "[]") -> dict:
        """Same JSON as `python -m assistant ask --json`; {"error": …} for bad input."""
        try:
            history = parse_history(load_json(history_json or "[]", "history_json"),
                                    "history_json")
            return assistant.ask(question, history).to_json()
        except AppError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title="Ask the article", analytics_enabled=False) as demo:
        history = gr.State([])
        gr.Markdown(f"### Ask the article — {as_text(article.title)}")
        with gr.Row():
            with gr.Column(scale=5):
                chatbot = gr.Chatbot(label="Chat", height=520, sanitize_html=True,
                                     elem_id="ata-chat", buttons=["copy"])
                box = gr.Textbox(placeholder="Ask about the article and press Enter",
                                 show_label=False, elem_id="ata-question", max_lines=4)
                with gr.Row():
                    gr.Examples(example_questions(article), inputs=box, label="Examples")
                    clear_btn = gr.Button("Clear", variant="secondary", scale=0)
                with gr.Accordion("How this answer was found", open=False):
                    trace = gr.HTML(elem_id="ata-trace")
            with gr.Column(scale=4):
                panel = gr.HTML(render_article(article), elem_id="ata-article", max_height=700,
                                padding=True)
        outputs = [box, chatbot, history, panel, trace]
        box.submit(respond, [box, chatbot, history], outputs).then(None, js=SCROLL_TO_FIRST)
        clear_btn.click(clear, None, outputs)
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=2, max_size=64)
    return demo


def launch(demo: Any, host: str, port: int, share: bool = False, block: bool = True) -> Any:
    """Serve locally: no analytics, no server-side rendering, scripts and styles inline."""
    return demo.launch(server_name=host, server_port=port, share=share, ssr_mode=False,
                       head=HEAD, css=CSS, prevent_thread_lock=not block, quiet=not block,
                       footer_links=["api"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python ui.py", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to serve on")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--share", action="store_true", help="also make a public Gradio link")
    parser.add_argument("--data-dir", help="index folder (env ATA_DATA_DIR)")
    parser.add_argument("--article", help="article file (env ATA_ARTICLE)")
    parser.add_argument("--chroma-url", help="Chroma server URL (env ATA_CHROMA_URL)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # read when gradio is imported
    try:
        assistant = Assistant(load_settings(data_dir=args.data_dir, article=args.article,
                                            chroma_url=args.chroma_url))
        print("Loading the article and models (building the index on first use)…",
              file=sys.stderr)
        assistant.warm_up()
        launch(build_app(assistant), args.host, args.port, args.share)
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
