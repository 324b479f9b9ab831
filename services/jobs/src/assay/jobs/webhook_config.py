"""The webhook settings of the jobs service (``ASSAY_WEBHOOK_*``)."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assay.jobs.webhook_targets import TargetPolicy


class WebhookSettings(BaseSettings):
    """Deliveries, retries, the SSRF allow-list and the key sealing signing secrets."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    webhook_allow_targets: str = ""
    """Comma-separated CIDRs or host names a webhook may reach although private, loopback or
    link-local (``assay dev``: loopback). Empty: public addresses only."""
    webhook_secret_keys: str = ""
    """Comma-separated key material sealing signing secrets in the database: the first seals, each
    unseals (rotation). Empty: derived from ``ASSAY_JOB_CAPABILITY_SECRET``."""
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    """How often each jobs replica looks for due deliveries."""
    webhook_batch_size: int = Field(default=32, ge=1, le=1000)
    """Most deliveries one replica claims per round (sent concurrently)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    """Whole-request deadline of one delivery attempt (connect: the lesser of this and 5 s)."""
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    """First retry delay; doubles each attempt, with equal jitter."""
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    """Longest delay between two attempts."""
    webhook_retry_for_seconds: float = Field(default=86400.0, gt=0)
    """A delivery still failing this long after it was queued is given up (FAILED)."""
    webhook_disable_after_seconds: float = Field(default=5 * 86400.0, gt=0)
    """A subscription whose every attempt failed for this long is disabled (audited)."""
    webhook_log_retention_seconds: float = Field(default=30 * 86400.0, gt=0)
    """Delivered and failed deliveries (with their attempts) older than this leave the delivery log."""

    @field_validator("webhook_allow_targets")
    @classmethod
    def _targets_parse(cls, value: str) -> str:
        TargetPolicy.parse(value)
        return value

    def target_policy(self) -> TargetPolicy:
        """The SSRF allow-list."""
        return TargetPolicy.parse(self.webhook_allow_targets)

    def secret_key_material(self, capability_secret: str) -> list[str]:
        """What the signing secrets are sealed under (the first) and may be unsealed with."""
        keys = [key.strip() for key in self.webhook_secret_keys.split(",") if key.strip()]
        return keys or ([capability_secret] if capability_secret else [])
