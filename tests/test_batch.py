"""`ask --batch` in process, over every answering stage with a fake index: each input line
gets exactly one output line, in order, whatever another line holds or does."""

import io
import json

from assistant.serving.cli import batch
from tests.fakes import FailingOn, fake_assistant


def run_batch(lines: list[bytes], assistant, folder) -> tuple[int, list[dict]]:  # noqa: ANN001
    path = folder / "batch.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = io.StringIO()
    code = batch(assistant, str(path), out)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def q(question, history=None) -> bytes:  # noqa: ANN001
    item = {"question": question} | ({} if history is None else {"history": history})
    return json.dumps(item).encode()


def test_every_batch_line_gets_one_output_line_in_order(tmp_path):
    """On main, 6 lines of 18 never got an output line (the batch stopped at a lone
    surrogate or a huge integer in a history, and a failing model stopped it too)."""
    good = {1: "Why do hives fail?", 5: "How much honey does a hive give?",
            18: "Where is the honey sold?"}
    lines = [
        q(good[1]),
        q("Why?", [{"role": "user", "content": "How many hives fail \ud800?"}]),
        b'{"question": "Why?", "history": [{"role": "user", "content": ' + b"9" * 5000 + b"}]}",
        b'{"question": ' + b"7" * 4400 + b"}",
        q(good[5]),
        q("\ud800How much \x1b[31mhoney does a hive give?"),
        b"this line is not json",
        b"",
        b"[]",
        b'{"question": null}',
        q("   "),
        q("What happens to hives in their first winter?"),  # the model is down
        q("What do varroa mites do to the bees?"),  # a bug
        q("Who?", "not a list"),
        b"[" * 100_000 + b"]" * 100_000,
        b'{"question": "caf\xe9?"}',
        q("x" * 3000),
        q(good[18]),
    ]
    assistant = fake_assistant(answerer=FailingOn(down="winter", bug="varroa"))
    code, results = run_batch(lines, assistant, tmp_path)
    assert code == 2  # some lines failed
    assert len(results) == len(lines) == 18
    for number, question in good.items():
        assert results[number - 1]["question"] == question and results[number - 1]["citations"]
    assert results[1]["citations"] and results[5]["question"] == "How much honey does a hive give?"
    failed = {n: r["error"] for n, r in enumerate(results, 1) if "error" in r}
    assert set(failed) == {3, 4, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}
    assert all(results[n - 1] == {"line": n, "error": failed[n]} for n in failed)
    assert "5,000 digits" in failed[3] and "4,400 digits" in failed[4]
    assert "empty line" in failed[8] and "the answer model" in failed[12]
    assert failed[13].startswith("line 13: internal error")


class ZerosFake(io.RawIOBase):
    """Not a device: `limit` zero bytes and no line end, counting what was read (a real
    /dev/zero never ends, so reading it all is the bug this catches)."""

    def __init__(self, limit: int) -> None:
        self.limit, self.read_bytes = limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # noqa: ANN001
        n = min(len(buffer), self.limit - self.read_bytes)
        buffer[:n] = bytes(n)
        self.read_bytes += n
        return n


def test_a_batch_from_a_stream_with_no_line_end_stops_with_one_error_line(monkeypatch):
    """`ask --batch - < /dev/zero` read forever: the over-long line was skipped to an end
    that never came. Now the skipping stops after MAX_SKIP bytes with one error line."""
    import sys

    from assistant.serving import cli

    zeros = ZerosFake(limit=cli.MAX_SKIP * 3)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(zeros)))
    out = io.StringIO()
    assert batch(fake_assistant(), "-", out) == 2
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["line"] == 1 and "no line end" in line["error"]
    assert zeros.read_bytes <= cli.MAX_SKIP + 2 * cli.MAX_JSON_BYTES + io.DEFAULT_BUFFER_SIZE
