"""Markers and citations: one-to-one, renumbered, quotes sliced from the article."""

from assistant.citations import markers, resolve
from assistant.types import Draft, Evidence


def evidence_from(article, *needles):
    out = []
    for n in needles:
        start = article.text.index(n)
        out.append(Evidence(len(out), n, start, start + len(n), None, "paragraph", 1.0))
    return out


def test_markers_renumbered_in_order_of_first_use(article):
    ev = evidence_from(article, "Zhengbao", "$240 billion", "Kim Jong-un")
    text, cites = resolve(Draft("B [3]. A [1]. B again [3]."), ev, article)
    assert text == "B [1]. A [2]. B again [1]."
    assert [c.quote for c in cites] == ["Kim Jong-un", "Zhengbao"]
    assert sorted(set(markers(text))) == [c.id for c in cites]


def test_invented_numbers_are_dropped_not_shown(article):
    ev = evidence_from(article, "Zhengbao")
    text, cites = resolve(Draft("Real [1]. Made up [7]. Zero [0]."), ev, article)
    assert text == "Real [1]. Made up. Zero."
    assert len(cites) == 1


def test_quote_is_the_article_slice_even_if_evidence_text_differs(article):
    start = article.text.index("Zhengbao")
    typed = Evidence(0, "Zhengbao island (typed by a model)", start, start + 8, "S", "paragraph", 1)
    _, cites = resolve(Draft("X [1]"), [typed], article)
    assert cites[0].quote == "Zhengbao" == article.text[cites[0].start:cites[0].end]


def test_refused_draft_has_no_citations(article):
    ev = evidence_from(article, "Zhengbao")
    text, cites = resolve(Draft("The article doesn't say [1].", refused=True), ev, article)
    assert cites == [] and "[1]" not in text
