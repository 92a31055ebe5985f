"""`python -m eval init DOCUMENT`: start a case file for any document.

Writes a template a person fills in: one line per section heading (and for the title),
each with a real sentence from that section to build a question on, and two
unanswerable examples. Gold quotes are left empty on purpose: the template never
invents what the answer is, and the loader refuses an answerable case without one.
"""

from __future__ import annotations

import json
from pathlib import Path

from index.segment import segment
from source.errors import AppError
from source.load import load_article


def template(document: Path, per_section: int = 1) -> list[dict]:
    article = load_article(document)
    sentences = segment(article)
    rows: list[dict] = []
    sections: dict[str | None, list[str]] = {}
    for s in sentences:
        if s.kind in ("paragraph", "list_item"):
            sections.setdefault(s.section, []).append(s.text)
    for n, (section, texts) in enumerate(sections.items(), 1):
        where = section or article.title
        example = next((t for t in texts if len(t.split()) >= 6), texts[0])
        rows.append({
            "id": f"todo-{n:02d}", "category": "fact",
            "question": f"TODO: a reader's question about “{where}”",
            "answerable": True, "gold_quotes": [], "key_points": [], "history": [],
            "note": f"TODO: pick gold quotes, e.g. “{example[:160]}”",
            "split": "calibrate" if n % 2 else "test"})
    for n, split in enumerate(("calibrate", "test"), 1):
        rows.append({"id": f"todo-unanswerable-{n:02d}", "category": "unanswerable",
                     "question": "TODO: a question the document does not answer",
                     "answerable": False, "gold_quotes": [], "key_points": [],
                     "history": [], "note": "", "split": split})
    return rows


def write(document: Path, out: Path | None) -> Path:
    out = out or document.with_name(document.name.split(".")[0] + ".cases.jsonl")
    if out.exists():
        raise AppError(f"{out} exists; pass --out to write elsewhere (nothing overwritten)")
    rows = template(document)
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return out
