"""mypy with the project's own configuration (pyproject's [tool.mypy]) catches the faults it
is there for. Each fault file below imports our real modules and marks its faulty lines
with `# expect: CODE`; mypy must report exactly those codes on exactly those lines. The
cache is the checkout's own `.mypy_cache`, which `make test` fills first."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is in the dev extra")

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
REPORTED = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$",
                      re.MULTILINE)

FAULTS = {
    # a stage function given the wrong type, and its Optional result used unchecked
    "stage_call.py": """
        from assistant.answering.question import analyse, reverse

        question = analyse(42)  # expect: arg-type
        flipped = reverse("What does A get from B?")
        print(flipped.upper())  # expect: union-attr
        print(question.document.upper())  # expect: union-attr
    """,
    # functions without annotations, and a bare generic
    "annotations.py": """
        from assistant.types import Citation

        def first_quote(citations: list[Citation]):  # expect: no-untyped-def
            return citations[0].quote

        def count(items: dict) -> int:  # expect: type-arg
            return len(items)
    """,
    # ignores: one that hides nothing, one that does not say which error it hides
    "ignores.py": """
        from assistant.types import Draft

        draft = Draft("text")  # type: ignore[arg-type]  # expect: unused-ignore
        refused: bool = draft.text  # type: ignore  # expect: ignore-without-code
    """,
    # the boundary types: a frozen value, a TypedDict's keys, Any leaking out
    "boundaries.py": """
        import json

        from assistant.types import Answer, Citation

        def show(answer: Answer) -> None:
            print(answer.to_json()["answr"])  # expect: typeddict-item

        def move(citation: Citation) -> None:
            citation.start = 0  # expect: misc

        def parsed(text: str) -> dict[str, int]:
            return json.loads(text)  # expect: no-any-return
    """,
    # a name bound on some paths only; an object that is always true in a condition
    "paths.py": """
        from assistant.types import Draft

        def refusal(drafts: list[Draft]) -> str:
            for draft in drafts:
                if draft.refused:
                    text = draft.text
            return text  # expect: possibly-undefined

        def shown(draft: Draft) -> bool:
            if draft:  # expect: truthy-bool
                return not draft.refused
            return False
    """,
    # code after a narrowing that cannot be reached
    "unreachable.py": """
        from assistant.types import Draft

        def refused(draft: Draft) -> bool:
            if isinstance(draft.text, str):
                return draft.refused
            return True  # expect: unreachable
    """,
}

CLEAN = """
    from assistant.answering.question import analyse, reverse
    from assistant.types import Answer, Citation

    def quoted(answer: Answer) -> list[str]:
        question = analyse(answer.question)
        flipped = reverse(question.text)
        extra = [flipped] if flipped is not None else []
        return [c["quote"] for c in answer.to_json()["citations"]] + extra

    def first(citations: list[Citation]) -> Citation | None:
        return citations[0] if citations else None
"""


def _write(folder: Path, files: dict[str, str]) -> list[Path]:
    paths = []
    for name, body in files.items():
        path = folder / name
        path.write_text(textwrap.dedent(body).lstrip(), "utf-8")
        paths.append(path)
    return paths


def _expected(paths: list[Path]) -> set[tuple[str, int, str]]:
    return {(p.name, n, m["code"])
            for p in paths
            for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
            for m in re.finditer(r"# expect: (?P<code>[a-z-]+)", line)}


def _mypy(paths: list[Path], config: Path = CONFIG) -> tuple[set[tuple[str, int, str]], str]:
    out, err, _ = mypy_api.run(["--config-file", str(config),
                                "--cache-dir", str(ROOT / ".mypy_cache"),
                                "--show-error-codes", "--no-pretty", "--no-error-summary",
                                *map(str, paths)])
    found = {(Path(m["file"]).name, int(m["line"]), m["code"])
             for m in REPORTED.finditer(out)}
    return found, out + err


def test_every_fault_is_reported_where_it_is(tmp_path: Path) -> None:
    paths = _write(tmp_path, FAULTS)
    found, output = _mypy(paths)
    assert found == _expected(paths), output


def test_code_that_uses_the_types_correctly_passes(tmp_path: Path) -> None:
    """So the reports above come from the faults, not from our modules or the setup."""
    found, output = _mypy(_write(tmp_path, {"clean.py": CLEAN}))
    assert found == set(), output


def test_a_weaker_configuration_misses_faults(tmp_path: Path) -> None:
    """The check above can fail: mypy's defaults (no `strict`, no `ignore-without-code`)
    miss faults that ours reports, so losing a line of [tool.mypy] fails this file."""
    paths = _write(tmp_path, FAULTS)
    defaults = tmp_path / "defaults.toml"
    defaults.write_text(f'[tool.mypy]\nmypy_path = "{ROOT}"\n', "utf-8")
    found, output = _mypy(paths, defaults)
    missed = _expected(paths) - found
    assert {code for _, _, code in missed} >= {"no-untyped-def", "type-arg", "unused-ignore",
                                                "ignore-without-code", "no-any-return",
                                                "unreachable", "possibly-undefined",
                                                "truthy-bool"}, output
