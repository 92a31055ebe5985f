"""A 5 MB article indexes correctly (offsets exact, reopened without work); one over the
size limit is a clear error. Fake embeddings: this tests bookkeeping at scale, not
retrieval quality (the real-model build time is in the README's measurements)."""

import time

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from assistant.settings import load_settings
from index.store import ensure_index
from source import ArticleError, load_article
from source.load import MAX_ARTICLE_BYTES

pytestmark = pytest.mark.slow


def five_megabytes(article) -> str:
    """The real article's paragraphs repeated, with headings, to 5 MB of Markdown."""
    paragraphs = [article.text[b.start:b.end] for b in article.blocks if b.kind == "paragraph"]
    parts, size, i = ["# A five-megabyte article"], 0, 0
    while size < 5_000_000:
        text = f"{paragraphs[i % len(paragraphs)]} (Paragraph {i}.)"
        if i % 40 == 0:
            text = f"## Part {i // 40}\n\n{text}"
        parts.append(text)
        size, i = size + len(text) + 2, i + 1
    return "\n\n".join(parts)


def test_five_megabyte_article_indexes_with_exact_offsets(tmp_path, article):
    path = tmp_path / "big.md"
    path.write_text(five_megabytes(article), encoding="utf-8")
    big = load_article(path)
    settings = load_settings(data_dir=tmp_path / "data", article=path)
    fake = DeterministicFakeEmbedding(size=8)
    started = time.perf_counter()
    index = ensure_index(settings, big, fake)
    seconds = time.perf_counter() - started
    print(f"5 MB article: {len(index.sentences):,} sentences, {len(index.windows):,} windows, "
          f"indexed in {seconds:.1f} s (fake embeddings)")
    assert len(index.sentences) > 50_000
    assert index.vectorstore._collection.count() == len(index.windows)
    for s in index.sentences[:: len(index.sentences) // 500]:
        assert big.text[s.start:s.end] == s.text
    paragraphs = sum(b.kind == "paragraph" for b in big.blocks)
    assert index.sentences[-1].text.endswith(f"(Paragraph {paragraphs - 1}.)")  # nothing cut
    again = ensure_index(settings, big, fake)
    assert again.path == index.path


def test_article_over_the_size_limit_is_a_clear_error(tmp_path):
    path = tmp_path / "huge.txt"
    with open(path, "wb") as fh:
        fh.truncate(MAX_ARTICLE_BYTES + 1)
    with pytest.raises(ArticleError, match="over the .*-byte limit"):
        load_article(path)


def test_reopening_uses_saved_sentences_and_survives_a_damaged_file(tmp_path, article):
    settings = load_settings(data_dir=tmp_path / "data")
    fake = DeterministicFakeEmbedding(size=8)
    built = ensure_index(settings, article, fake)
    saved = built.path / "sentences.json"
    assert saved.exists()
    assert ensure_index(settings, article, fake).sentences == built.sentences
    saved.write_text("[[0, 999999, 0]]")  # damaged: the index is rebuilt
    assert ensure_index(settings, article, fake).sentences == built.sentences
