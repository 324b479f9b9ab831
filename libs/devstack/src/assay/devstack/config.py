"""``assay dev``'s own settings (``ASSAY_DEV_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DevSettings(BaseSettings):
    """Read from the environment when ``assay dev`` starts."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_DEV_", frozen=True, extra="ignore")

    spans_max_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    """Size at which ``traces/spans.jsonl`` is rotated to ``spans.jsonl.1``."""
    spans_keep: int = Field(default=4, ge=0)
    """Rotated span files kept (``spans.jsonl.1`` … ``.N``); older ones are deleted."""
