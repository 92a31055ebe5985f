"""The documentation says what the code does: the generated reference pages are fresh,
every CLI flag and every `ATA_*` variable is on them (and a page missing one fails), and
the README stays short and its links resolve. `make test` also builds the site with
`mkdocs build --strict`, which fails on a broken link between pages."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from docs import generate

ROOT = Path(__file__).resolve().parent.parent


def _parsers(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.ArgumentParser]]:
    """A parser and all its subcommands' parsers, each with its command words."""
    found = [("", parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(f" {name}{words}", p) for words, p in _parsers(sub)]
    return found


def _sections(page: str) -> dict[str, str]:
    """A page's text under each '## ' heading, by heading."""
    parts = re.split(r"^## (.+)$", page, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _env_vars() -> list[str]:
    """Every setting's env var, from the classes themselves (the web app's have a prefix
    of their own)."""
    from assistant.serving.api import ServeSettings
    from assistant.settings import Settings
    from webui.settings import WebSettings

    return sorted({cls.env_name(name) for cls in (Settings, ServeSettings, WebSettings)
                   for name in cls.model_fields})


def undocumented(cli_page: str, config_page: str) -> list[str]:
    """Every flag, argument and command the parsers take that the CLI page does not name
    under its program's heading, and every `ATA_*` variable the configuration page lacks."""
    missing = []
    sections = _sections(cli_page)
    for command, module in generate.PROGRAMS:
        main = __import__(module, fromlist=["main"]).main
        section = sections.get(f"`{command}`", "")
        for words, parser in _parsers(generate.parser_of(main)):
            if words and f"`{command}{words}`" not in section:
                missing.append(f"{command}{words}")
            for action in parser._actions:
                if (isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
                        or action.help is argparse.SUPPRESS):  # hidden: an old, renamed flag
                    continue
                names = action.option_strings or [action.metavar or action.dest.upper()]
                missing += [f"{command}{words}: {n}" for n in names
                            if f"`{n}`" not in section]
    plugin_section = sections.get("`pytest` (the answer-case plugin)", "")
    missing += [f"pytest: {n}" for names, _ in generate.plugin_options() for n in names
                if f"`{n}`" not in plugin_section]
    missing += [env for env in _env_vars() if f"`{env}`" not in config_page]
    return missing


def test_reference_pages_are_generated_from_the_code() -> None:
    stale = [str(p.relative_to(ROOT)) for p in generate.stale()]
    assert not stale, f"out of date: {stale}; run: python -m docs.generate"


def test_every_flag_and_env_var_is_in_the_reference() -> None:
    cli = (generate.REFERENCE / "cli.md").read_text("utf-8")
    config = (generate.REFERENCE / "configuration.md").read_text("utf-8")
    assert undocumented(cli, config) == []
    # what the check counts: all five programs and every setting, not a lucky few
    assert cli.count("\n## `") == len(generate.PROGRAMS) + 1
    assert "`--max-queue`" in cli and "`--answer-baseline`" in cli
    assert len(re.findall(r"`ATA_[A-Z_]+`", config)) >= len(_env_vars())


def test_a_reference_missing_a_flag_or_a_variable_fails_the_check() -> None:
    cli, config = generate.cli_page(), generate.config_page()
    assert undocumented(cli, config) == []
    without_flag = "\n".join(line for line in cli.splitlines() if "`--max-queue`" not in line)
    assert undocumented(without_flag, config) == ["python -m assistant serve: --max-queue"]
    without_command = cli.replace("### `python -m index compile`", "### compile")
    assert undocumented(without_command, config) == ["python -m index compile"]
    without_plugin_flag = cli.replace("`--answer-baseline`", "--answer-baseline")
    assert undocumented(without_plugin_flag, config) == ["pytest: --answer-baseline"]
    without_env = config.replace("`ATA_READER_DEPTH`", "ATA_READER")
    assert undocumented(cli, without_env) == ["ATA_READER_DEPTH"]
def test_readme_is_short_and_its_links_resolve() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert len(readme) <= 10_000, f"README.md is {len(readme):,} characters; move detail "\
        "into docs/"
    targets = re.findall(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"", readme)
    local = [t for pair in targets for t in pair if t and not t.startswith(("http", "#"))]
    assert local, "the README links into docs/"
    broken = [t for t in local if not (ROOT / t.split("#")[0]).exists()]
    assert not broken, f"README links to missing files: {broken}"
