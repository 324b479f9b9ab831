"""Object storage (S3 / MinIO through the ``minio`` SDK): client, bucket and key layout."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from minio import Minio
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseSettings):
    """Object-storage connection settings."""

    model_config = SettingsConfigDict(env_prefix="ASSAY_", frozen=True, extra="ignore")

    s3_endpoint: str = "127.0.0.1:9000"
    """host:port of the S3-compatible server."""
    s3_access_key: str = ""
    """Access key id."""
    s3_secret_key: str = ""
    """Secret access key."""
    s3_bucket: str = "assay"
    """The bucket holding every tenant's files."""
    s3_region: str = "us-east-1"
    """Region (given explicitly so no GetBucketLocation call is needed)."""
    s3_secure: bool = False
    """Use HTTPS."""


def create_client(settings: StorageSettings) -> Minio:
    """A thread-safe client; the SDK is synchronous, so call it through ``asyncio.to_thread``."""
    return Minio(
        settings.s3_endpoint, access_key=settings.s3_access_key, secret_key=settings.s3_secret_key,
        secure=settings.s3_secure, region=settings.s3_region,
    )


def object_key(tenant: str, file_id: str | uuid.UUID) -> str:
    """The only key layout: ``tenants/<tenant>/files/<uuid>``; client names never appear in keys."""
    return f"tenants/{tenant}/files/{uuid.UUID(str(file_id))}"


def ensure_bucket(client: Minio, bucket: str) -> None:
    """Create the bucket if it does not exist; safe to run repeatedly."""
    if not client.bucket_exists(bucket):
        client.make_bucket(bucket)


_tracer = trace.get_tracer("assay.storage")


@contextmanager
def storage_span(operation: str, bucket: str, key: str) -> Iterator[Span]:
    """A client span around one object-storage call (``S3 PutObject`` …): OK when the call returns,
    an exception marks it failed."""
    attributes = {"rpc.system": "aws-api", "rpc.service": "S3", "rpc.method": operation,
                  "aws.s3.bucket": bucket, "aws.s3.key": key}
    with _tracer.start_as_current_span(f"S3 {operation}", kind=SpanKind.CLIENT, attributes=attributes) as span:
        yield span
        span.set_status(Status(StatusCode.OK))
