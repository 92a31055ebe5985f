"""The one settings object of the app: a CLI flag beats an `ATA_*` env var beats the default.

It lives in `index/` because that is the lowest layer that needs configuration;
the assistant, the UI and the eval read the same object, so they cannot drift.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from source.errors import AppError
from source.load import BUNDLED_ARTICLE


class ConfigError(AppError):
    """A flag or env var has a value the app cannot use."""


class Settings(BaseSettings):
    """Every knob, with its env var `ATA_<NAME>`; see the README's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="ATA_", frozen=True, extra="forbid")

    article: Path = Field(BUNDLED_ARTICLE, description="article file (.txt scraped page or .md)")
    data_dir: Path = Field(Path(".ask-the-article"), description="where indexes live")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="packaged model or local dir")
    reranker: str = Field("none",
                          description="packaged cross-encoder, local dir, or 'none'")
    answerer: str = Field("extractive", description="answer backend: extractive")
    window_size: int = Field(2, ge=1, le=8, description="sentences per retrieval window")
    candidates: int = Field(12, ge=1, le=200, description="windows each retriever returns")
    rerank_top: int = Field(6, ge=1, le=50, description="windows kept after reranking")
    max_citations: int = Field(3, ge=1, le=10, description="quotes in one answer at most")
    min_support: float = Field(0.0, description="reranker score below which the article "
                                                 "is taken not to answer (refusal)")
    max_question_chars: int = Field(2000, ge=10, description="longest question accepted")
    auto_build: bool = Field(True, description="build the index when missing or stale")


def load_settings(**overrides: Any) -> Settings:
    """Settings from env vars with non-None `overrides` (CLI flags) on top."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"bad setting {name} (flag --{name.replace('_', '-')} or env "
                          f"ATA_{name.upper()}): {first['msg']}") from None
