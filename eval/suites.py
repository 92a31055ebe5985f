"""The documents the eval runs on, each with its case file: the bundled article, and two
documents nobody here wrote (the Apache and Mozilla licences, as Debian ships them in
/usr/share/common-licenses/), with no rule or threshold fitted to them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eval.cases import CASES_FILE, HERE
from source.load import BUNDLED_ARTICLE

DOCUMENTS = HERE / "documents"
BASELINES = HERE / "baselines"


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    article: Path
    cases: Path

    @property
    def baseline(self) -> Path:
        return BASELINES / f"{self.name}.json"


SUITES = (
    Suite("reverse-kissinger", BUNDLED_ARTICLE, CASES_FILE),
    Suite("apache-2.0", DOCUMENTS / "apache-2.0.txt", DOCUMENTS / "apache-2.0.cases.jsonl"),
    Suite("mpl-2.0", DOCUMENTS / "mpl-2.0.txt", DOCUMENTS / "mpl-2.0.cases.jsonl"),
)
CALIBRATION_SUITE = SUITES[0]  # thresholds are fitted on its calibrate split only
