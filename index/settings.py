"""The one settings object of the app: a CLI flag beats an `ATA_*` env var beats the default.

It lives in `index/` because that is the lowest layer that needs configuration;
the assistant, the UI and the eval read the same object, so they cannot drift.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from source.errors import ConfigError
from source.load import BUNDLED_ARTICLE


class Settings(BaseSettings):
    """Every knob, with its env var `ATA_<NAME>`; see the README's Configuration table."""

    model_config = SettingsConfigDict(env_prefix="ATA_", frozen=True, extra="forbid")

    article: Path = Field(BUNDLED_ARTICLE, description="article file (.txt scraped page or .md)")
    data_dir: Path = Field(default_factory=lambda: default_data_dir(),
                           description="where indexes live (default: .ask-the-article in a "
                                       "checkout, else the per-user data folder)")
    chroma_url: str | None = Field(None, description="Chroma server (chroma run) to keep "
                                                      "vectors in, instead of embedded files")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="packaged model or local dir")
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx: the model compiled once to ONNX (a fresh process starts "
                            "without torch); torch: through sentence-transformers")
    model_cache: Path = Field(default_factory=lambda: default_cache_dir(),
                              description="where compiled models are kept (per user)")
    answerer: str = Field("extractive", description="answer backend: extractive, endpoint, "
                                                     "or local:/path/to/model.gguf")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible URL for the "
                                                        "endpoint answerer")
    llm_model: str | None = Field(None, description="model name the endpoint serves")
    llm_api_key: SecretStr | None = Field(None, description="endpoint API key (else "
                                                             "OPENAI_API_KEY; local servers "
                                                             "need none)")
    llm_max_tokens: int = Field(200, ge=16, le=4096, description="longest generated answer")
    llm_timeout: float = Field(60.0, gt=0, description="seconds to wait for the model")
    llm_evidence: int = Field(6, ge=1, le=20, description="numbered sentences the model sees")
    support_check: bool = Field(True, description="drop answer sentences their citations "
                                                    "do not support (off only to measure "
                                                    "an answerer raw)")
    judge: str = Field("coverage", description="support judge for answer sentences: "
                                               "'coverage' or an NLI model dir")
    window_size: int = Field(2, ge=1, le=8, description="sentences per retrieval window")
    min_support: float | None = Field(None, description="evidence score under which the "
                                      "article is taken not to answer; default: the value "
                                      "`python -m eval calibrate` fitted")
    max_question_chars: int = Field(2000, ge=10, description="longest question accepted")
    auto_build: bool = Field(True, description="build the index when missing or stale")


def default_data_dir() -> Path:
    """One place whatever the current folder: `.ask-the-article/` at the root of a source
    checkout (where `make` and the README expect it), else the per-user data folder."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and os.access(root, os.W_OK):
        return root / ".ask-the-article"
    from platformdirs import user_data_path

    return user_data_path("ask-the-article")


def default_cache_dir() -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("ask-the-article") / "models"


def load_settings(**overrides: Any) -> Settings:
    """Settings from env vars with non-None `overrides` (CLI flags) on top."""
    try:
        settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"bad setting {name} (flag --{name.replace('_', '-')} or env "
                          f"ATA_{name.upper()}): {first['msg']}") from None
    if settings.data_dir.exists() and not settings.data_dir.is_dir():
        raise ConfigError(f"the data folder {settings.data_dir} is a file, not a folder; "
                          "pass another with --data-dir or ATA_DATA_DIR")
    return settings
