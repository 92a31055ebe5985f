"""The reader-question corpus: documents written for it, questions with exact-quote labels.

Stdlib only, so writers can check their files before anything is installed. Documents live
in `corpus/documents/<doc_id>.<md|txt>`, questions in `corpus/questions/<doc_id>.jsonl`,
the train/dev/test split by document in `corpus/splits.json`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
KINDS = ("fact", "number", "who", "why", "how", "list", "yes-no", "stance", "recommendation",
         "definition", "comparison", "direction", "document", "follow-up", "unanswerable",
         "false-premise")
KEYS = {"id", "kind", "question", "answerable", "gold", "history", "verdict", "note"}
# Per document, at least this many questions of a kind (see WRITING.md).
MINIMUMS = {"unanswerable": 13, "false-premise": 3, "follow-up": 3, "document": 2}
MIN_QUESTIONS = 50
WORDS = (600, 3000)
_TOKEN = re.compile(r"[a-z0-9]+")
# Function words do not count towards overlap: they say nothing about copying.
_STOP = frozenset("""a an the of to in on at for by with from and or but not no is are was were
be been being do does did has have had it its this that these those what which who whom whose
why how when where will would can could should may might must shall i you he she we they
me him her us them my your his our their there here as if so than then about into over
under up down out any all some more most much many very just also only does""".split())


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    doc_id: str
    kind: str
    question: str
    answerable: bool
    gold: tuple[str, ...]
    history: tuple[dict, ...] = ()
    verdict: str | None = None

    @property
    def false_premise(self) -> bool:
        return self.kind == "false-premise"


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    path: Path
    text: str
    questions: tuple[Question, ...] = field(default=())


def content_words(text: str) -> set[str]:
    return {w for w in _TOKEN.findall(text.lower()) if w not in _STOP}


def overlap(question: str, gold: tuple[str, ...]) -> float:
    """Share of the question's content words that also occur in its gold sentences."""
    q = content_words(question)
    if not q or not gold:
        return 0.0
    return len(q & content_words(" ".join(gold))) / len(q)


def load(root: Path = CORPUS) -> tuple[list[Document], list[str]]:
    """Every document with its questions, and one line per problem found."""
    errors: list[str] = []
    docs: list[Document] = []
    seen: set[str] = set()
    for path in sorted((root / "documents").glob("*")):
        if path.suffix not in (".md", ".txt"):
            errors.append(f"{path.name}: documents are .md or .txt")
            continue
        doc_id = path.stem
        text = path.read_text("utf-8")
        words = len(text.split())
        if not WORDS[0] <= words <= WORDS[1]:
            errors.append(f"{doc_id}: {words} words; write {WORDS[0]}–{WORDS[1]}")
        qpath = root / "questions" / f"{doc_id}.jsonl"
        if not qpath.exists():
            errors.append(f"{doc_id}: no questions file {qpath.name}")
            continue
        questions = []
        for number, line in enumerate(qpath.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{qpath.name}:{number}"
            try:
                raw = json.loads(line)
                q = _question(raw, doc_id)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                errors.append(f"{where}: malformed ({exc})")
                continue
            errors += [f"{where}: {e}" for e in _problems(q, text, seen)]
            seen.add(q.id)
            questions.append(q)
        kinds = Counter(q.kind for q in questions)
        if len(questions) < MIN_QUESTIONS:
            errors.append(f"{doc_id}: {len(questions)} questions; write at least {MIN_QUESTIONS}")
        for kind, least in MINIMUMS.items():
            if kinds[kind] < least:
                errors.append(f"{doc_id}: {kinds[kind]} {kind} questions; at least {least}")
        docs.append(Document(doc_id, path, text, tuple(questions)))
    for path in sorted((root / "questions").glob("*.jsonl")):
        if not any(d.id == path.stem for d in docs):
            errors.append(f"{path.name}: no document {path.stem}.md or .txt")
    return docs, errors


def _question(raw: dict, doc_id: str) -> Question:
    unknown = set(raw) - KEYS
    if unknown:
        raise KeyError(f"unknown keys {sorted(unknown)}")
    history = tuple(raw.get("history", []))
    for message in history:
        if set(message) != {"role", "content"} or message["role"] not in ("user", "assistant"):
            raise ValueError("history messages are {role: user|assistant, content}")
    return Question(id=str(raw["id"]), doc_id=doc_id, kind=raw["kind"],
                    question=str(raw["question"]), answerable=bool(raw["answerable"]),
                    gold=tuple(raw.get("gold", [])), history=history,
                    verdict=raw.get("verdict"))


def _problems(q: Question, text: str, seen: set[str]) -> list[str]:
    out = []
    if q.id in seen:
        out.append(f"duplicate id {q.id}")
    if q.kind not in KINDS:
        out.append(f"unknown kind {q.kind!r}")
    if not q.question.strip():
        out.append("empty question")
    for quote in q.gold:
        if not quote.strip():
            out.append("empty gold quote")
        elif quote not in text:
            out.append(f"gold is not an exact quote of the document: {quote[:70]!r}")
    if q.kind == "unanswerable" and (q.answerable or q.gold):
        out.append("unanswerable: answerable false and gold []")
    if q.kind == "false-premise" and (q.answerable or not q.gold):
        out.append("false-premise: answerable false, gold = the contradicting sentence(s)")
    if q.kind not in ("unanswerable", "false-premise") and (not q.answerable or not q.gold):
        out.append(f"{q.kind}: answerable true with at least one gold sentence")
    if q.kind == "follow-up" and not q.history:
        out.append("follow-up without history")
    if q.kind == "yes-no" and q.verdict not in ("yes", "no"):
        out.append('yes-no needs "verdict": "yes" or "no"')
    return out


def fingerprint(root: Path = CORPUS) -> str:
    """SHA-256 over every corpus file (names and bytes): the model card's corpus hash."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def summary(docs: list[Document]) -> dict:
    questions = [q for d in docs for q in d.questions]
    answerable = [q for q in questions if q.answerable]
    kinds = Counter(q.kind for q in questions)
    n = max(len(questions), 1)
    return {
        "documents": len(docs),
        "questions": len(questions),
        "words_per_document": round(sum(len(d.text.split()) for d in docs) / max(len(docs), 1)),
        "unanswerable_share": round(kinds["unanswerable"] / n, 3),
        "false_premise_share": round(kinds["false-premise"] / n, 3),
        "mean_overlap": round(sum(overlap(q.question, q.gold) for q in answerable)
                              / max(len(answerable), 1), 3),
        "kinds": dict(sorted(kinds.items())),
    }


def main_check(root: Path = CORPUS, only: str | None = None) -> int:
    docs, errors = load(root)
    if only:
        docs = [d for d in docs if d.id.startswith(only)]
        errors = [e for e in errors if e.startswith(only)]
    for line in errors:
        print(f"error: {line}")
    print(json.dumps(summary(docs), indent=1))
    return 1 if errors else 0
