"""Shared fixtures. Hub access is switched off before anything imports Hugging Face code."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
for name in list(os.environ):
    if name.startswith("ATA_"):  # a developer's own settings must not leak into tests
        del os.environ[name]

import pytest  # noqa: E402

from source import Article, load_article  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory):
    """Compiled models for this session only (never the user's cache), compiled once and
    shared by every test's data folder and the processes tests start."""
    folder = tmp_path_factory.mktemp("model-cache")
    os.environ["ATA_MODEL_CACHE"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def article() -> Article:
    return load_article()


@pytest.fixture(scope="session")
def shared_data_dir(tmp_path_factory: pytest.TempPathFactory):
    """One index for all tests that only read it, built once per session."""
    return tmp_path_factory.mktemp("ata-data")


@pytest.fixture(scope="session")
def assistant(shared_data_dir):
    """The real assistant: packaged embedding model and cross-encoder, index built once."""
    from assistant.chain import Assistant
    from index.settings import load_settings

    return Assistant(load_settings(data_dir=shared_data_dir)).warm_up()
