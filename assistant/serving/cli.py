"""`python -m assistant ask|chat|serve`: cited answers about the article on the command line,
or over the OpenAI chat-completions API (`serve`, see `assistant.serving.api`).

Only answers go to stdout; progress and logs go to stderr. Every problem a user can
cause is one `error: …` line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, BinaryIO, TextIO, TypedDict

from assistant.history import MAX_JSON_BYTES, load_json, parse_history, read_history_file
from assistant.settings import RENAMED, Settings, load_settings
from assistant.types import Answer, AnswerJSON, Message
from source.errors import AppError, ArgumentParser, ConfigError, InputError, run_cli
from source.files import open_regular
from source.text import is_utf8

if TYPE_CHECKING:  # imported where used: --help loads no answering code
    from assistant.chain import Assistant

log = logging.getLogger("assistant")
# An over-long batch line is skipped to its end, but no further than this: a stream with
# no line ends (`--batch - < /dev/zero`) ends the batch instead of spinning forever.
MAX_SKIP = 64 * MAX_JSON_BYTES


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="python -m assistant", description=(__doc__ or "").split("\n")[0])
    common = ArgumentParser(add_help=False)  # typeshed: parents are of the parser's class
    Settings.add_flags(common, "article", "data_dir", "chroma_url", "embedding_model",
                       "answerer", "llm_base_url", "llm_model")
    Settings.add_flags(common, "library_depth", type=int)
    common.add_argument("--min-score", type=float, help="refusal threshold on evidence scores "
                        "(default: the calibrated one; 0 never refuses on score; env "
                        "ATA_MIN_SCORE)")
    common.add_argument("--min-support", dest="renamed",
                        help=argparse.SUPPRESS)  # the old name of --min-score: an error
    common.add_argument("--no-build", dest="auto_build", action="store_const", const=False,
                        help="fail instead of building a missing or stale index")
    common.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question", nargs="?", help="the question (omit with --batch)")
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--history", metavar="FILE", help="JSON list of earlier messages")
    ask.add_argument("--batch", metavar="FILE", help="JSONL of {question, history}; '-' = stdin")
    commands.add_parser("chat", parents=[common], help="interactive session in the terminal")
    serve = commands.add_parser("serve", parents=[common], help="OpenAI-compatible chat API "
                                "(POST /v1/chat/completions, GET /v1/models, GET /health)")
    serve.add_argument("--host", help="interface (default 127.0.0.1; env ATA_HOST)")
    serve.add_argument("--port", type=int, help="port (default 8000; env ATA_PORT)")
    serve.add_argument("--api-key", help="require 'Authorization: Bearer KEY' (env "
                       "ATA_API_KEY, which keeps the key out of the process list)")
    serve.add_argument("--concurrency", type=int, help="answers computed at once "
                       "(default 2; env ATA_CONCURRENCY)")
    serve.add_argument("--max-queue", type=int, help="requests waiting at most; more get "
                       "429 (default 64; env ATA_MAX_QUEUE)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s", stream=sys.stderr)

    def body() -> int:
        if args.renamed is not None:
            raise ConfigError(RENAMED)
        settings = load_settings(
            article=args.article, data_dir=args.data_dir, chroma_url=args.chroma_url,
            embedding_model=args.embedding_model,
            answerer=args.answerer, llm_base_url=args.llm_base_url,
            llm_model=args.llm_model, min_score=args.min_score, auto_build=args.auto_build,
            library_depth=args.library_depth)
        if args.command == "serve":
            return serve(settings, args)
        return chat(settings) if args.command == "chat" else ask(settings, args)

    return run_cli(body)


def ask(settings: Settings, args: argparse.Namespace) -> int:
    from assistant.chain import Assistant

    if args.batch and args.question:
        raise InputError("give either a question or --batch FILE, not both")
    if not args.batch and args.question is None:
        raise InputError("no question given; usage: python -m assistant ask \"QUESTION\"")
    assistant = Assistant(settings)
    if args.batch:
        return batch(assistant, args.batch, sys.stdout)
    history = read_history_file(args.history) if args.history else []
    question = assistant.check_question(_decoded(args.question))  # before any model loads
    if args.json:
        print(json.dumps(assistant.ask(question, history).to_json(), ensure_ascii=False))
    else:
        print_streamed(assistant, question, history)
    return 0


def serve(settings: Settings, args: argparse.Namespace) -> int:
    """Bind first (a busy port fails before any model loads), load, then serve."""
    from assistant.chain import Assistant
    from assistant.serving.api import ServeSettings, bind, build_api, run

    options = ServeSettings.load(host=args.host, port=args.port, api_key=args.api_key,
                                 concurrency=args.concurrency, max_queue=args.max_queue)
    key = options.api_key.get_secret_value() if options.api_key else None
    sock = bind(options.host, options.port)
    try:
        assistant = Assistant(settings)
        print("Loading the article and models…", file=sys.stderr)
        api = build_api(assistant.warm_up(), api_key=key, concurrency=options.concurrency,
                        max_queue=options.max_queue)
        host, port = sock.getsockname()[:2]
        where = f"[{host}]" if ":" in host else host
        print(f"Serving the chat API on http://{where}:{port}/v1 (models: "
              f"{', '.join(api.state.models)}){'' if key else ' without an API key'}",
              file=sys.stderr)
        run(api, sock)
    except KeyboardInterrupt:  # uvicorn has shut down gracefully, then re-raised Ctrl-C
        print("stopped", file=sys.stderr)
    finally:
        sock.close()
    return 0


def batch(assistant: Assistant, path: str, out: TextIO) -> int:
    """Answer JSONL questions in order; a bad line gets an error object, the rest go on.

    Every input line gets exactly one output line, in order: an answer, or
    `{"line": n, "error": …}` for a line that is not a question (blank ones included),
    whose model failed, or that hit a bug (its traceback is logged with -v). Exit status
    is 2 when any line failed, so scripts notice.
    """
    stream = sys.stdin.buffer if path == "-" else open_regular(path, "batch file")
    failed, number = 0, 0
    with stream:
        try:
            for number, raw in enumerate(_lines(stream), 1):
                result = _batch_line(assistant, number, raw)
                failed += "error" in result
                print(_json_line(result), file=out, flush=True)
        except _Endless:
            print(_json_line({"line": number + 1, "error": f"line {number + 1}: no line end "
                              f"within {MAX_SKIP:,} bytes; the rest of the input is not "
                              "read"}), file=out, flush=True)
            return 2
    return 2 if failed else 0


class LineError(TypedDict):
    """A `--batch` output line for an input line that got no answer."""

    line: int  # from 1
    error: str  # starts "line N: "


class _Endless(Exception):
    """A line with no end in sight (`--batch - < /dev/zero`): reading on would never end."""


def _batch_line(assistant: Assistant, number: int, raw: bytes) -> AnswerJSON | LineError:
    """One line's answer as JSON, or its error object; nothing a line holds escapes."""
    try:
        if not raw.strip():
            raise InputError("empty line; each line must be an object with \"question\"")
        item = load_json(raw, f"line {number}")
        if not isinstance(item, dict) or "question" not in item:
            raise InputError('each line must be an object with "question"')
        history = parse_history(item.get("history", []), f"line {number} history")
        return assistant.ask(item["question"], history).to_json()
    except AppError as exc:
        message = str(exc)
    except Exception as exc:  # a bug: this line's error, never the batch's end
        log.info("batch line %d failed", number, exc_info=True)
        message = f"internal error ({type(exc).__name__}); run with -v for the traceback"
    prefix = f"line {number}"
    return {"line": number, "error": message if message.startswith(prefix)
            else f"{prefix}: {message}"}


def _json_line(result: AnswerJSON | LineError) -> str:
    """One JSON line; text that is not valid Unicode (a lone surrogate) is escaped, so
    printing it cannot fail."""
    line = json.dumps(result, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(result)
    return line


def _decoded(text: str, what: str = "the question") -> str:
    """Text from argv or a terminal: bytes that were not UTF-8 arrive as lone surrogates
    (Python's surrogateescape) and are refused, not dropped and answered without them."""
    if not is_utf8(text):
        raise InputError(f"{what} is not valid UTF-8 text")
    return text


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    """Lines as bytes, each read at most MAX_JSON_BYTES + 1 at a time: a huge line is cut
    (and reported as over the limit), never held whole, and the next line still runs; a
    line still without its end after MAX_SKIP bytes ends the batch (`_Endless`)."""
    while line := stream.readline(MAX_JSON_BYTES + 1):
        if len(line) > MAX_JSON_BYTES and not line.endswith(b"\n"):
            skipped = len(line)
            while (rest := stream.readline(MAX_JSON_BYTES)) and not rest.endswith(b"\n"):
                skipped += len(rest)
                if skipped > MAX_SKIP:
                    raise _Endless
        yield line


def format_quotes(answer: Answer) -> list[str]:
    """Where each [n] is in the article; the quote itself only when the answer does not
    already show it word for word (an extractive answer does: it is printed once)."""
    lines = [""] if answer.citations else []
    for c in answer.citations:
        where = f" — {c.section}" if c.section else ""
        quote = "" if c.quote in answer.answer else f"“{c.quote}” "
        lines.append(f"[{c.id}] {quote}(chars {c.start}–{c.end}{where})")
    return lines


def print_streamed(assistant: Assistant, question: str, history: Sequence[Message],
                   out: TextIO = sys.stdout) -> Answer:
    """Print the answer as it is written, then its quotes; if the support check changed
    it after it was shown, say so and print the checked answer (`assistant.serving.streaming`)."""
    from assistant.chain import Result
    from assistant.serving.streaming import as_shown

    for piece in as_shown(assistant.stream(question, history)):
        if isinstance(piece, Result):
            answer = piece.answer
            break
        print(piece, end="", file=out, flush=True)
    else:  # a bug: the stream always ends with its Result
        raise AssertionError("the answer stream ended without its result")
    print("\n".join(["", *format_quotes(answer)]), file=out, flush=True)
    return answer


def chat(settings: Settings) -> int:
    """A terminal chat; the history of this session feeds follow-up questions."""
    from assistant.chain import Assistant

    assistant = Assistant(settings)
    print("Loading the article and models…", file=sys.stderr)
    assistant.warm_up()
    print(f"Ask about: {assistant.article.title}\n(empty line or Ctrl-D to quit)",
          file=sys.stderr)
    history: list[Message] = []
    if isinstance(sys.stdin, io.TextIOWrapper):  # bytes that are not UTF-8: refused below
        sys.stdin.reconfigure(errors="surrogateescape")
    while True:
        try:
            question = input("you> ")
        except EOFError:
            print(file=sys.stderr)
            return 0
        if not question.strip():
            return 0
        try:
            answer = print_streamed(assistant, _decoded(question), history)
        except AppError as exc:  # a bad question or a failing model: say so, keep chatting
            print(f"error: {exc}", file=sys.stderr)
            continue
        print()
        history += [Message(role="user", content=question),
                    Message(role="assistant", content=answer.answer)]
