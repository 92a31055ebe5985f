"""Write the CLI and configuration reference pages from the code: `python -m docs.generate`.

The CLI page is read from the argparse parsers of every entry point (and the options of
the pytest plugin), the configuration page from the settings' fields and their
descriptions, so a flag or an `ATA_*` variable cannot exist without its line in the docs.
`python -m docs.generate --check` exits 1 when a committed page differs from what the code
says (`tests/test_docs.py` runs the same check).
"""

from __future__ import annotations

import argparse
import functools
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "reference"
WIDTH = 88  # usage lines are wrapped at this width whatever the terminal
# Flags named like a setting that mean something else there
NOT_THE_SETTING = {
    ("python -m eval run", "judge"),  # grades the report, not the answers
}
# A part whose settings only some programs read: its fields' flags are looked for there only.
READ_BY = {"serve": {"python -m assistant"}, "web": {"python ui.py"}}

# (how it is run, the module whose main(argv) parses the flags)
PROGRAMS = (
    ("python -m assistant", "assistant.serving.cli"),
    ("python ui.py", "ui"),
    ("python -m index", "index.cli"),
    ("python -m eval", "eval.cli"),
    ("python -m training", "training.cli"),
)


@dataclass(frozen=True)
class Program:
    command: str
    about: str  # the first paragraph of its module's docstring
    parser: argparse.ArgumentParser
    # subcommand name -> (its help, its parser); empty when the program has none
    commands: dict[str, tuple[str, argparse.ArgumentParser]]


class _Parsed(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def parser_of(main: Callable[[Sequence[str]], int]) -> argparse.ArgumentParser:
    """The parser `main` builds, taken at its `parse_args` call: nothing after it runs."""

    def stop(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Parsed(self)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", stop):
        try:
            main([])
        except _Parsed as parsed:
            return parsed.parser
    raise RuntimeError(f"{main.__module__}.main returned without parsing its arguments")


@functools.cache
def programs() -> tuple[Program, ...]:
    import importlib

    found = []
    for command, module in PROGRAMS:
        loaded = importlib.import_module(module)
        parser = parser_of(loaded.main)
        about = (loaded.__doc__ or parser.description or "").strip().split("\n\n")[0]
        commands = {}
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {a.dest: a.help or "" for a in action._choices_actions}
                commands = {name: (helps.get(name, ""), sub)
                            for name, sub in action.choices.items()}
        found.append(Program(command, about, parser, commands))
    return tuple(found)


def options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The flags and arguments a user types (no -h, no subcommand selector, none hidden
    from --help, such as an old name kept only to say it was renamed)."""
    return [a for a in parser._actions
            if not isinstance(a, argparse._HelpAction | argparse._SubParsersAction)
            and a.help is not argparse.SUPPRESS]


def usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _shown(value: object) -> str:
    """A default as code; a path inside the checkout relative to it (no machine's paths)."""
    if isinstance(value, Path) and value.is_relative_to(ROOT):
        value = value.relative_to(ROOT)
    return f"`{value}`"


def _default(value: object) -> str:
    if value is None or value is argparse.SUPPRESS or value is False or value == []:
        return ""
    return _shown(value)


def _name(action: argparse.Action) -> str:
    if action.option_strings:
        return ", ".join(f"`{s}`" for s in action.option_strings)
    return f"`{action.metavar or action.dest.upper()}`"


def _value(action: argparse.Action) -> str:
    if action.nargs == 0 or not action.option_strings:
        return ""
    if action.choices:
        return " \\| ".join(f"`{c}`" for c in action.choices)
    return f"`{action.metavar or action.dest.upper()}`"


def option_table(actions: Sequence[argparse.Action]) -> list[str]:
    rows = ["| flag or argument | value | default | meaning |", "|---|---|---|---|"]
    for a in actions:
        meaning = a.help or ""
        if not a.option_strings and a.nargs == "?":
            meaning = f"(optional) {meaning}"
        default = "" if a.nargs == 0 else _default(a.default)  # a switch's is its opposite
        rows.append(f"| {_name(a)} | {_value(a)} | {default} | {_cell(meaning)} |")
    return rows


def _key(action: argparse.Action) -> tuple:
    return tuple(action.option_strings), action.help, action.dest


def cli_page() -> str:
    lines = [
        "# CLI reference",
        "",
        "<!-- Generated by `python -m docs.generate` from the argparse parsers; do not edit."
        " -->",
        "",
        "Every entry point's flags, generated from its parser; a guide with examples is in",
        "[the CLI guide](../cli.md). A setting's flag beats its `ATA_*` environment variable,",
        "which beats the default ([configuration reference](configuration.md)). Every",
        "problem a user can cause is one `error: …` line on stderr and exit status 2.",
        "",
    ]
    for program in programs():
        lines += [f"## `{program.command}`", "", program.about, ""]
        own = options(program.parser)
        subs = list(program.commands.items())
        shared: list[argparse.Action] = []
        if len(subs) > 1:
            first = options(subs[0][1][1])
            keys = [{_key(a) for a in options(sub)} for _, (_, sub) in subs[1:]]
            shared = [a for a in first if a.option_strings
                      and all(_key(a) in k for k in keys)]
        own_keys = {_key(a) for a in own}
        if own:
            if subs:
                also = own_keys <= {_key(a) for a in shared}
                lines += [f"Flags {'before or after' if also else 'before'} the command:", ""]
            lines += ["```", usage(program.parser), "```", "", *option_table(own), ""]
        shared = [a for a in shared if _key(a) not in own_keys]
        if shared:
            lines += [f"Flags every `{program.command}` command takes:", "",
                      *option_table(shared), ""]
        shared_keys = {_key(a) for a in shared}
        for name, (help_text, sub) in subs:
            rest = [a for a in options(sub) if _key(a) not in shared_keys]
            lines += [f"### `{program.command} {name}`", "", help_text, "",
                      "```", usage(sub), "```", ""]
            if rest:
                lines += [*option_table(rest), ""]
        if not subs and not own:
            lines += ["```", usage(program.parser), "```", ""]
    lines += ["## `pytest` (the answer-case plugin)", "",
              "`eval/pytest_plugin.py`, loaded by the checkout's root `conftest.py`;",
              "see [Evaluation](../evaluation.md).", "",
              "| flag or argument | value | default | meaning |", "|---|---|---|---|"]
    for names, kwargs in plugin_options():
        value = "" if kwargs.get("action") == "store_true" else \
            f"`{kwargs.get('metavar', names[0].lstrip('-').upper())}`"
        lines.append(f"| {', '.join(f'`{n}`' for n in names)} | {value} | "
                     f"{_default(kwargs.get('default'))} | {_cell(kwargs.get('help', ''))} |")
    return "\n".join(_squeeze(lines)) + "\n"


def plugin_options() -> list[tuple[tuple[str, ...], dict]]:
    """The options `eval.pytest_plugin` declares, read through a stand-in parser."""
    from eval import pytest_plugin

    declared: list[tuple[tuple[str, ...], dict]] = []

    class Group:
        def getgroup(self, *args: object, **kwargs: object) -> Group:
            return self

        def addoption(self, *names: str, **kwargs: object) -> None:
            declared.append((names, kwargs))

    pytest_plugin.pytest_addoption(Group())  # type: ignore[arg-type]
    return declared


# --- configuration ---------------------------------------------------------------------

def settings_classes() -> list[tuple[str, type]]:
    """(which part reads it, the class that declares the fields), lowest layer first."""
    from assistant.answerers.settings import EndpointSettings, GenerationSettings
    from assistant.serving.api import ServeSettings
    from assistant.settings import Settings
    from index.settings import IndexSettings
    from webui.settings import WebSettings

    return [("index", IndexSettings), ("answerers", GenerationSettings),
            ("answerers", EndpointSettings), ("assistant", Settings),
            ("serve", ServeSettings), ("web", WebSettings)]


def setting_fields() -> Iterator[tuple[str, str, object, str]]:
    """(part, field name, pydantic FieldInfo, env var) for every setting, each once."""
    for part, cls in settings_classes():
        for name, field in cls.model_fields.items():
            if name in cls.__annotations__:  # declared here, not inherited
                yield part, name, field, cls.env_name(name)


def _type(field: object) -> str:
    annotation = field.annotation  # type: ignore[attr-defined]
    if typing.get_origin(annotation) is typing.Literal:
        return " \\| ".join(f"`{c}`" for c in typing.get_args(annotation))
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    kind = args[0] if args else annotation
    text = getattr(kind, "__name__", str(kind))
    return {"SecretStr": "secret", "str": "text", "int": "integer", "float": "number",
            "bool": "true/false", "Path": "path"}.get(text, text)


def _bounds(field: object) -> str:
    found = []
    for m in field.metadata:  # type: ignore[attr-defined]
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if getattr(m, attr, None) is not None:
                found.append(f"{sign} {getattr(m, attr)}")
    return ", ".join(found)


def _field_default(field: object) -> str:
    if field.default_factory is not None:  # type: ignore[attr-defined]
        return "computed (see the description)"
    value = field.default  # type: ignore[attr-defined]
    return "none" if value is None else _shown(value)


def _flag_cell(name: str, part: str) -> str:
    """The flags that set this setting (an option whose dest is its name), and where: a
    program that takes it before its command, else the commands that take it."""
    flags: set[str] = set()
    where: list[str] = []
    for program in programs():
        if part in READ_BY and program.command not in READ_BY[part]:
            continue

        def takes(parser: argparse.ArgumentParser, command: str) -> bool:
            if (command, name) in NOT_THE_SETTING:
                return False
            found = [s for a in options(parser) if a.dest == name for s in a.option_strings]
            flags.update(found)
            return bool(found)

        if takes(program.parser, program.command):
            where.append(program.command)
            continue
        subs = [n for n, (_, sub) in program.commands.items()
                if takes(sub, f"{program.command} {n}")]
        if subs:
            where.append(f"{program.command} {', '.join(subs)}")
    if not flags:
        return "(env only)"
    return f"{', '.join(f'`{f}`' for f in sorted(flags))} ({'; '.join(where)})"


PARTS = {
    "index": "`index/settings.py` (`IndexSettings`): all that `python -m index` reads",
    "answerers": "`assistant/answerers/settings.py`: what the generating answerers read",
    "assistant": "`assistant/settings.py`: the assistant's own, composed with the two above "
                 "into the one `Settings` the CLI, web app, chat API and eval read",
    "serve": "`assistant/serving/api.py` (`ServeSettings`): read only by "
             "`python -m assistant serve`",
    "web": "`webui/settings.py` (`WebSettings`): read only by `python ui.py`, under its own "
           "`ATA_WEB_*` variables",
}


def config_page() -> str:
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m docs.generate` from the settings' fields; do not edit."
        " -->",
        "",
        "Every setting, generated from the settings classes: its environment variable, the",
        "flags that set it, its type, bounds and default, and the field's own description.",
        "A flag beats the environment variable, which beats the default; a bad value is one",
        "`error:` line naming the variable (and the flag, where there is one). How the parts",
        "compose their settings, and notes on the ones that need more than a line, are in",
        "[Configuration](../configuration.md).",
        "",
    ]
    current = None
    for part, name, field, env in setting_fields():
        if part != current:
            current = part
            lines += [f"## {part}", "", PARTS[part] + ".", ""]
        bounds = _bounds(field)
        kind = _type(field) + (f" ({bounds})" if bounds else "")
        lines += [f"### `{env}`", "",
                  field.description or "",  # type: ignore[attr-defined]
                  "",
                  f"- setting: `{name}`; type: {kind}; default: {_field_default(field)}",
                  f"- flag: {_flag_cell(name, part)}", ""]
    return "\n".join(_squeeze(lines)) + "\n"


def _squeeze(lines: list[str]) -> Iterator[str]:
    """No two blank lines in a row."""
    blank = False
    for line in lines:
        if line == "" and blank:
            continue
        blank = line == ""
        yield line


def pages() -> dict[Path, str]:
    return {REFERENCE / "cli.md": cli_page(), REFERENCE / "configuration.md": config_page()}


def stale() -> list[Path]:
    """The committed reference pages that differ from what the code says."""
    return [path for path, text in pages().items()
            if not path.is_file() or path.read_text("utf-8") != text]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docs.generate", description=__doc__
                                     .split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a page is out of date")
    args = parser.parse_args(argv)
    if args.check:
        old = stale()
        for path in old:
            print(f"out of date: {path.relative_to(ROOT)}; run: python -m docs.generate",
                  file=sys.stderr)
        return 1 if old else 0
    for path, text in pages().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
