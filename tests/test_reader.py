"""The learned reader's place in the stages, with an honest fake reader (its judgements
are given), then the shipped model itself: it loads from disk, refuses a tampered file,
and tells an answering sentence from a neighbour on a small document written for this."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from assistant.answering.compose import render
from assistant.answering.pipeline import Document, consider
from assistant.answering.question import analyse
from assistant.answering.reader import MODEL_DIR, OnnxReader, Reading, chosen
from assistant.answering.scoring import embed_query
from source.errors import ModelError
from tests.fakes import BagOfWordsEmbeddings, KeywordReaderFake, fake_index
from tests.test_stages import GARDEN, TEST_POLICY

EMB = BagOfWordsEmbeddings()


@pytest.fixture(scope="module")
def doc():
    return Document.of(fake_index(GARDEN))


def ask(doc, question, reader, mode="both"):
    q = analyse(question)
    candidate = consider(q, doc, [embed_query(EMB, q.query)], EMB, TEST_POLICY, reader, mode,
                         depth=len(doc.index.sentences))
    return candidate, "".join(render(candidate.plan(named=False)))


def test_the_reader_refuses_what_no_sentence_answers(doc):
    reader = KeywordReaderFake(answers=())
    candidate, text = ask(doc, "How much honey does a hive give?", reader)
    assert not candidate.verdict.answerable and candidate.verdict.reason.startswith("reader")


def test_the_rules_alone_would_have_answered_that(doc):
    """The guarantee above is the reader's: without it the same question is answered."""
    candidate, _ = ask(doc, "How much honey does a hive give?", None, mode="rules")
    assert candidate.verdict.answerable


def test_the_reader_ranks_and_the_answer_quotes_its_choice(doc):
    reader = KeywordReaderFake(answers=("twelve kilograms",))
    candidate, text = ask(doc, "What does one colony yield?", reader, mode="model")
    assert candidate.verdict.answerable and "twelve kilograms" in text
    assert reader.calls and reader.calls[0][0] == "What does one colony yield?"


def test_a_contradicting_sentence_rejects_the_premise_and_is_quoted(doc):
    reader = KeywordReaderFake(answers=("twelve kilograms",), denies=("sold at local",))
    candidate, text = ask(doc, "Why is the honey never sold?", reader)
    assert candidate.verdict.premise_rejected
    assert text.startswith("The article does not say that") and "sold at local" in text


def test_an_unsure_answer_says_it_is_the_closest_the_article_comes(doc):
    sure = KeywordReaderFake(answers=("twelve kilograms",), confident_threshold=0.0)
    unsure = KeywordReaderFake(answers=("twelve kilograms",), confident_threshold=5.0)
    assert ask(doc, "How much honey?", sure)[1].startswith("The article says:")
    assert ask(doc, "How much honey?", unsure)[1].startswith("The closest the article comes:")


def test_the_reader_reads_only_the_first_stages_best(doc):
    reader = KeywordReaderFake(answers=("twelve kilograms",))
    q = analyse("How much honey does a hive give?")
    consider(q, doc, [embed_query(EMB, q.query)], EMB, TEST_POLICY, reader, "both", depth=3)
    assert reader.calls == [(q.query, 3)]


def test_chosen_keeps_near_ties_best_first_and_drops_the_rest():
    reading = Reading((7, 2, 9), np.asarray([3.0, 2.0, -1.0]), np.zeros(3), 0.0, 0.0)
    assert chosen(reading) == (7, 2)


def test_the_first_stage_breaks_the_readers_near_ties_but_not_its_clear_choice():
    tie = Reading((4, 5), np.asarray([2.0, 2.0]), np.zeros(2), 0.0, 0.0,
                  first=np.asarray([0.1, 0.9]))
    assert chosen(tie)[0] == 5
    clear = Reading((4, 5), np.asarray([6.0, 0.0]), np.zeros(2), 0.0, 0.0,
                    first=np.asarray([0.1, 0.9]))
    assert chosen(clear) == (4,)


# -- model mode: the reader's picks shaped by the document's structure -------------------

REASONS = ("three reasons", "too small")  # the claim's sentence and the first reason


def test_picks_that_span_a_claim_and_a_reason_quote_every_reason(doc):
    reader = KeywordReaderFake(answers=REASONS)
    _, text = ask(doc, "What makes new colonies die off?", reader, mode="model")
    assert "too small" in text and "varroa mites" in text and "open the hive" in text


def test_a_single_pick_in_a_list_is_quoted_alone(doc):
    reader = KeywordReaderFake(answers=("veil and gloves",))
    _, text = ask(doc, "What protects a beekeeper's face?", reader, mode="model")
    assert "veil and gloves" in text and "smoker" not in text


def test_a_question_asking_for_a_list_gets_all_its_items(doc):
    reader = KeywordReaderFake(answers=("veil and gloves",))
    _, text = ask(doc, "List everything a beginner needs.", reader, mode="model")
    assert all(item in text for item in ("solid floor", "veil and gloves", "smoker"))


def test_shaping_without_units_would_drop_the_other_reasons(doc, monkeypatch):
    """The guarantee above is the shaping's: a shape() that never takes the unit fails it."""
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_unit_of_pick", lambda *args: None)
    _, text = ask(doc, "What makes new colonies die off?", KeywordReaderFake(answers=REASONS),
                  mode="model")
    assert "too small" in text and "varroa mites" not in text


# -- the shipped model -------------------------------------------------------------------

SHIPPED = MODEL_DIR / "card.json"
needs_model = pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped reader model")


@pytest.mark.slow
@needs_model
def test_the_shipped_reader_prefers_the_answer_to_its_neighbours():
    reader = OnnxReader().warm_up()
    answers = reader.logits("How long does the ferry take to cross?", [
        "The ferry leaves the harbour every hour.",
        "The crossing takes about forty minutes in calm weather.",
        "Tickets are sold at the kiosk by the pier."])[:, 0]
    assert int(answers.argmax()) == 1
    assert answers[1] >= reader.answer_threshold


@pytest.mark.slow
@needs_model
def test_a_tampered_model_file_is_refused(tmp_path):
    copy = tmp_path / "reader_model"
    shutil.copytree(MODEL_DIR, copy)
    with open(copy / "model.onnx", "r+b") as f:
        f.seek(-16, 2)
        f.write(b"\0" * 16)
    with pytest.raises(ModelError, match="hash"):
        OnnxReader(copy).warm_up()


@needs_model
def test_the_card_holds_thresholds_fitted_on_dev_and_the_size_limit():
    card = json.loads(SHIPPED.read_text("utf-8"))
    assert set(card["thresholds"]) >= {"answerable", "contradicts", "confident"}
    assert card["model_bytes"] <= 40 * 1024 * 1024
    assert (MODEL_DIR / "model.onnx").stat().st_size == card["model_bytes"]
    assert not set(card["dev_documents"]) & set(card["train_documents"])


def test_a_rule_family_switched_off_no_longer_shapes_the_answer(doc):
    """'units' quotes a claim with every reason when the reader's best sentence is the
    claim; without it the same reading quotes the sentences the reader chose."""
    reader = KeywordReaderFake(answers=("three reasons",))
    q = analyse("Why do most new hives fail in winter?")
    vectors = [embed_query(EMB, q.query)]
    depth = len(doc.index.sentences)
    with_units = consider(q, doc, vectors, EMB, TEST_POLICY, reader, "both", depth)
    without = consider(q, doc, vectors, EMB, TEST_POLICY, reader, "both", depth,
                       rules=frozenset({"refusals"}))
    texts = [doc.map.texts[i] for i in with_units.selection.sentence_ids]
    assert any(t.startswith("First") for t in texts) and any(t.startswith("Third") for t in texts)
    assert [doc.map.texts[i] for i in without.selection.sentence_ids] == [
        "There are three reasons for this."]


def test_an_unknown_rule_family_is_one_config_error():
    from assistant.settings import load_settings
    from source.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown rule family 'vibes'"):
        load_settings(rules="units,vibes")


def test_a_yes_no_answer_leads_with_the_readers_verdict(doc):
    """Yes when the verdict sentence affirms, No when it does not; nothing without a head."""
    def answer(affirms):
        reader = KeywordReaderFake(answers=("twelve kilograms",), affirms=affirms)
        q = analyse("Does a hive give much honey?")
        candidate = consider(q, doc, [embed_query(EMB, q.query)], EMB, TEST_POLICY, reader,
                             "both", depth=len(doc.index.sentences))
        return "".join(render(candidate.plan(named=False, yes_no=True)))

    assert answer(("twelve",)).startswith("Yes — “Each hive gives about twelve")
    assert answer(("nothing here",)).startswith("No — “Each hive gives about twelve")
    assert answer(None).startswith("The article says:")
