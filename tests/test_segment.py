"""Sentence segmentation and windows: real boundaries, exact offsets."""

from index.segment import MAX_SENTENCE_CHARS, segment, windows
from source import parse_article
from source.markdown import read_markdown


def sentences_of(article):
    return [s.text for s in segment(article)]


def test_every_segment_is_an_exact_slice(article):
    for s in segment(article):
        assert article.text[s.start:s.end] == s.text
        assert s.text == s.text.strip()


def test_ids_are_positions_in_article_order(article):
    segs = segment(article)
    assert [s.id for s in segs] == list(range(len(segs)))
    assert all(a.end <= b.start for a, b in zip(segs, segs[1:], strict=False))


def test_abbreviations_and_money_do_not_split(article):
    texts = sentences_of(article)
    assert ("In 2023, bilateral trade between Moscow and Beijing reached a record $240 billion."
            in texts)
    assert any(t.startswith("A strong U.S. strategy is not about trade") for t in texts)
    assert any("U.S.-Russian rapprochement as a betrayal of the region's interests." in t
               for t in texts)
    assert not any(t in ("U.S.", "S.") for t in texts)


def test_curly_quotes_end_sentences_inside_the_quote(article):
    texts = sentences_of(article)
    assert "Washington is once again talking about a “great diplomatic exchange.”" in texts
    assert any(t.startswith("Just as Henry Kissinger in the 1970s") for t in texts)


def test_list_items_without_final_period_are_sentences(article):
    texts = sentences_of(article)
    assert ("weaken China's geopolitical weight by depriving it of a powerful rear ally in the "
            "north;") in texts
    assert any(t.startswith("reduce the risks of two-front competition") and t.endswith("(Russia)")
               for t in texts)


def test_numbered_items_split_label_from_body(article):
    texts = sentences_of(article)
    assert "Destruction of allied trust." in texts  # marker "1. " is not part of it


def test_each_segment_knows_paragraph_and_section(article):
    segs = segment(article)
    zheng = next(s for s in segs if "Zhengbao" in s.text)
    assert zheng.section == "Why Kissinger Could Do It, but Trump Is Unlikely to"
    block = article.blocks[zheng.paragraph]
    assert block.start <= zheng.start < block.end


def test_windows_stay_inside_a_paragraph_and_cover_every_sentence(article):
    segs = segment(article)
    wins = windows(article, segs, size=2)
    covered = set()
    for w in wins:
        assert article.text[w.start:w.end] == w.text
        assert len({segs[i].paragraph for i in w.sentence_ids}) == 1
        assert list(w.sentence_ids) == sorted(w.sentence_ids)
        assert 1 <= len(w.sentence_ids) <= 2
        covered.update(w.sentence_ids)
    assert covered == set(range(len(segs)))


def test_window_size_three(article):
    segs = segment(article)
    wins = windows(article, segs, size=3)
    assert max(len(w.sentence_ids) for w in wins) == 3


def test_text_without_sentence_punctuation_is_cut_into_readable_pieces():
    words = " ".join(f"point{i} made at length here" for i in range(300))
    art = parse_article(f"# No stops\n\n{words}\n\na closing line without a stop".encode(),
                        "no-stops", read_markdown)
    pieces = segment(art)
    assert all(0 < len(s.text) <= MAX_SENTENCE_CHARS for s in pieces)
    assert all(art.text[s.start:s.end] == s.text for s in pieces)
    # nothing lost: the pieces cover every word of the paragraph, in order
    body = [s.text for s in pieces if s.kind == "paragraph"]
    assert " ".join(body[:-1]).split() == words.split()
    assert pieces[-1].text == "a closing line without a stop"


LEGAL = """# Terms

1.1.
"Owner" means the person who holds the rights.

For this definition, "control" means
(i) the power to direct the entity, or
(ii) ownership of half of its shares.

In no event, whether in contract or in tort or otherwise, shall any party be liable for
damages of any kind arising from the use of the work, including damages for lost data,
lost profits, lost time, lost goodwill, stopped work, failed computers or any other loss;
nor shall any party be liable for damages that a court finds to be indirect, special,
incidental or consequential, even if the party had been told of the chance of such loss.
"""


def _legal():
    return parse_article(LEGAL.encode(), "legal", read_markdown)


def test_a_clause_number_and_an_inline_enumeration_stay_in_their_sentence():
    texts = sentences_of(_legal())
    assert any(t.startswith("1.1.") and t.endswith("holds the rights.") for t in texts)
    assert "1.1." not in texts
    assert any(t.startswith('For this definition, "control" means') and
               t.endswith("ownership of half of its shares.") for t in texts)


def test_a_long_sentence_is_cut_after_a_clause_not_mid_phrase():
    art = _legal()
    long = [s.text for s in segment(art) if "In no event" in s.text or "nor shall" in s.text]
    assert long[0].endswith("any other loss;")
    assert long[1].startswith("nor shall any party")
    assert all(art.text[s.start:s.end] == s.text for s in segment(art))


def test_a_segmenter_without_the_joins_fails_the_tests_above(monkeypatch):
    """The two tests above can fail: pysbd's own split leaves the number alone."""
    import index.segment as seg

    monkeypatch.setattr(seg, "_joined", lambda body, spans: spans)
    assert "1.1." in sentences_of(_legal())


def test_a_run_in_label_is_the_context_of_its_items_sentences():
    """'2. Limits. No party is liable …': the label says what the rest of the item is
    about, so retrieval sees it beside each of its sentences (not beside other items)."""
    from index.segment import context_text

    art = parse_article(b"# Terms\n\n1. Limits. No party is liable for lost data.\n"
                        b"2. Payment is due within a month.\n", "terms", read_markdown)
    sentences = segment(art)
    context = dict(zip((s.text for s in sentences), context_text(art, sentences), strict=True))
    assert "Limits." in context["No party is liable for lost data."]
    assert "Limits." not in context["Payment is due within a month."]


def test_context_without_labels_fails_the_test_above(monkeypatch):
    import index.segment as seg

    monkeypatch.setattr(seg, "is_label", lambda text: False)
    art = parse_article(b"# Terms\n\n1. Limits. No party is liable for lost data.\n",
                        "terms", read_markdown)
    sentences = seg.segment(art)
    assert "Limits." not in seg.context_text(art, sentences)[-1]


def test_a_long_run_without_a_late_break_is_cut_at_its_last_space():
    from index.segment import _pieces

    body = "x" * 100 + " " + "y" * 350
    assert _pieces(body, 0, len(body)) == [(0, 100), (101, 451)]
