"""Per-case metrics: retrieval, citation validity, ALCE citation recall/precision,
faithfulness, key-point recall and refusal, and their aggregation.

ALCE (Gao et al. 2023, "Enabling Large Language Models to Generate Text with
Citations"): a statement is supported when the concatenation of its cited quotes
entails it (citation recall); a citation is irrelevant when it alone does not entail
its statement and removing it does not change whether the statement is supported
(citation precision = share of citations not irrelevant).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from assistant.judging.judges import ENTAILED, Judge, statements
from assistant.types import Answer, Citation, Trace
from eval.cases import Case
from source.article import Article

K_VALUES = (1, 3, 5)


def citation_scores(answer: Answer, judge: Judge) -> dict[str, float | None]:
    """ALCE citation recall and precision, and faithfulness to all cited evidence."""
    if answer.refused or not answer.citations:
        return {"citation_recall": None, "citation_precision": None, "faithfulness": None}
    quotes = {c.id: c.quote for c in answer.citations}
    claims = statements(answer.answer)
    everything = " ".join(quotes[i] for i in sorted(quotes))
    pairs: list[tuple[str, str]] = []
    for st in claims:
        cited = [quotes[i] for i in st.cites if i in quotes]
        pairs.append((" ".join(cited), st.claim))
        pairs.append((everything, st.claim))
        for i in st.cites:
            pairs.append((quotes.get(i, ""), st.claim))
            rest = [quotes[j] for j in st.cites if j != i and j in quotes]
            pairs.append((" ".join(rest), st.claim))
    probs = dict(zip(pairs, judge.entailment(pairs), strict=True))

    def entailed(premise: str, hypothesis: str) -> bool:
        return bool(premise) and probs[(premise, hypothesis)] >= ENTAILED

    supported, faithful, relevant, total = 0, 0, 0, 0
    for st in claims:
        cited = " ".join(quotes[i] for i in st.cites if i in quotes)
        is_supported = entailed(cited, st.claim)
        supported += is_supported
        faithful += entailed(everything, st.claim)
        for i in st.cites:
            total += 1
            alone = entailed(quotes.get(i, ""), st.claim)
            rest = " ".join(quotes[j] for j in st.cites if j != i and j in quotes)
            irrelevant = not alone and entailed(rest, st.claim) == is_supported
            relevant += not irrelevant
    n = len(claims) or 1
    return {"citation_recall": supported / n, "faithfulness": faithful / n,
            "citation_precision": relevant / total if total else 0.0}


def citation_validity(citations: Sequence[Citation], article: Article,
                      others: Mapping[str, Article] | None = None) -> float:
    """Share of citations whose quote is exactly the text at its offsets in the article it
    names (the main one, or one added with `python -m index add`)."""
    if not citations:
        return 1.0
    texts = {a.article_id: a.text for a in (others or {}).values()}
    texts[article.article_id] = article.text
    ok = sum(texts.get(c.article or article.article_id, "")[c.start : c.end] == c.quote
             for c in citations)
    return ok / len(citations)


def key_point_recall(case: Case, answer: Answer) -> float | None:
    """Share of the key points (each with its alternatives) found in the answer text."""
    if not case.key_points:
        return None
    text = answer.answer.lower()
    return sum(any(alt.lower() in text for alt in point) for point in case.key_points) / len(
        case.key_points)


def gold_scores(case: Case, answer: Answer, article: Article) -> dict[str, float | None]:
    """Gold-sentence hits by offsets (not by any judge): whether any gold sentence is cited,
    the share of gold quotes cited, and answer precision — the share of cited quotes that
    are gold or carry a key point, so padding shows."""
    if not case.gold_quotes:
        return {"gold_cited": None, "gold_recall": None, "answer_precision": None}
    spans = []
    for quote in case.gold_quotes:
        start = article.text.find(quote)
        spans.append((start, start + len(quote)))
    main = [c for c in answer.citations if c.article in (None, article.article_id)]

    def hits(c: Citation, span: tuple[int, int]) -> bool:
        return c.start < span[1] and span[0] < c.end

    useful = [c for c in answer.citations
              if (c in main and any(hits(c, sp) for sp in spans))
              or any(alt.lower() in c.quote.lower() for p in case.key_points for alt in p)]
    return {
        "gold_cited": float(any(hits(c, sp) for c in main for sp in spans)),
        "gold_recall": sum(any(hits(c, sp) for c in main) for sp in spans) / len(spans),
        "answer_precision": len(useful) / len(answer.citations) if answer.citations else None,
    }


def retrieval_scores(case: Case, trace: Trace, article_id: str = ""
                     ) -> dict[str, float | None]:
    """Recall@k and reciprocal rank of the gold sentences in the reranked evidence (sentence
    ids are per article: evidence from other articles never matches a gold id)."""
    if not case.gold_sentence_ids:
        return {**{f"recall@{k}": None for k in K_VALUES}, "mrr": None}
    ranking = [e.sentence_id if e.article_id in ("", article_id) else -1
               for e in trace.evidence]
    gold = set(case.gold_sentence_ids)
    out: dict[str, float | None] = {
        f"recall@{k}": len(gold & set(ranking[:k])) / len(gold) for k in K_VALUES}
    first = next((r for r, sid in enumerate(ranking, 1) if sid in gold), None)
    out["mrr"] = 1 / first if first else 0.0
    return out


def case_metrics(case: Case, answer: Answer, trace: Trace, article: Article,
                 judge: Judge | None, others: Mapping[str, Article] | None = None
                 ) -> dict[str, float | bool | None]:
    """Gold quotes are in the main `article`; `others` are added articles answers may cite.
    `judge` None: no judged (ALCE) metrics, because the only judge at hand is the one the
    answers were already checked with."""
    # getattr: reports of the previous answering core (no premise check) are scored too
    rejected = getattr(answer, "premise_rejected", False)
    decision = getattr(trace, "decision", {})
    declined = answer.refused or rejected
    m: dict[str, float | bool | None] = {
        "refused": answer.refused,
        "premise_rejected": rejected,
        "declined": declined,
        "refusal_correct": declined == (not case.answerable),
        "citation_validity": citation_validity(answer.citations, article, others),
        "key_point_recall": key_point_recall(case, answer),
        "latency_ms": answer.timings_ms.get("total"),
        "best_score": decision.get("best"),
        "foreign_share": decision.get("foreign_share"),
        # 0 when the support check replaced the answerer's draft with the extractive one.
        "own_answer": None if answer.refused else float("→" not in answer.answerer),
        **(gold_scores(case, answer, article) if case.answerable else
           {"gold_cited": None, "gold_recall": None, "answer_precision": None}),
        **retrieval_scores(case, trace, article.article_id),
        **(citation_scores(answer, judge) if judge is not None else
           {"citation_recall": None, "citation_precision": None, "faithfulness": None}),
    }
    m["passed"] = passed(case, m)
    return m


def passed(case: Case, m: dict) -> bool:
    """A pass means the answer answers. Answerable: not declined, every quote exact, every
    key point present and a gold sentence cited. Not answerable: refused; a false premise
    may instead be rejected with a quote of what the document says."""
    if not case.answerable:
        if case.category == "false-premise":
            return bool(m["refused"] or m["premise_rejected"])
        return bool(m["refused"])
    if m["declined"] or m["citation_validity"] < 1.0:
        return False
    return bool(m["gold_cited"]) and (m["key_point_recall"] is None
                                      or m["key_point_recall"] == 1.0)


def aggregate(rows: Sequence[dict], cases: Sequence[Case]) -> dict[str, float | None]:
    """Means over the cases where a metric applies, plus pass rates and refusal P/R
    (declining = refusing or rejecting the premise)."""
    keys = ["citation_validity", "citation_recall", "citation_precision", "faithfulness",
            "key_point_recall", "gold_recall", "answer_precision",
            *(f"recall@{k}" for k in K_VALUES), "mrr", "own_answer"]
    out: dict[str, float | None] = {}
    for key in keys:
        values = [r[key] for r in rows if r.get(key) is not None]
        out[key] = round(statistics.fmean(values), 4) if values else None
    out["pass_rate"] = round(statistics.fmean(r["passed"] for r in rows), 4) if rows else None
    for key in ("raw_passed", "check_changed"):  # generating answerers only
        flags = [r[key] for r in rows if key in r]
        if flags:
            name = "raw_pass_rate" if key == "raw_passed" else "check_changed_share"
            out[name] = round(statistics.fmean(flags), 4)
    answerable = [r["passed"] for r, c in zip(rows, cases, strict=True) if c.answerable]
    out["answer_pass_rate"] = round(statistics.fmean(answerable), 4) if answerable else None
    premises = [r["passed"] for r, c in zip(rows, cases, strict=True)
                if c.category == "false-premise"]
    out["false_premise_handled"] = f"{sum(premises)}/{len(premises)}" if premises else None
    expected = [not c.answerable for c in cases]
    got = [bool(r["declined"]) for r in rows]
    tp = sum(e and g for e, g in zip(expected, got, strict=True))
    out["refusal_precision"] = round(tp / sum(got), 4) if sum(got) else None
    out["refusal_recall"] = round(tp / sum(expected), 4) if sum(expected) else None
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    if len(latencies) >= 2:
        out["latency_p50_ms"] = round(statistics.median(latencies), 1)
        out["latency_p95_ms"] = round(statistics.quantiles(latencies, n=20)[-1], 1)
    out["cases"] = len(rows)
    return out
