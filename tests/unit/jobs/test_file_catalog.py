"""CreateJob's check of input files gives ingest the configured deadline, not a hard-coded one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import grpc
import pytest

from assay.common.errors import Unavailable
from assay.jobs.config import JobsSettings
from assay.jobs.files import IngestFileCatalog
from assay.v1 import ingest_service_pb2, ingest_service_pb2_grpc


class SilentIngest(ingest_service_pb2_grpc.IngestServiceServicer):
    """Never answers BatchGetFiles (until the test ends)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def BatchGetFiles(
        self, request: ingest_service_pb2.BatchGetFilesRequest, context: grpc.aio.ServicerContext
    ) -> ingest_service_pb2.BatchGetFilesResponse:
        await self.release.wait()
        return ingest_service_pb2.BatchGetFilesResponse()


@pytest.fixture
async def silent_ingest() -> AsyncIterator[str]:
    server = grpc.aio.server()
    servicer = SilentIngest()
    ingest_service_pb2_grpc.add_IngestServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    servicer.release.set()
    await server.stop(0)


async def test_the_deadline_is_the_configured_setting(silent_ingest: str) -> None:
    settings = JobsSettings(ingest_timeout_seconds=0.3)
    async with grpc.aio.insecure_channel(silent_ingest) as channel:
        catalog = IngestFileCatalog(channel, settings.ingest_timeout_seconds)
        started = time.monotonic()
        with pytest.raises(Unavailable) as caught:
            await catalog.require(["4f1c0a52-0000-4000-8000-000000000000"], "token")
        elapsed = time.monotonic() - started
    assert caught.value.reason == "INGEST_UNAVAILABLE"
    assert 0.3 <= elapsed < 5.0  # the hard-coded deadline was 10 s


def test_the_default_deadline_is_ten_seconds() -> None:
    assert JobsSettings().ingest_timeout_seconds == 10.0
