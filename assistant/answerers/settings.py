"""What the generating answerers read; the extractive one needs nothing."""

from __future__ import annotations

from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator

from index.settings import LayerSettings


class GenerationSettings(LayerSettings):
    """Any answerer that writes prose with a model (endpoint, local)."""

    llm_max_tokens: int = Field(200, ge=16, le=4096, description="longest generated answer")
    llm_timeout: float = Field(60.0, gt=0, le=3600, description="seconds to wait for the "
                                                                "model")
    llm_evidence: int = Field(6, ge=1, le=20, description="numbered sentences the model sees")


class EndpointSettings(GenerationSettings):
    """The OpenAI-compatible endpoint answerer: where the model is served."""

    llm_base_url: str | None = Field(None, description="OpenAI-compatible URL for the "
                                                        "endpoint answerer")
    llm_model: str | None = Field(None, description="model name the endpoint serves")
    llm_api_key: SecretStr | None = Field(None, description="endpoint API key (else "
                                                             "OPENAI_API_KEY; local servers "
                                                             "need none)")

    @field_validator("llm_base_url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        try:
            parts = urlparse(url) if url else None
        except ValueError:  # an unbalanced "[" in the host
            parts = None
        if url and (parts is None or parts.scheme not in ("http", "https")
                    or not parts.netloc):
            raise ValueError(f"{url!r} is not an http(s) URL (such as "
                             "http://127.0.0.1:11434/v1)")
        return url
