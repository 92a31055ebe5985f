"""Answer backends behind one small interface, chosen by the `answerer` setting from a
registry: the built-in ones, plus any installed package's under the entry-point group
`ask_the_article.answerers` (as `llm` registers models), so a new answerer is a package,
not an edit here (docs/answerers.md says how to write one)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from assistant.types import Draft, Plan
from source.errors import ConfigError

if TYPE_CHECKING:  # the composed settings import this package's own settings
    from assistant.settings import Settings

ENTRY_POINTS = "ask_the_article.answerers"
log = logging.getLogger(__name__)


@runtime_checkable
class Answerer(Protocol):
    """Writes an answer from a `Plan`; markers [n] refer to `plan.evidence[n - 1]`."""

    name: str
    verbatim: bool  # its claims are the evidence's own text, so there is nothing to check

    def answer(self, question: str, plan: Plan) -> Draft: ...

    def stream(self, question: str, plan: Plan) -> Iterator[str]:
        """Yields the draft text in pieces; the chain resolves markers once it is whole."""
        ...


# What an entry point names: called with the settings and the text after "name:".
Factory = Callable[["Settings", str], Answerer]


def _extractive(settings: Settings, arg: str) -> Answerer:
    from assistant.answerers.extractive import ExtractiveAnswerer

    return ExtractiveAnswerer()


def _endpoint(settings: Settings, arg: str) -> Answerer:
    from assistant.answerers.endpoint import endpoint_answerer

    return endpoint_answerer(settings)


def _local(settings: Settings, arg: str) -> Answerer:
    from assistant.answerers.local import local_answerer

    return local_answerer(settings, arg)


@dataclass(frozen=True, slots=True)
class Registered:
    """One answerer the setting can name: how to write it, and how to make it."""

    usage: str  # how to name it, for error lines: "local:/path/to/model.gguf"
    load: Callable[[], Factory]  # imports nothing until the answerer is chosen
    package: str | None = None  # the distribution that registered it; None if built in


BUILT_IN: dict[str, Registered] = {
    "extractive": Registered("extractive", lambda: _extractive),
    "endpoint": Registered("endpoint", lambda: _endpoint),
    "local": Registered("local:/path/to/model.gguf", lambda: _local),
}


def _from_package(ep: EntryPoint) -> Registered:
    package = ep.dist.name if ep.dist else ep.value
    return Registered(ep.name, ep.load, package)


def registry() -> dict[str, Registered]:
    """Built-ins first; an installed package's answerer under a built-in name is ignored
    (with a warning), so no package can replace the extractive default silently."""
    found = dict(BUILT_IN)
    for ep in entry_points(group=ENTRY_POINTS):
        if ep.name in found:
            log.warning("ignored the answerer %r of %s: the name is taken", ep.name,
                        ep.dist.name if ep.dist else ep.value)
            continue
        found[ep.name] = _from_package(ep)
    return found


def known_answerer(spec: str) -> Registered:
    """The registry's entry for `spec` ("name" or "name:argument"), or one error line
    naming every answerer the setting may name."""
    kind = spec.partition(":")[0]
    known = registry()
    if kind not in known:
        raise ConfigError(f"unknown answerer {spec!r}; use: "
                          f"{', '.join(r.usage for r in known.values())}")
    return known[kind]


class _Checked:
    """A package's answerer, its drafts always put through the support check: its word that
    it only quotes (`verbatim`) is not taken, since nothing here can see that it does."""

    verbatim = False

    def __init__(self, inner: Answerer) -> None:
        self._inner = inner
        self.name = inner.name

    def answer(self, question: str, plan: Plan) -> Draft:
        return replace(self._inner.answer(question, plan), verbatim=False)

    def stream(self, question: str, plan: Plan) -> Iterator[str]:
        return self._inner.stream(question, plan)


def make_answerer(settings: Settings) -> Answerer:
    """The backend `settings.answerer` names; each imports its libraries only when chosen."""
    entry = known_answerer(settings.answerer)
    arg = settings.answerer.partition(":")[2]
    if entry.package is None:
        return entry.load()(settings, arg)
    where = f"the answerer {settings.answerer!r} of {entry.package}"
    try:
        factory = entry.load()
    except Exception as exc:  # noqa: BLE001 - any failure of a package's import is one line
        raise ConfigError(f"{where} could not be loaded: {type(exc).__name__}: {exc}") from None
    made = factory(settings, arg)
    if not isinstance(made, Answerer):
        raise ConfigError(f"{where} made a {type(made).__name__}, not an answerer (it needs "
                          "name, verbatim, answer() and stream())")
    return _Checked(made)
