"""Reading the rest of a refused client stream: to the client's end of stream, within a byte budget, and
not waiting on a client that stopped sending."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from assay.common import streams
from assay.v1 import ingest_service_pb2 as ing

CHUNK = ing.UploadFileRequest(chunk=b"x" * 1000)


async def messages(count: int, then_stall: bool = False) -> AsyncIterator[ing.UploadFileRequest]:
    for _ in range(count):
        yield CHUNK
    if then_stall:
        await asyncio.Event().wait()


async def test_the_stream_is_read_to_its_end_within_the_budget() -> None:
    assert await streams.discard(messages(10), max_bytes=100_000) == (10 * CHUNK.ByteSize(), True)


async def test_reading_stops_once_the_budget_is_spent() -> None:
    dropped, finished = await streams.discard(messages(1000), max_bytes=5_000)
    assert not finished and 5_000 < dropped <= 5_000 + CHUNK.ByteSize()


async def test_a_client_that_stops_sending_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "DRAIN_IDLE_SECONDS", 0.05)
    dropped, finished = await asyncio.wait_for(streams.discard(messages(3, then_stall=True), 100_000), 5)
    assert (dropped, finished) == (3 * CHUNK.ByteSize(), False)
