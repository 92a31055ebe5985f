"""Stage 4, composition: the extractive answer laid out as a reader expects it. A short
framing line in our words (never a claim about the world), then each quote with its
`[n]`; lists as lists. Quotes come from `Evidence.text`, which is always the article's
own slice; `citations.resolve` slices them again by offset for the citation list."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.citations import marker
from assistant.types import Plan

_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}


def render(plan: Plan) -> Iterator[str]:
    """The answer text in pieces (one per line), for streaming."""
    ev = plan.evidence
    groups = plan.groups or tuple((n,) for n in range(1, len(ev) + 1)
                                  if n not in plan.lead)

    def quote(group: tuple[int, ...]) -> str:
        return " ".join(f"“{ev[n - 1].text}”{marker(n)}" for n in group)

    prefix = f"From “{plan.source}”: " if plan.source else ""
    says = (f"From “{plan.source}”:" if plan.source else "The article says:") if (
        plan.confident) else (f"The closest “{plan.source}” comes:" if plan.source
                              else "The closest the article comes:")
    if plan.verdict is not None and plan.confident:  # the verdict leads: "Yes — “…” [1]"
        says = f"{prefix}{'Yes' if plan.verdict == 'yes' else 'No'} —"
    if plan.layout == "correction":
        yield f"{prefix}The article does not say that. What it says: {quote(groups[0])}"
        for group in groups[1:]:
            yield f"\n{quote(group)}"
        return
    if plan.layout in ("list", "summary") and len(groups) > 1:
        count = _NUMBERS.get(len(groups), str(len(groups)))
        if plan.lead:
            yield f"{prefix}{quote(plan.lead)}"
        elif plan.layout == "summary":
            yield f"{prefix}In {count} points, in the article's words:"
        else:
            yield f"{prefix}The article lists {count} points:"
        for group in groups:
            yield f"\n- {quote(group)}"
        return
    if len(groups) == 1:
        yield f"{says} {quote(groups[0])}"
        return
    yield says
    for group in groups:
        yield f"\n- {quote(group)}"
