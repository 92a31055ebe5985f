"""What a streamed answer shows: the pieces as written, and when the support check changed
the answer after it was shown, a note and the answer that stands (CLI and chat API alike)."""

import io

from assistant.chain import Result
from assistant.serving.cli import print_streamed
from assistant.serving.streaming import CHECKED_NOTE, as_shown
from assistant.types import Answer, Citation, Trace


def result(text: str) -> Result:
    cite = Citation(1, "a quote", 10, 17, None, "doc")
    return Result(Answer("q?", text, False, [cite]), Trace("q?"))


class Stub:
    """An assistant whose stream is scripted: the pieces, then the checked result."""

    def __init__(self, pieces, final):
        self.pieces, self.final = pieces, final

    def stream(self, question, history=()):
        yield from self.pieces
        yield result(self.final)


def test_an_unchanged_answer_is_shown_once():
    pieces = list(as_shown(Stub(["Kept [1].", " "], "Kept [1].").stream("q?")))
    assert pieces[:-1] == ["Kept [1].", " "] and isinstance(pieces[-1], Result)


def test_a_changed_answer_is_followed_by_the_one_that_stands():
    shown = ["Kept [1]. Dropped", " [2]."]
    pieces = list(as_shown(Stub(shown, "Kept [1].").stream("q?")))
    assert pieces[:-1] == [*shown, CHECKED_NOTE + "Kept [1]."]


def test_the_cli_prints_what_as_shown_yields_then_the_quotes():
    out = io.StringIO()
    answer = print_streamed(Stub(["Kept [1]. Dropped [2]."], "Kept [1]."), "q?", [], out)
    assert answer.answer == "Kept [1]."
    assert out.getvalue() == ("Kept [1]. Dropped [2]." + CHECKED_NOTE + "Kept [1].\n\n"
                              "[1] “a quote” (chars 10–17)\n")


def test_an_extractive_answer_prints_each_quote_once():
    """The reference list gives only where a quote is when the answer already shows it."""
    from assistant.serving.cli import format_quotes
    from assistant.types import Answer, Citation

    answer = Answer("q?", "The article says: “a quote” [1]", False,
                    [Citation(1, "a quote", 10, 17, "Costs")])
    assert format_quotes(answer) == ["", "[1] (chars 10–17 — Costs)"]
    paraphrase = Answer("q?", "It costs little [1].", False,
                        [Citation(1, "a quote", 10, 17, None)])
    assert format_quotes(paraphrase) == ["", "[1] “a quote” (chars 10–17)"]
