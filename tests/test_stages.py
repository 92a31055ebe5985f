"""The answering stages one by one, on small documents written here (no article of this
project), with the bag-of-words fake embedding: question analysis, document structure,
evidence selection, composition and the refusal policy."""

import math
import threading

import pytest

from assistant.answering.answerability import Policy, load_policy
from assistant.answering.compose import render
from assistant.answering.pipeline import Document, consider
from assistant.answering.question import analyse
from assistant.answering.scoring import embed_query
from tests.fakes import BagOfWordsEmbeddings, fake_index

GARDEN = """# Keeping Bees in a City Garden

Urban beekeeping is growing fast. Is it safe for the neighbours?

## Why Hives Fail

Most new hives fail in their first winter. There are three reasons for this.
First, the colony is too small to keep warm. Secondly, varroa mites weaken the bees.
Third, beginners open the hive too often in the cold.

## What a Beekeeper Needs

A beginner needs a few things:

- a hive with a solid floor;
- a veil and gloves;
- a smoker to calm the bees.

## Honey

Each hive gives about twelve kilograms of honey a year. The honey is sold at local
markets.

## Conclusion

City bees need careful keepers. Thus, a small garden can feed a strong colony.
"""

EMB = BagOfWordsEmbeddings()


@pytest.fixture(scope="module")
def doc():
    return Document.of(fake_index(GARDEN))


TEST_POLICY = Policy(min_score=0.2, max_foreign=0.5)  # for the fake embedding's scale


def ask(doc, question, policy=TEST_POLICY):
    q = analyse(question)
    candidate = consider(q, doc, [embed_query(EMB, q.query)], EMB, policy)
    return candidate, "".join(render(candidate.plan(named=False)))


@pytest.mark.parametrize(("question", "intent"), [
    ("Why do new hives fail?", "why"),
    ("What are the risks for a beginner?", "list"),
    ("How much honey does a hive give?", "number"),
    ("When did the city ban hives?", "when"),
    ("Who sells the honey?", "who"),
    ("Is urban beekeeping safe?", "yesno"),
    ("What is the main thesis?", "document"),
    ("Summarize the text in 2 points", "document"),
    ("What is this document?", "document"),  # what it is: its title and lead
    ("What is a hive?", "definition"),
    ("What counts as a hive here?", "definition"),
    ("What counts most for a keeper?", "fact"),
])
def test_question_intents(question, intent):
    assert analyse(question).intent == intent


def test_names_are_capitalised_words_inside_a_sentence():
    assert analyse("Who wrote it? Forget that. Ask Napoleon about NATO.").names == (
        "Napoleon", "NATO")


def test_question_direction_premise_and_count():
    q = analyse("What does the colony get from the keeper?")
    assert q.receiver == ("coloni",) and q.giver == ("keeper",)
    assert analyse("Why does the author believe hives never fail?").premise == (
        "hives never fail")
    assert analyse("Summarize it in three points").count == 3


def test_structure_finds_pointers_units_and_the_closing(doc):
    text = doc.map.texts
    roles = dict(zip(text, doc.map.roles, strict=True))
    assert roles["Why Hives Fail"] == "heading"
    assert roles["A beginner needs a few things:"] == "lead_in"
    assert roles["Is it safe for the neighbours?"] == "question"
    units = [[text[i] for item in u.items for i in item] for u in doc.map.units]
    assert ["a hive with a solid floor;", "a veil and gloves;",
            "a smoker to calm the bees."] in units
    reasons = next(u for u in doc.map.units if text[u.claim].startswith("There are three"))
    assert [text[item[0]].split(",")[0] for item in reasons.items] == [
        "First", "Secondly", "Third"]
    assert text[doc.map.last[-1]].startswith("Thus, a small garden")


def test_a_why_question_gets_the_claim_and_every_reason(doc):
    candidate, text = ask(doc, "Why do most new hives fail in winter?")
    assert candidate.verdict.answerable
    for reason in ("First,", "Secondly,", "Third,"):
        assert reason in text
    assert text.count("[") == 5  # the claim, its framing sentence and three reasons


def test_a_lead_in_is_never_the_whole_answer(doc):
    _, text = ask(doc, "What does a beginner need?")
    assert "a veil and gloves" in text and "a smoker" in text and "\n- " in text


def test_a_one_fact_question_gets_one_quote(doc):
    _, text = ask(doc, "How much honey does each hive give a year?")
    assert text.count("[") == 1 and "twelve kilograms" in text


def test_document_level_questions_use_the_closing(doc):
    candidate, text = ask(doc, "What is the author's final message?")
    assert candidate.verdict.answerable and "a small garden can feed" in text


def test_refusals_foreign_names_missing_numbers_and_low_scores(doc):
    for question in ("What does Napoleon think of bees?",  # a name the text never uses
                     "How much does a veil cost?",  # a number the evidence lacks
                     "How do I repair a bicycle chain?"):  # nothing close
        candidate, _ = ask(doc, question)
        assert not candidate.verdict.answerable, (question, candidate.verdict)


def test_a_contradicted_premise_is_rejected_with_the_evidence(doc):
    candidate, text = ask(doc, "Why does the author say honey is not sold at markets?")
    assert candidate.verdict.premise_rejected
    assert text.startswith("The article does not say that.") and "local markets" in text


def test_min_score_zero_means_zero(tmp_path):
    """--min-score 0 must mean 0, not "the default" (a falsy-value bug seen before)."""
    assert load_policy(tmp_path / "missing.json", min_score=0.0).min_score == 0.0
    assert load_policy(tmp_path / "missing.json").min_score == Policy().min_score


def test_the_calibrated_values_are_the_ones_the_app_reads():
    """A damaged or unreadable calibration file would silently fall back to defaults:
    check the shipped one is read as written."""
    import json

    from assistant.answering.answerability import CALIBRATION_FILE

    data = json.loads(CALIBRATION_FILE.read_text("utf-8"))
    policy = load_policy()
    assert (policy.min_score, policy.max_foreign) == (data["min_score"], data["max_foreign"])
    assert policy.min_support == data.get("min_support", Policy().min_support)


def test_a_broken_policy_fails_the_refusal_tests(doc):
    """The refusal test above can fail: an open policy answers a question it must not."""
    candidate, _ = ask(doc, "How do I repair a bicycle chain?",
                       Policy(min_score=-math.inf, max_foreign=math.inf))
    assert candidate.verdict.answerable


MARKET = """# Selling Honey

## Gains

Selling honey could help a keeper in many ways. It could:

- pay for new hives and frames;
- bring local buyers to the garden.

However, these gains are small and seasonal. Most keepers sell at a loss.
"""


def test_a_judging_question_gets_the_authors_verdict_on_a_list():
    """'Does the author think …?' about a list the next sentence turns against ("However,
    these gains are small"): the verdict answers, not the list it judges."""
    market = Document.of(fake_index(MARKET))
    _, text = ask(market, "Does the author think selling honey helps a keeper?")
    assert "However, these gains are small and seasonal." in text
    assert "pay for new hives" not in text
    _, listed = ask(market, "What could selling honey do for a keeper?")
    assert "pay for new hives" in listed and "local buyers" in listed


def test_a_sentence_opening_with_a_pronoun_is_about_the_name_before_it():
    """'The main buyer is Anna. She takes …': a question about Anna finds the second
    sentence by her name, which only the sentence before it says."""
    from assistant.answering.scoring import Lexicon
    from assistant.terms import tokenize

    index = fake_index("# Buyers\n\nThe main buyer is Anna. She takes the spring honey and "
                       "the wax.\n\nThey pay in cash. Tom sells wax.\n")
    lexicon = Lexicon.of(index)
    text = {s.id: s.text for s in index.sentences}
    anna = tokenize("Anna")[0]
    assert {text[int(i)] for i in lexicon.own[anna]} == {
        "The main buyer is Anna.", "She takes the spring honey and the wax."}
    # only within the paragraph, and only for a pronoun opening
    assert all(not text[int(i)].startswith(("They", "Tom")) for i in lexicon.own[anna])


def test_a_premise_with_the_roles_reversed_is_rejected():
    """'Why does the author describe A as unreliable?' when the text says B is: the names
    trade places, no negation involved. The same question with the roles right stands."""
    trade = "# Trade\n\nTom is an unreliable supplier of wax. Anna pays Tom on time.\n"
    market = Document.of(fake_index(trade))
    wrong, text = ask(market, "Why does the author describe Anna as an unreliable "
                              "supplier for Tom?")
    assert wrong.verdict.premise_rejected and "Tom is an unreliable supplier" in text
    right, _ = ask(market, "Why does the author describe Tom as an unreliable supplier "
                           "for Anna?")
    assert right.verdict.answerable and not right.verdict.premise_rejected


def test_the_other_way_round_asks_the_last_question_reversed():
    from assistant.history import FollowUpCondenser

    history = [{"role": "user", "content": "What does the colony get from the Keeper?"},
               {"role": "assistant", "content": "Shelter [1]."}]
    for follow_up in ("And the other way round?", "vice versa?", "What about the reverse?"):
        query = FollowUpCondenser().condense(follow_up, history)
        assert query == "What does the Keeper get from the colony?", follow_up
        q = analyse(follow_up, query)
        assert (q.receiver, q.giver, q.names) == (("keeper",), ("coloni",), ("Keeper",))
    # without a direction to reverse, it stays an ordinary follow-up
    plain = [{"role": "user", "content": "Why do hives fail?"}]
    assert FollowUpCondenser().condense("And the other way round?", plain).startswith(
        "Why do hives fail?")


ESSAY = """# Rain Gardens

Rain gardens catch water from roofs. They need little care once planted.

Clay soil drains slowly, so a garden on clay needs gravel. Sandy soil drains fast.

So rain gardens are worth their cost. They cut flooding in the street.

A city that pays for them saves on drains later. Every street can have one.
"""


def test_the_conclusion_is_the_closing_paragraphs_opening_points():
    """A conclusion drawn over two closing paragraphs: each one's opening sentence."""
    essay = Document.of(fake_index(ESSAY))
    candidate, text = ask(essay, "What does the author conclude?")
    assert candidate.verdict.answerable
    assert "So rain gardens are worth their cost." in text
    assert "A city that pays for them saves on drains later." in text
    assert "They cut flooding" not in text  # one point per paragraph, no padding


NAMED = ("# The Acme Public Licence\n\nA copy of the Acme Public Licence is kept at the "
         "office.\n\nDisputes go to the court of the town.\n")
HUB = "A copy of the Acme Public Licence is kept at the office."
COURT = "Which court handles disputes under the Acme Public Licence?"


def _scores(text, question, kind="lexical"):
    from assistant.answering.scoring import Lexicon, score

    index = fake_index(text)
    q = analyse(question)
    got = getattr(score(q, index, Lexicon.of(index), embed_query(EMB, q.query)), kind)
    return {s.text: float(got[s.id]) for s in index.sentences}


def test_the_documents_own_name_does_not_make_a_sentence_an_answer():
    """'Which court … under the Acme Public Licence?': every sentence is about the licence,
    so the one that repeats its name gains nothing, in words or in the embedding; asked
    about the name alone, it still does."""
    assert _scores(NAMED, COURT)[HUB] == 0.0
    assert _scores(NAMED, COURT)["Disputes go to the court of the town."] >= 0.5
    assert _scores(NAMED, "Where is the Acme Public Licence?")[HUB] > 0.5
    dense = _scores(NAMED, COURT, "dense")
    assert dense["Disputes go to the court of the town."] > dense[HUB]


def test_scoring_that_counts_the_name_fails_the_test_above(monkeypatch):
    import assistant.answering.scoring as scoring

    monkeypatch.setattr(scoring, "_without", lambda query, title: query)
    dense = _scores(NAMED, COURT, "dense")
    assert dense["Disputes go to the court of the town."] < dense[HUB]
    monkeypatch.setattr(scoring, "_telling", lambda question, lexicon: question.focus)
    assert _scores(NAMED, COURT)[HUB] > 0.0


def test_the_document_is_called_by_name_or_by_its_initials_not_by_one_word():
    """'the Acme Public Licence', 'the APL': the reader names the document; 'Acme' alone
    may be an actor the title names, which the question is about."""
    from assistant.answering.scoring import Lexicon, _calls_by_name

    lexicon = Lexicon.of(fake_index(NAMED))
    assert "apl" in lexicon.named
    assert _calls_by_name("Which court handles disputes under the APL?", lexicon)
    assert _calls_by_name(COURT, lexicon)
    assert not _calls_by_name("Which court handles disputes for Acme?", lexicon)


RULES = """# Garden Rules

## Words

"Kit" means any of the following:

- a spade kept in the shed;
- a rake bought by the club.

## Limits

The club pays for no tool damage:

- for a tool that a member has lent out; or
- for damage caused by: (i) rain left on the blade, or (ii) a fall from the cart.
"""


@pytest.fixture(scope="module")
def rules():
    return Document.of(fake_index(RULES))


def test_a_definition_given_as_a_list_is_answered_with_the_whole_list(rules):
    """'"Kit" means any of the following: - a spade; - a rake.': the definition is the
    lead-in and every item, not the one item that matches best."""
    _, text = ask(rules, "What counts as kit?")
    assert "a spade kept in the shed;" in text and "a rake bought by the club." in text
    assert rules.map.roles[4] == "content"  # the list's last item is no run-in heading


def test_a_list_item_that_is_itself_a_lead_in_is_quoted_with_what_follows(rules):
    _, text = ask(rules, "In which cases does the club not pay for tool damage?")
    assert "for damage caused by:" in text and "(ii) a fall from the cart." in text


def test_units_without_those_rules_fail_the_tests_above(rules, monkeypatch):
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_defined_by_list", lambda question, doc, best: False)
    monkeypatch.setattr(evidence, "MAX_SUBITEMS", 0)
    _, text = ask(rules, "What counts as kit?")
    assert not ("a spade kept in the shed;" in text and "a rake bought by the club." in text)
    _, text = ask(rules, "In which cases does the club not pay for tool damage?")
    assert "(ii) a fall from the cart." not in text


SALE = ("# Honey Sales\n\n## Selling\n\nA member may sell the club honey at a fair price. "
        "However, only at the town market on a Saturday.\n\n## Wax\n\nWax is kept for candles.\n")


def test_a_yes_no_answer_keeps_the_however_that_qualifies_it():
    """'Can I sell the honey?' → 'You may … However, only at the market.': the however
    is part of the answer, or the reader gets a yes the document does not give."""
    sale = Document.of(fake_index(SALE))
    _, text = ask(sale, "Can a member sell the club honey?")
    assert "may sell the club honey" in text and "However, only at the town market" in text


def test_an_answer_without_the_qualifier_fails_the_test_above(monkeypatch):
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_turn_after", lambda doc, i: None)
    sale = Document.of(fake_index(SALE))
    _, text = ask(sale, "Can a member sell the club honey?")
    assert "However, only at the town market" not in text


DATED = ("# Garden Rules, March 2019\n\nYou may plant bulbs in the beds before the frost.\n\n"
         "The club meets in the garden hall.\n")


def test_a_when_question_about_the_document_can_be_answered_by_its_dated_title():
    """'When were the rules written?' The date is in the title ("…, March 2019"), and
    'may' the verb is no month."""
    from assistant.answering.evidence import _TIME

    dated = Document.of(fake_index(DATED))
    _, text = ask(dated, "When were the garden rules written?")
    assert "March 2019" in text
    assert not _TIME.search("You may plant bulbs") and _TIME.search("on 3 May 2020")


def test_a_title_that_is_never_evidence_fails_the_test_above(monkeypatch):
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_DATED", __import__("re").compile(r"(?!)"))
    dated = Document.of(fake_index(DATED))
    _, text = ask(dated, "When were the garden rules written?")
    assert "March 2019" not in text


LONG = ("# Terms\n\n## Liability\n\nIn no event, whether in contract or in tort or otherwise, "
        "shall any party be liable for damages of any kind arising from the use of the work, "
        "including damages for lost data, lost profits, lost time, lost goodwill, stopped work, "
        "failed computers or any other loss; nor shall any party be liable for damages that a "
        "court finds to be indirect, special, incidental or consequential, even if the party "
        "had been told of the chance of such loss.\n\n## Fees\n\nNo fee is charged.\n")


def test_a_sentence_cut_for_length_is_quoted_whole():
    """The answer is in the second piece of a long sentence ("nor shall any party …"): the
    quote starts where the sentence does, each piece still cited by its offsets."""
    doc = Document.of(fake_index(LONG))
    assert any(s.text.startswith("nor shall") for s in doc.index.sentences)  # it was cut
    _, text = ask(doc, "Is a party liable for incidental or consequential damages?")
    assert "In no event" in text and "consequential" in text


def test_quoting_only_the_matching_piece_fails_the_test_above(monkeypatch):
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_whole", lambda doc, i: (i,))
    doc = Document.of(fake_index(LONG))
    _, text = ask(doc, "Is a party liable for incidental or consequential damages?")
    assert "In no event" not in text


def test_digits_in_a_link_are_no_answer_to_how_many():
    from assistant.answering.answerability import _new_number

    assert not _new_number("How many hives?", "See http://example.org/hives/2.0/ for hives.")
    assert _new_number("How many hives?", "There are 12 hives.")


def test_a_why_question_about_a_fact_takes_it_for_granted_a_hypothetical_does_not():
    assert analyse("Why does the club ban hives in the garden?").premise == (
        "the club ban hives in the garden")
    assert analyse("Why would the club ban hives in the garden?").premise is None


WAX = ("# Wax\n\n## Buying\n\nAnna met Tom at the market on Friday. She had an interest in "
       "buying wax from Tom.\n\n## Selling\n\nTom sells candles in winter.\n")


def test_a_pronoun_subject_is_no_swapped_role():
    """'Why was Anna interested in buying wax from Tom?' over 'She had an interest in buying
    wax from Tom.': the sentence names only Tom, but "She" is Anna: nothing is swapped."""
    wax = Document.of(fake_index(WAX))
    candidate, _ = ask(wax, "Why was Anna interested in buying wax from Tom?")
    assert candidate.verdict.answerable and not candidate.verdict.premise_rejected


def test_a_premise_check_blind_to_pronouns_fails_the_test_above(monkeypatch):
    import re

    import assistant.answering.answerability as answerability

    monkeypatch.setattr(answerability, "OPENS_WITH_PRONOUN", re.compile(r"(?!)"))
    wax = Document.of(fake_index(WAX))
    candidate, _ = ask(wax, "Why was Anna interested in buying wax from Tom?")
    assert candidate.verdict.premise_rejected


CLUB = """# The Bee Club

## Is Beekeeping Possible in a City?

Most cities allow hives on flat roofs. Some ban them near schools.

A permit from the city office costs very little money.

## Growth

New members join the club every spring and summer. Some keepers lose interest in the cold
months. This slows the growth of the club.

## Gains

Honey sales bring gains to the club. The gains are short-lived. Buyers leave after one season.
"""
SECTION_Q = "Is beekeeping possible in a city, then?"
ANTECEDENT_Q = "Why does the growth of the club slow?"
REASON_Q = "Why are the gains short-lived?"


@pytest.fixture(scope="module")
def club():
    return Document.of(fake_index(CLUB))


def test_a_question_that_restates_a_heading_is_answered_by_its_section(club):
    _, text = ask(club, SECTION_Q)
    assert "Most cities allow hives" in text and "A permit from the city office" in text


def test_a_sentence_that_points_back_comes_with_what_it_points_to(club):
    """'This slows the growth …' says nothing without the sentence before it."""
    _, text = ask(club, ANTECEDENT_Q)
    assert "Some keepers lose interest" in text and "This slows the growth" in text


def test_a_why_answer_that_only_restates_the_claim_gets_the_reason_after_it(club):
    _, text = ask(club, REASON_Q)
    assert "The gains are short-lived." in text and "Buyers leave after one season." in text


def test_selection_without_those_rules_fails_the_three_tests_above(club, monkeypatch):
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_section", lambda *args: None)
    monkeypatch.setattr(evidence, "_with_antecedent", lambda doc, group: group)
    monkeypatch.setattr(evidence, "_reason_after", lambda doc, group: None)
    assert "A permit from the city office" not in ask(club, SECTION_Q)[1]
    assert "Some keepers lose interest" not in ask(club, ANTECEDENT_Q)[1]
    assert "Buyers leave after one season." not in ask(club, REASON_Q)[1]


HIVE_RISKS = """# Hives

## Risks for Hives

Every hive faces a few risks over the year.

Mites. They weaken the bees in late summer.

Cold. It kills small colonies in winter.

## Honey

Honey is sold at the market in town.
"""


def test_a_section_answer_keeps_the_label_that_names_each_point():
    """'Mites. They weaken …': the label is the point, the sentence after it says it."""
    hives = Document.of(fake_index(HIVE_RISKS))
    _, text = ask(hives, "What would the risks for hives be?")
    assert "Mites." in text and "They weaken the bees" in text and "Cold." in text


def test_a_section_answer_without_labels_fails_the_test_above(monkeypatch):
    import assistant.answering.evidence as evidence

    monkeypatch.setattr(evidence, "_labelled", lambda doc, i: (i,))
    hives = Document.of(fake_index(HIVE_RISKS))
    _, text = ask(hives, "What would the risks for hives be?")
    assert "Mites." not in text


def _stemmer_in_another_thread(get):  # noqa: ANN001, ANN202
    found = []
    worker = threading.Thread(target=lambda: found.append(get()))
    worker.start()
    worker.join()
    return found[0]


def test_each_thread_stems_with_its_own_stemmer():
    """A Snowball stemmer holds the word it is stemming: shared by the chat API's worker
    threads it corrupted words (an IndexError under 20 streams). Each thread has its own;
    a shared one (as before, `functools.cache`) is caught by the same check."""
    import functools

    import snowballstemmer

    from assistant import terms

    assert _stemmer_in_another_thread(terms._stemmer) is not terms._stemmer()
    assert terms._stemmer() is terms._stemmer()  # kept within a thread
    shared = functools.cache(lambda: snowballstemmer.stemmer("english"))
    assert _stemmer_in_another_thread(shared) is shared()  # the old way: caught above
