"""The index layer's settings, and the base every layer's settings share: a CLI flag
beats an `ATA_*` env var beats the default. The assistant composes its own with these
(`assistant.settings.Settings`); nothing here knows about answering."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from source.errors import ConfigError
from source.files import existing_part
from source.load import BUNDLED_ARTICLE
from source.text import is_utf8


class LayerSettings(BaseSettings):
    """Base of each layer's settings: env vars `ATA_<NAME>`, frozen, unknown keys refused,
    numbers finite (nan and inf are refused, never taken as a threshold or a timeout)."""

    model_config = SettingsConfigDict(env_prefix="ATA_", frozen=True, extra="forbid",
                                      allow_inf_nan=False)

    @classmethod
    def env_name(cls, name: str) -> str:
        """A field's env var: the class's prefix (`ATA_`, or a part's own) and its name."""
        return f"{cls.model_config.get('env_prefix') or ''}{name.upper()}"

    @classmethod
    def load(cls, **overrides: Any) -> Self:
        """From env vars, with non-None `overrides` (CLI flags) on top; a bad value is one
        `ConfigError` line naming its flag and env var."""
        for name in cls.model_fields:  # pydantic cannot even read text that is not Unicode
            env = cls.env_name(name)
            for value, where in ((overrides.get(name), f"flag --{name.replace('_', '-')} or "
                                  "env"), (os.environ.get(env), "env")):
                if value is not None and not is_utf8(str(value)):
                    raise ConfigError(f"bad setting {name} ({where} {env}): not valid UTF-8 "
                                      "text (undecodable bytes, in a path too)")
        try:
            settings = cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            first = exc.errors()[0]
            name = ".".join(str(p) for p in first["loc"]) or "settings"
            where = f"flag --{name.replace('_', '-')} or env" if name in overrides else "env"
            why = " ".join(first["msg"].removeprefix("Value error, ").split())
            raise ConfigError(f"bad setting {name} ({where} {cls.env_name(name)}): "
                              f"{why}") from None
        settings.check()
        return settings

    def check(self) -> None:
        """Checks across fields or against the file system, after validation."""

    @classmethod
    def add_flags(cls, parser: argparse.ArgumentParser, *names: str, **kwargs: Any) -> None:
        """Declare `--name` for each field, its help the field's description and env var,
        so every CLI words a setting the same way (`kwargs` go to `add_argument`)."""
        for name in names:
            field = cls.model_fields[name]
            parser.add_argument(f"--{name.replace('_', '-')}",
                                help=f"{field.description} (env {cls.env_name(name)})",
                                **kwargs)


class IndexSettings(LayerSettings):
    """What the index layer needs: which article, where indexes live, how to embed."""

    article: Path = Field(BUNDLED_ARTICLE, description="article file (.txt scraped page or .md)")
    data_dir: Path = Field(default_factory=lambda: default_data_dir(),
                           description="where indexes live (default: .ask-the-article in a "
                                       "checkout, else the per-user data folder)")
    chroma_url: str | None = Field(None, description="Chroma server (chroma run) to keep "
                                                      "vectors in, instead of embedded files")
    chroma_timeout: float = Field(10.0, gt=0, le=600, description="seconds to wait for "
                                  "each answer of the Chroma server")
    embedding_model: str = Field("all-MiniLM-L6-v2", description="packaged model or local dir")
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx", description="onnx: the model compiled once to ONNX (a fresh process starts "
                            "without torch); torch: through sentence-transformers")
    model_cache: Path = Field(default_factory=lambda: default_cache_dir(),
                              description="where compiled models are kept (per user)")
    window_size: int = Field(2, ge=1, le=8, description="sentences per retrieval window")
    auto_build: bool = Field(True, description="build the index when missing or stale")

    @field_validator("article", "data_dir", "model_cache", mode="before")
    @classmethod
    def _not_empty(cls, value: Any) -> Any:
        """An empty path is the current folder (an index built wherever one happens to
        be): refused, not taken."""
        if isinstance(value, str | Path) and not str(value).strip():
            raise ValueError("empty; give a path, or leave it unset for the default")
        return value

    @field_validator("article", "data_dir", "model_cache")
    @classmethod
    def _usable(cls, path: Path) -> Path:
        """A name the system refuses (too long) is this setting's error, not a crash of
        whatever touches the path first."""
        try:
            path.exists()
        except OSError as exc:
            raise ValueError(f"cannot be used: {exc.strerror}") from None
        return path

    @field_validator("article")
    @classmethod
    def _article_exists(cls, path: Path) -> Path:
        if not path.exists():
            raise ValueError(f"no such article file: {path}")
        return path

    @field_validator("embedding_model")
    @classmethod
    def _model_known(cls, spec: str) -> str:
        """A packaged model's name, or a folder holding a model (its config.json); the
        packaged model's own files are checked when it loads."""
        from index.models import PACKAGED, resolve_model

        if spec not in PACKAGED:
            try:
                resolve_model(spec)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None  # the field's own one line
        return spec

    def check(self) -> None:
        """The data folder, or the first part of its path that exists, must be a folder."""
        folder = existing_part(self.data_dir)
        if folder.exists() and not folder.is_dir():
            where = "" if folder == self.data_dir else f" cannot be made: {folder}"
            raise ConfigError(f"the data folder {self.data_dir}{where} is a file, not a "
                              "folder; pass another with --data-dir or ATA_DATA_DIR")


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
