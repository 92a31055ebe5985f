"""The support judge on pairs from the article: clear entailment, clear contradiction and
unrelated claims must be scored on the right side of 0.5. Its known blind spot (a
contradiction that keeps the words) is tracked by a strict xfail."""

import pytest

from assistant.judging.judges import ENTAILED, CoverageJudge

TRADE = "In 2023, bilateral trade between Moscow and Beijing reached a record $240 billion."
ISLAND = ("In 1971-1972, the United States used the deep conflict between the USSR and China, "
          "including armed clashes on the border island of Zhengbao, to open diplomatic "
          "relations with Beijing.")
CONCESSIONS = ("But even if Trump makes significant concessions, this does not guarantee that "
               "Putin will break his alliance with China.")


@pytest.mark.parametrize(("premise", "claim"), [
    (TRADE, TRADE),
    (TRADE, "Trade between Moscow and Beijing reached $240 billion in 2023."),
    (ISLAND, "There were armed clashes between the USSR and China on the island of Zhengbao."),
    (CONCESSIONS, "Concessions from Trump do not guarantee that Putin will break with China."),
])
def test_entailed(premise, claim):
    assert CoverageJudge().entailment([(premise, claim)])[0] >= ENTAILED


@pytest.mark.parametrize(("premise", "claim"), [
    (TRADE, "In 2023, trade between Moscow and Beijing reached $140 billion."),
    (TRADE, "In 2019, trade between Moscow and Beijing reached $240 billion."),
    (CONCESSIONS, "Trump's concessions guarantee that Putin will break his alliance with China."),
    (ISLAND, "The clashes took place on Taiwan."),
])
def test_contradicted(premise, claim):
    assert CoverageJudge().entailment([(premise, claim)])[0] < ENTAILED


@pytest.mark.parametrize(("premise", "claim"), [
    (TRADE, "Putin remembers that key sanctions were not lifted in Trump's first term."),
    (ISLAND, "Russia is not an attractive market for American companies."),
    ("", "Anything at all."),
])
def test_unrelated(premise, claim):
    assert CoverageJudge().entailment([(premise, claim)])[0] < ENTAILED


@pytest.mark.xfail(strict=True, reason="lexical judge: a contradiction that keeps every word "
                   "(roles swapped) looks supported; README: Limits and guarantees")
def test_swapped_roles_are_a_contradiction():
    premise = "Russia receives weapons components from China."
    assert CoverageJudge().entailment([(premise, "China receives weapons components from "
                                                  "Russia.")])[0] < ENTAILED
