"""Session-wide PostgreSQL, NATS and S3, each started only when a test first asks for it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from harness import ExternalNats, NatsServer, Postgres, PostgresServer, S3Endpoint, S3Server


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """Superuser access to a PostgreSQL server (ASSAY_TEST_DATABASE_URL, else a fresh one)."""
    url = os.environ.get("ASSAY_TEST_DATABASE_URL")
    if url:
        yield Postgres.from_url(url)
        return
    with PostgresServer() as server:
        yield server


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer | ExternalNats]:
    """A JetStream-enabled NATS (ASSAY_TEST_NATS_URL, else a fresh one that can restart)."""
    url = os.environ.get("ASSAY_TEST_NATS_URL")
    if url:
        yield ExternalNats(url)
        return
    with NatsServer() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Endpoint]:
    """An S3-compatible endpoint (ASSAY_TEST_S3_ENDPOINT and keys, else an in-process moto)."""
    endpoint = os.environ.get("ASSAY_TEST_S3_ENDPOINT")
    if endpoint:
        secure = endpoint.startswith("https://")
        yield S3Endpoint(
            endpoint.removeprefix("https://").removeprefix("http://"),
            access_key=os.environ["ASSAY_TEST_S3_ACCESS_KEY"],
            secret_key=os.environ["ASSAY_TEST_S3_SECRET_KEY"],
            region=os.environ.get("ASSAY_TEST_S3_REGION", "us-east-1"),
            secure=secure,
        )
        return
    with S3Server() as server:
        yield server
