"""Answer backends behind one small interface, chosen by the `answerer` setting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from assistant.types import Draft, Plan
from source.errors import ConfigError

ANSWERERS = {"extractive": "extractive", "endpoint": "endpoint",
             "local": "local:/path/to/model.gguf"}  # kind: how to name it

if TYPE_CHECKING:  # the composed settings import this package's own settings
    from assistant.settings import Settings


class Answerer(Protocol):
    """Writes an answer from a `Plan`; markers [n] refer to `plan.evidence[n - 1]`."""

    name: str
    verbatim: bool  # its claims are the evidence's own text, so there is nothing to check

    def answer(self, question: str, plan: Plan) -> Draft: ...

    def stream(self, question: str, plan: Plan) -> Iterator[str]:
        """Yields the draft text in pieces; the chain resolves markers once it is whole."""
        ...


def make_answerer(settings: Settings) -> Answerer:
    """The backend `settings.answerer` names; each imports its libraries only when chosen."""
    kind, _, model = settings.answerer.partition(":")
    if kind == "extractive":
        from assistant.answerers.extractive import ExtractiveAnswerer

        return ExtractiveAnswerer()
    if kind == "endpoint":
        from assistant.answerers.endpoint import endpoint_answerer

        return endpoint_answerer(settings)
    if kind == "local":
        from assistant.answerers.local import local_answerer

        return local_answerer(settings, model)
    raise ConfigError(f"unknown answerer {settings.answerer!r}; use: "
                      f"{', '.join(ANSWERERS.values())}")
