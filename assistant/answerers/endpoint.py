"""An OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, hosted APIs) as the
answer model, through LangChain's `ChatOpenAI`, for people who want a bigger model."""

from __future__ import annotations

import os

from pydantic import SecretStr

from assistant.answerers.generative import ChatModelAnswerer
from assistant.answerers.settings import EndpointSettings
from source.errors import ConfigError


def endpoint_answerer(settings: EndpointSettings) -> ChatModelAnswerer:
    import openai
    from langchain_openai import ChatOpenAI

    url = settings.llm_base_url
    if not url:
        raise ConfigError("the endpoint answerer needs --llm-base-url or ATA_LLM_BASE_URL "
                          "(an OpenAI-compatible URL such as http://127.0.0.1:11434/v1)")
    if not settings.llm_model:
        raise ConfigError("the endpoint answerer needs --llm-model or ATA_LLM_MODEL "
                          "(the model name the endpoint serves)")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    model = ChatOpenAI(
        base_url=url, model=settings.llm_model,
        # Local servers take any key; hosted ones need ATA_LLM_API_KEY or OPENAI_API_KEY.
        api_key=SecretStr(key or os.environ.get("OPENAI_API_KEY") or "unused"),
        temperature=0, seed=0,  # reproducible eval runs where the server honours them
        max_completion_tokens=settings.llm_max_tokens, timeout=settings.llm_timeout,
        max_retries=1)
    return ChatModelAnswerer(model, f"endpoint:{settings.llm_model}",
                             max_evidence=settings.llm_evidence,
                             errors=(openai.APIError,), where=url)
