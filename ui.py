"""The Gradio app: a chat beside the article, with cited quotes highlighted in the source.

`build_app(assistant)` builds the page without starting anything; `main()` parses flags,
warms the assistant up (building the index if missing) and serves on loopback.
Per-user chat history lives in `gr.State`; this module keeps no mutable globals.
"""

from __future__ import annotations

import html
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from assistant.chain import Assistant, Result
from assistant.history import load_json, parse_history
from assistant.settings import Settings, load_settings
from assistant.types import Citation, Message
from source.article import Article
from source.errors import AppError, ArgumentParser, ConfigError, run_cli
from webui.answer import answer_markdown, as_text, render_answer, render_partial
from webui.article import render_article
from webui.assets import CSS, HEAD, OUTLINE_JS, SHOW_FIRST_QUOTE, theme
from webui.outline import example_questions, question_about, render_outline
from webui.settings import WebSettings

log = logging.getLogger("ui")
PICKER_BUTTONS = 12  # articles shown as buttons; more are a list to type in

__all__ = ["answer_markdown", "as_text", "build_app", "example_questions", "launch", "main",
           "question_about", "render_answer", "render_article", "render_outline",
           "render_trace"]


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

    articles: Mapping[str, Article] = assistant.articles  # each opened when first shown
    titles = assistant.titles  # the picker's: no article is opened to list it
    main_article = assistant.article
    others = {aid: t for aid, t in titles.items() if aid != main_article.article_id}

    def views(article_id: str, cited: Sequence[Sequence[Citation]] = ()) -> tuple:
        """The panel, outline and example questions for one article; `cited` holds each
        answer's citations, the latest answer's last (lit and numbered in the panel)."""
        article = articles.get(article_id, main_article)  # unknown or unopenable: main
        latest = cited[-1] if cited else ()
        earlier = [c for answer in cited[:-1] for c in answer]
        return (render_article(article, latest, earlier), render_outline(article),
                gr.Dataset(samples=[[q] for q in example_questions(article)]))

    def respond(message: str, chat: list[dict], history: list[Message], shown: str,
                cited: list[list[Citation]]) -> Iterator[tuple]:
        skip = (gr.skip(),) * 6
        chat = [*chat, {"role": "user", "content": as_text(message)},
                {"role": "assistant", "content": "…"}]
        try:
            question = assistant.check_question(message)
            text, result = "", None
            # the article shown is the one "the article" means
            answering = assistant if shown not in titles or shown == main_article.article_id \
                else assistant.viewing(shown)
            for piece in answering.stream(question, history):
                if isinstance(piece, Result):
                    result = piece
                    break
                text += piece
                chat[-1]["content"] = render_partial(text)  # markers come at the end
                yield "", chat, history, *skip
        except AppError as exc:
            chat[-1]["content"] = f"<em>Sorry: {as_text(str(exc))}</em>"
            yield "", chat, history, *skip
            return
        assert result is not None
        answer = result.answer
        chat[-1]["content"] = render_answer(answer, others)
        history = [*history, Message(role="user", content=question),
                   Message(role="assistant", content=answer.answer)]
        cited = [*cited, list(answer.citations)]
        # a quote is shown in its own article: switch the panel to it
        shown = next((c.article for c in answer.citations if c.article in titles), shown)
        yield ("", chat, history, cited, shown, *views(shown, cited), render_trace(result))

    def respond_to_link(chat: list[dict], history: list[Message], shown: str,
                        cited: list[list[Citation]], request: gr.Request) -> Iterator[tuple]:
        """A page opened with ?q=… asks that question; without one, nothing happens (and
        the question box is left alone: a reader may already be typing)."""
        question = request.query_params.get("q") or ""
        if question.strip():
            yield from respond(question, chat, history, shown, cited)
        else:
            yield (gr.skip(),) * 9

    def respond_to_outline(chat: list[dict], history: list[Message], shown: str,
                           cited: list[list[Citation]], evt: gr.EventData) -> Iterator[tuple]:
        """An outline entry's "Ask about this" asks the question in its button's value."""
        data = evt._data if isinstance(evt._data, dict) else {}
        yield from respond(str(data.get("question", "")), chat, history, shown, cited)

    # gradio finds these parameters by their types; with postponed annotations and gradio
    # imported here, not at module level, it needs the types themselves
    respond_to_link.__annotations__["request"] = gr.Request
    respond_to_outline.__annotations__["evt"] = gr.EventData

    def clear(shown: str) -> tuple:
        return "", [], [], [], shown, *views(shown), ""

    def ask(question: str, history_json: str = "[]") -> dict:
        """Same JSON as `python -m assistant ask --json`; {"error": …} for bad input."""
        try:
            history = parse_history(load_json(history_json or "[]", "history_json"),
                                    "history_json")
            return assistant.ask(question, history).to_json()
        except AppError as exc:
            return {"error": str(exc)}

    several = len(titles) > 1
    heading = ("Ask the articles" if several
               else f"Ask the article — {as_text(main_article.title)}")
    with gr.Blocks(title="Ask the article", analytics_enabled=False) as demo:
        history = gr.State([])
        cited = gr.State([])  # each answer's citations, so an old [n] finds its quote
        gr.Markdown(f"### {heading}")
        choices = [(t, aid) for aid, t in titles.items()]
        if len(choices) <= PICKER_BUTTONS:
            picker = gr.Radio(choices, value=main_article.article_id, label="Article shown",
                              visible=several, elem_id="ata-picker")
        else:  # a library: a list to type in, not a wall of buttons
            picker = gr.Dropdown(choices, value=main_article.article_id, filterable=True,
                                 label="Article shown", elem_id="ata-picker")
        with gr.Row(elem_id="ata-main"):
            with gr.Column(scale=2, min_width=200, elem_id="ata-outline-col"):
                outline = gr.HTML(render_outline(main_article), elem_id="ata-outline",
                                  js_on_load=OUTLINE_JS, padding=False)
            with gr.Column(scale=5, elem_id="ata-chat-col"):
                chatbot = gr.Chatbot(label="Chat", height=520, sanitize_html=True,
                                     elem_id="ata-chat", buttons=["copy"])
                with gr.Row():
                    box = gr.Textbox(placeholder="Ask about the article and press Enter",
                                     show_label=False, elem_id="ata-question", max_lines=4,
                                     scale=8)
                    ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=70,
                                        elem_id="ata-ask")
                    clear_btn = gr.Button("Clear", variant="secondary", scale=0, min_width=70)
                examples = gr.Dataset(components=[box], label="Examples", elem_id="ata-examples",
                                      samples=[[q] for q in example_questions(main_article)])
                with gr.Accordion("How this answer was found", open=False):
                    trace = gr.HTML(elem_id="ata-trace")
            with gr.Column(scale=5, elem_id="ata-article-col"):
                panel = gr.HTML(render_article(main_article), elem_id="ata-article",
                                padding=True)
        inputs = [box, chatbot, history, picker, cited]
        outputs = [box, chatbot, history, cited, picker, panel, outline, examples, trace]
        for event in (box.submit, ask_btn.click):
            event(respond, inputs, outputs).then(None, js=SHOW_FIRST_QUOTE)
        outline.click(respond_to_outline, inputs[1:], outputs).then(None, js=SHOW_FIRST_QUOTE)
        demo.load(respond_to_link, inputs[1:], outputs).then(None, js=SHOW_FIRST_QUOTE)
        examples.click(lambda sample: sample[0], examples, box)
        picker.input(views, [picker, cited], [panel, outline, examples])
        clear_btn.click(clear, picker, outputs)
        gr.api(ask, api_name="ask")
    demo.queue(default_concurrency_limit=2, max_size=64)
    return demo


def launch(demo: Any, host: str, port: int, share: bool = False, block: bool = True) -> Any:
    """Serve locally: no analytics, no server-side rendering, fonts, scripts and styles
    from the app itself."""
    return demo.launch(server_name=host, server_port=port, share=share, ssr_mode=False,
                       theme=theme(), head=HEAD, css=CSS, prevent_thread_lock=not block,
                       quiet=not block, footer_links=["api"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = ArgumentParser(prog="python ui.py", description=(__doc__ or "").split("\n")[0])
    WebSettings.add_flags(parser, "host", "port")
    WebSettings.add_flags(parser, "share", action="store_true", default=None)
    Settings.add_flags(parser, "data_dir", "article", "chroma_url")
    Settings.add_flags(parser, "library_depth", type=int)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # read when gradio is imported

    def body() -> int:
        from assistant.serving.api import bind

        web = WebSettings.load(host=args.host, port=args.port, share=args.share)
        settings = load_settings(data_dir=args.data_dir, article=args.article,
                                 chroma_url=args.chroma_url, library_depth=args.library_depth)
        bind(web.host, web.port).close()  # a busy port fails before any model loads
        print("Loading the article and models (building the index on first use)…",
              file=sys.stderr)
        try:
            assistant = Assistant(settings).warm_up()
        except OSError as exc:  # the store wraps its own; this is anything else on disk
            raise AppError(f"cannot load the app: {exc}") from exc
        try:
            launch(build_app(assistant), web.host, web.port, web.share)
        except OSError as exc:  # the port was taken between the check and the launch
            raise ConfigError(f"cannot serve on {web.host}:{web.port}: "
                              f"{exc.strerror or exc}") from exc
        return 0

    return run_cli(body)

if __name__ == "__main__":
    sys.exit(main())
