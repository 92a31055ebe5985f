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
