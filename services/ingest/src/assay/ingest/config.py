"""The ingest service's settings."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from assay.common.config import CommonSettings, DatabaseSettings
from assay.common.retention import Retention
from assay.common.storage import StorageSettings
from assay.common.tenant_values import PerTenant
from assay.ingest.validation import DEFAULT_MAX_UPLOAD_BYTES


class IngestSettings(CommonSettings, DatabaseSettings, StorageSettings):
    """Everything the ingest service reads from ``ASSAY_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    grpc_port: int = 50052
    """Port of IngestService and WorkerFileService."""
    jobs_addr: str = "127.0.0.1:50051"
    """Address of the jobs service (CreateJob for SubmitDocument, ReleaseFile before DeleteFile)."""
    analysis_addr: str = ""
    """Address of the analysis service: DeleteFile has IndexService.ForgetFile remove the file from every
    search collection first. Empty: no search index is cleaned (only where analysis has none)."""
    max_upload_bytes: int = Field(default=DEFAULT_MAX_UPLOAD_BYTES, gt=0)
    """Largest accepted upload in bytes."""
    download_url_seconds: int = Field(default=300, ge=1, le=7 * 24 * 3600)
    """Lifetime of a presigned download URL."""
    clamd_addr: str = ""
    """clamd's ``host:port``; empty stores files unscanned."""
    clamd_timeout_seconds: float = 30.0
    """Seconds allowed for each clamd network step."""
    spool_dir: str = ""
    """Directory for the temporary copy of an upload being validated (system default when empty)."""
    upload_part_bytes: int = Field(default=16 * 1024 * 1024, ge=5 * 1024 * 1024)
    """Multipart part size for the object store (memory per upload is about this, times the parallelism)."""
    upload_parallelism: int = Field(default=2, ge=1, le=8)
    """Parts of one object uploaded at once."""
    jobs_timeout_seconds: float = 10.0
    """Deadline of each call to the jobs service."""
    quota_bytes_stored: str = ""
    """``tenant=N,…`` (``*``: every other tenant): most bytes of files a tenant may store; an upload
    past it is refused ``RESOURCE_EXHAUSTED QUOTA_EXCEEDED`` (``assay.ingest.quota``)."""
    submission_lease_seconds: float = Field(default=30.0, gt=0)
    """Lease of a SubmitDocument request_id claim: renewed while its upload progresses; a claim not
    renewed for this long is taken over by a retry. Keep it above ``jobs_timeout_seconds``."""
    orphan_sweep_seconds: float = Field(default=3600.0, ge=0)
    """How often ingest deletes orphaned objects (``assay.ingest.orphans``); 0 never."""
    orphan_grace_seconds: float = Field(default=86400.0, ge=0)
    """Age below which an object with no ``ingest.files`` row is left alone: an upload or a worker's
    artifact is stored before its row commits, and a worker retries RegisterArtifact through outages."""

    retention_days: str = ""
    """``tenant=D,…`` (``*``: every other tenant): days an upload is kept (``assay.common.retention``;
    the same variable as jobs', whose per-analyzer entries apply to jobs only); empty keeps everything."""
    retention_sweep_seconds: float = Field(default=3600.0, gt=0)
    """How often the file retention sweep runs (one replica at a time, by an advisory lock)."""

    @field_validator("retention_days")
    @classmethod
    def _retention_parses(cls, value: str) -> str:
        Retention.parse(value)
        return value

    @field_validator("quota_bytes_stored")
    @classmethod
    def _quota_parses(cls, value: str) -> str:
        PerTenant.parse(value, "ASSAY_QUOTA_BYTES_STORED")
        return value
