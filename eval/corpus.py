"""The reader corpus's held-out documents as eval suites (`--suite corpus-dev`,
`--suite corpus-test`): its questions turned into eval cases, one suite per document.

Corpus dev documents are the split the reader's thresholds were fitted on, so they appear
as `calibrate`; its test documents as `test`. The case files are generated into the
reports folder, never edited by hand: the corpus is their source.
"""

from __future__ import annotations

import json
from pathlib import Path

from eval.suites import Suite

CORPUS_SUITES = {"corpus-dev": "dev", "corpus-test": "test"}
# The corpus's question kinds in the eval's categories (the kind itself stays in `note`).
CATEGORY = {"fact": "fact", "number": "fact", "who": "fact", "how": "fact", "why": "reason",
            "list": "list", "yes-no": "yes-no", "stance": "stance",
            "recommendation": "stance", "definition": "definition", "comparison": "contrast",
            "direction": "direction", "document": "document", "follow-up": "follow-up",
            "unanswerable": "unanswerable", "false-premise": "false-premise"}


def corpus_suites(name: str, out: Path) -> list[Suite]:
    """One suite per document of the corpus split `name` names, case files under `out`."""
    from source.load import load_article
    from training import corpus, splits
    from training.pairs import find_quote

    split = CORPUS_SUITES[name]
    chosen = splits.load()
    documents, _ = corpus.load()
    suites = []
    out.mkdir(parents=True, exist_ok=True)
    for doc in documents:
        if chosen.get(doc.id) != split:
            continue
        text = load_article(doc.path).text
        lines = []
        for q in doc.questions:
            quotes = [text[span[0] : span[1]] for quote in q.gold
                      if (span := find_quote(text, quote))]
            if q.answerable and not quotes:
                continue  # a label the cleaned text cannot place: not a fair case
            lines.append(json.dumps({
                "id": q.id, "category": CATEGORY[q.kind], "question": q.question,
                "answerable": q.answerable, "gold_quotes": quotes if q.answerable else [],
                "history": list(q.history), "note": q.kind,
                "split": "calibrate" if split == "dev" else "test"}))
        path = out / f"{doc.id}.cases.jsonl"
        path.write_text("\n".join(lines) + "\n", "utf-8")
        suites.append(Suite(doc.id, doc.path, path))
    return suites

