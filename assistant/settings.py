"""The app's settings, composed from each layer's own (index, answerers) plus what the
assistant itself decides: which answerer, how to check and when to refuse. The CLI, the
web app, the chat API and the eval all read this one object, so they cannot drift."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, field_validator

from assistant.answerers import known_answerer
from assistant.answerers.settings import EndpointSettings
from assistant.answering.evidence import RULES
from assistant.history import MAX_MESSAGE_CHARS
from assistant.judging.judges import JUDGE_USE
from index.models import model_folder
from index.settings import IndexSettings
from source.errors import ConfigError

RENAMED = ("ATA_MIN_SUPPORT and --min-support are now ATA_MIN_SCORE and --min-score (the "
           "evidence score under which the assistant refuses); rename the setting")


class Settings(IndexSettings, EndpointSettings):
    """Every knob, with its env var `ATA_<NAME>`; see the README's Configuration table."""

    answerer: str = Field("extractive", description="answer backend: extractive, endpoint, "
                                                     "local:/path/to/model.gguf, or an "
                                                     "installed package's answerer")
    support_check: bool = Field(True, description="drop answer sentences their citations "
                                                    "do not support (off only to measure "
                                                    "an answerer raw)")
    judge: str = Field("coverage", description="support judge for answer sentences: "
                                               "'coverage' or an NLI model dir")
    min_score: float | None = Field(None, ge=0, le=1, description="evidence score under which the "
                                    "article is taken not to answer (0: never refuse on "
                                    "score); default: the value `python -m eval calibrate` "
                                    "fitted. Not the support judge's threshold, which only "
                                    "calibration sets (calibration.json's min_support)")
    max_question_chars: int = Field(2000, ge=10, le=MAX_MESSAGE_CHARS,
                                    description="longest question accepted")
    reader: Literal["both", "gate", "model", "rules"] = Field(
        "rules", description="who judges the evidence: 'both' (the learned reader ranks and "
                            "refuses, the structure rules shape the quote), 'gate' (the "
                            "rules rank, the reader refuses and rejects premises), 'model' "
                            "(the reader ranks and refuses; only the document's structure "
                            "shapes the quote) or 'rules' (the hand-written stages alone)")
    library_depth: int = Field(3, ge=0, le=64, description="articles besides the one in view "
                               "a question goes through the answering stages in (named by "
                               "title, else nearest by the library search); 0: the one in "
                               "view alone")
    reader_depth: int = Field(16, ge=1, le=64, description="sentences the reader scores per "
                                                           "question (the first stage's best)")
    rules: str = Field(",".join(sorted(RULES)), description="hand-written rule families that "
                       "run beside the reader ('both', 'gate'; 'model' uses units, pointers, "
                       "document and refusals), comma-separated: "
                       + ", ".join(sorted(RULES)))

    @field_validator("answerer")
    @classmethod
    def _answerer_known(cls, spec: str) -> str:
        try:
            known_answerer(spec)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return spec

    @field_validator("judge")
    @classmethod
    def _judge_known(cls, spec: str) -> str:
        if spec != "coverage":
            try:
                model_folder(spec, JUDGE_USE)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        return spec

    def check(self) -> None:
        super().check()
        if "ATA_MIN_SUPPORT" in os.environ:
            raise ConfigError(RENAMED)
        unknown = set(self.rule_families) - RULES
        if unknown:
            raise ConfigError(f"unknown rule family {sorted(unknown)[0]!r} in --rules / "
                              f"ATA_RULES; use: {', '.join(sorted(RULES))}")

    @property
    def rule_families(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.rules.split(",") if r.strip())


def load_settings(**overrides: Any) -> Settings:
    """Settings from env vars with non-None `overrides` (CLI flags) on top."""
    return Settings.load(**overrides)
