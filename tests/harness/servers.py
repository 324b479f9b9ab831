"""Session-wide PostgreSQL, NATS and S3 fixtures (a pytest plugin), each started only when a test
first asks for it, or taken from ASSAY_TEST_* when you run your own."""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from assay.devstack.servers import HOST
from assay.devstack.servers.nats import NatsServer
from assay.devstack.servers.postgres import Postgres, PostgresServer
from assay.devstack.servers.s3 import MotoServer, S3Endpoint


class ExternalNats:
    """A NATS server someone else runs (ASSAY_TEST_NATS_URL): it cannot be stopped from here."""

    can_restart = False

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or HOST
        self.port = parts.port or 4222

    def start(self) -> ExternalNats:
        return self

    def stop(self, timeout: float = 10.0) -> None:
        pytest.skip("needs the harness-managed nats-server (ASSAY_TEST_NATS_URL is set)")

    def restart(self) -> None:
        pytest.skip("needs the harness-managed nats-server (ASSAY_TEST_NATS_URL is set)")


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
    with NatsServer(server_name="assay-test") as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Endpoint]:
    """An S3-compatible endpoint (ASSAY_TEST_S3_ENDPOINT and keys, else an in-process moto)."""
    endpoint = os.environ.get("ASSAY_TEST_S3_ENDPOINT")
    if endpoint:
        yield S3Endpoint(
            endpoint.removeprefix("https://").removeprefix("http://"),
            access_key=os.environ["ASSAY_TEST_S3_ACCESS_KEY"],
            secret_key=os.environ["ASSAY_TEST_S3_SECRET_KEY"],
            region=os.environ.get("ASSAY_TEST_S3_REGION", "us-east-1"),
            secure=endpoint.startswith("https://"),
        )
        return
    with MotoServer() as server:
        yield server
