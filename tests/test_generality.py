"""Nothing in source/, index/, assistant/ or webui/ (the example questions, the outline) is
fitted to the bundled article: none of its names (capitalised words inside sentences),
headings or numbers of three digits or more appears in their code, comments included.
The one allowed mention is the bundled file's path."""

import re
from pathlib import Path

from source.load import BUNDLED_ARTICLE

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {"BUNDLED_ARTICLE = "}
# Capitalised words any English code comment may use.
COMMON = {"The", "This", "That", "These", "Those", "What", "Why", "How", "Who", "When",
          "First", "Second", "Secondly", "Third", "Thus", "However", "Russian", "American",
          "European", "United", "States", "Article", "Think", "Tank"}


def article_terms(article) -> set[str]:
    names = set()
    for sentence in re.split(r"(?<=[.!?])\s+", article.text):
        for word in re.findall(r"(?<=\s)[A-Z][\w’'-]{3,}", sentence):
            names.add(word.strip("’'"))
    numbers = set(re.findall(r"\d{3,}", article.text))  # years, sums: "1971", "240"
    return {n for n in names if n not in COMMON} | set(article.headings) | numbers


def offenders(code: str, terms: set[str]) -> list[str]:
    found = []
    for line in code.splitlines():
        if any(a in line for a in ALLOWED):
            continue
        found += [t for t in terms if re.search(rf"\b{re.escape(t)}\b", line)]
    return found


def test_no_name_or_heading_of_the_article_in_the_answering_code(article):
    terms = article_terms(article)
    assert {"Zhengbao", "Kissinger", "Putin", "1971"} <= terms  # it knows what to look for
    for folder in ("source", "index", "assistant", "webui"):
        for path in (ROOT / folder).rglob("*.py"):
            assert offenders(path.read_text("utf-8"), terms) == [], path


def test_the_check_catches_a_planted_name(article):
    planted = 'BONUS = {"Kissinger": 0.2}  # fitted to one article\n'
    assert offenders(planted, article_terms(article)) == ["Kissinger"]
    assert BUNDLED_ARTICLE.name in (ROOT / "source" / "load.py").read_text("utf-8")
