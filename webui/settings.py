"""The web app's own settings (`python ui.py`): where it serves. Its env vars are its own,
`ATA_WEB_*`, so the chat API's `ATA_HOST`/`ATA_PORT` never move it; flag > env > default."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from index.settings import LayerSettings


class WebSettings(LayerSettings):
    """Where the web app serves, and whether Gradio also makes a public link."""

    model_config = SettingsConfigDict(env_prefix="ATA_WEB_", frozen=True, extra="forbid",
                                      allow_inf_nan=False)

    host: str = Field("127.0.0.1", min_length=1, description="interface the web app serves "
                                                              "on (empty would mean every one)")
    port: int = Field(7860, ge=0, le=65535, description="port the web app serves on (0: any "
                                                         "free one)")
    share: bool = Field(False, description="also make a public Gradio link")
