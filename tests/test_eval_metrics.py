"""Eval metrics on hand-made answers, judged by an honest fake: `SubstringJudge` says a
premise entails a claim exactly when the claim's text appears inside the premise."""

from assistant.judging.judges import claim, statements
from assistant.types import Answer, Citation, Evidence, Trace
from eval.cases import Case
from eval.compare import compare
from eval.metrics import (
    aggregate,
    case_metrics,
    citation_scores,
    citation_validity,
    passed,
    retrieval_scores,
)


class SubstringJudge:
    name = "substring-fake"

    def entailment(self, pairs):
        return [1.0 if h and h.rstrip(".") in p else 0.0 for p, h in pairs]


def cite(i, quote):
    return Citation(i, quote, 0, len(quote), None)


def test_statements_split_at_marker_groups():
    text = ("According to the article, “A is true.” [1] It also says: “B holds.” [2][3] "
            "Uncited tail.")
    got = statements(text)
    assert [s.claim for s in got] == ["A is true.", "B holds.", "Uncited tail."]
    assert [s.cites for s in got] == [(1,), (2, 3), ()]


def test_claim_strips_attribution_and_quotes():
    assert claim("The article says that “X happened.” [2]") == "X happened."
    assert claim("It adds: “Y.”") == "Y."


def test_alce_recall_and_precision():
    answer = Answer("q", "“A is true.” [1] “B holds.” [2][3]", False,
                    [cite(1, "A is true."), cite(2, "B holds."), cite(3, "Unrelated.")])
    scores = citation_scores(answer, SubstringJudge())
    assert scores["citation_recall"] == 1.0
    assert scores["faithfulness"] == 1.0
    assert scores["citation_precision"] == 2 / 3  # [3] neither entails nor is needed


def test_wrong_citation_is_unsupported_but_still_faithful_overall():
    answer = Answer("q", "“A is true.” [2] “B holds.” [1]", False,
                    [cite(1, "A is true."), cite(2, "B holds.")])
    # each claim points at the other claim's quote
    scores = citation_scores(answer, SubstringJudge())
    assert scores["citation_recall"] == 0.0
    assert scores["faithfulness"] == 1.0
    assert scores["citation_precision"] == 0.0


def test_refusal_has_no_citation_scores():
    answer = Answer("q", "The article doesn't say.", True, [])
    assert citation_scores(answer, SubstringJudge())["citation_recall"] is None


def test_retrieval_recall_and_mrr():
    case = Case("c", "fact", "q", True, ("s",), gold_sentence_ids=(7, 9))
    ev = [Evidence(i, "t", 0, 1, None, "paragraph", 1.0) for i in (3, 7, 5, 1, 9)]
    got = retrieval_scores(case, Trace("q", ev))
    assert got["recall@1"] == 0.0 and got["recall@3"] == 0.5 and got["recall@5"] == 1.0
    assert got["mrr"] == 0.5


def test_refusal_precision_recall_in_aggregate():
    cases = [Case("a", "fact", "q", True), Case("b", "unanswerable", "q", False),
             Case("c", "unanswerable", "q", False)]
    rows = [{"declined": True, "passed": False}, {"declined": True, "passed": True},
            {"declined": False, "passed": False}]
    agg = aggregate(rows, cases)
    assert agg["refusal_precision"] == 0.5 and agg["refusal_recall"] == 0.5
    assert agg["pass_rate"] == round(1 / 3, 4)


def report(pass_flags, faithfulness):
    return {"aggregate": {"faithfulness": faithfulness, "citation_validity": 1.0},
            "cases": [{"id": str(i), "category": "fact", "question": "q",
                       "metrics": {"passed": p}} for i, p in enumerate(pass_flags)]}


def test_compare_flags_metric_drops_and_broken_cases():
    thresholds = {"max_drop": {"faithfulness": 0.05}, "floor": {"citation_validity": 1.0}}
    base = report([True, True, False], 0.95)
    assert compare(base, report([True, True, True], 0.93), thresholds) == []
    found = compare(base, report([True, False, False], 0.80), thresholds)
    assert {f.kind for f in found} == {"metric", "case"}
    assert any(f.name == "1" for f in found)


def test_metrics_with_an_added_article():
    from source import parse_article
    from source.markdown import read_markdown

    main = parse_article(b"# Main\n\nAlpha beta gamma.", "main", read_markdown)
    other = parse_article(b"# Other\n\nDelta epsilon.", "other", read_markdown)
    s, e = other.text.index("Delta epsilon."), other.text.index("Delta epsilon.") + 14
    good = Citation(1, "Delta epsilon.", s, e, None, "other")
    wrong = Citation(2, "Delta epsilon.", s, e, None, "main")  # right offsets, wrong article
    assert citation_validity([good], main, {"other": other}) == 1.0
    assert citation_validity([good, wrong], main, {"other": other}) == 0.5
    # evidence from another article never counts as a gold sentence of the main one
    case = Case("c", "fact", "q", True, ("s",), gold_sentence_ids=(7,))
    ev = [Evidence(7, "t", 0, 1, None, "paragraph", 1.0, "other"),
          Evidence(7, "t", 0, 1, None, "paragraph", 0.9, "main")]
    got = retrieval_scores(case, Trace("q", ev), "main")
    assert got["recall@1"] == 0.0 and got["mrr"] == 0.5


def _article():
    from source import parse_article
    from source.markdown import read_markdown

    return parse_article(b"# T\n\nAlpha holds. Beta follows. Gamma differs. Delta ends.",
                         "t", read_markdown)


def _answer(article, *quotes, refused=False):
    cites = [Citation(n, q, article.text.index(q), article.text.index(q) + len(q), None, "t")
             for n, q in enumerate(quotes, 1)]
    text = " ".join(f"“{q}” [{c.id}]" for q, c in zip(quotes, cites, strict=True))
    return Answer("q", text, refused, cites)


def test_a_pass_needs_every_key_point_and_a_gold_sentence():
    article = _article()
    case = Case("c", "list", "q", True, ("Alpha holds.", "Beta follows."),
                (("alpha",), ("beta",)))
    trace = Trace("q")

    def metrics(answer):
        return case_metrics(case, answer, trace, article, SubstringJudge())

    assert metrics(_answer(article, "Alpha holds.", "Beta follows."))["passed"]
    # the claim without its second point: a gold sentence is cited, yet it does not pass
    half = metrics(_answer(article, "Alpha holds."))
    assert half["gold_cited"] == 1.0 and half["gold_recall"] == 0.5 and not half["passed"]
    # padding shows in answer precision (and gold recall does not hide it)
    padded = metrics(_answer(article, "Alpha holds.", "Beta follows.", "Gamma differs.",
                             "Delta ends."))
    assert padded["passed"] and padded["answer_precision"] == 0.5


def test_false_premise_passes_when_refused_or_rejected_and_unanswerable_only_when_refused():
    premise = Case("p", "false-premise", "q", False)
    unanswerable = Case("u", "unanswerable", "q", False)
    rejected = {"refused": False, "premise_rejected": True}
    assert passed(premise, rejected) and not passed(unanswerable, rejected)
    assert passed(unanswerable, {"refused": True, "premise_rejected": False})
