"""The clamd INSTREAM client, against a small fake clamd speaking the protocol on a real socket."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import pytest

from assay.ingest.validation import ClamdUnavailable, Reason, ScanResult, UploadRejected, ping, scan
from assay.ingest.validation.clamd import MAX_FRAME

MARKER = b"FAKE-MALWARE-MARKER"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class FakeClamd:
    """What the fake clamd saw: the commands, the frame sizes and the reassembled stream."""

    port: int = 0
    commands: list[bytes] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    received: bytearray = field(default_factory=bytearray)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        command = await reader.readuntil(b"\0")
        self.commands.append(command)
        if command == b"zPING\0":
            writer.write(b"PONG\0")
        elif command == b"zINSTREAM\0":
            while True:
                (length,) = struct.unpack(">I", await reader.readexactly(4))
                if length == 0:
                    break
                self.frames.append(length)
                self.received += await reader.readexactly(length)
            if MARKER in self.received:
                writer.write(b"stream: Fake.Test-Signature FOUND\0")
            else:
                writer.write(b"stream: OK\0")
        else:
            writer.write(b"UNKNOWN COMMAND\0")
        await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def serving(handler: Handler) -> AsyncIterator[int]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@contextlib.asynccontextmanager
async def fake_clamd() -> AsyncIterator[FakeClamd]:
    fake = FakeClamd()
    async with serving(fake.handle) as port:
        fake.port = port
        yield fake


async def chunks(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


async def test_a_clean_stream_is_reported_clean() -> None:
    async with fake_clamd() as clamd:
        result = await scan(chunks([b"hello ", b"world"]), "127.0.0.1", clamd.port, timeout=5)
    assert result == ScanResult(clean=True, signature=None)
    assert clamd.commands == [b"zINSTREAM\0"]
    assert bytes(clamd.received) == b"hello world"


async def test_an_infected_stream_reports_the_signature_and_rejects_the_upload() -> None:
    async with fake_clamd() as clamd:
        result = await scan(chunks([b"prefix ", MARKER, b" suffix"]), "127.0.0.1", clamd.port)
    assert result == ScanResult(clean=False, signature="Fake.Test-Signature")
    with pytest.raises(UploadRejected) as caught:
        result.raise_if_infected()
    assert caught.value.reason == Reason.MALWARE_DETECTED
    assert "Fake.Test-Signature" in caught.value.message


async def test_a_clean_result_does_not_reject() -> None:
    ScanResult(clean=True).raise_if_infected()


async def test_large_chunks_are_split_into_bounded_length_prefixed_frames() -> None:
    data = bytes(range(256)) * 1024  # 256 KiB in one chunk
    async with fake_clamd() as clamd:
        await scan(chunks([data, b"tail"]), "127.0.0.1", clamd.port)
    assert bytes(clamd.received) == data + b"tail"
    assert max(clamd.frames) == MAX_FRAME
    assert sum(clamd.frames) == len(data) + 4


async def test_an_empty_chunk_does_not_end_the_stream_early() -> None:
    async with fake_clamd() as clamd:
        result = await scan(chunks([b"a", b"", MARKER]), "127.0.0.1", clamd.port)
    assert not result.clean
    assert 0 not in clamd.frames


async def test_an_error_reply_means_clamd_is_unavailable() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\0")
        writer.write(b"INSTREAM size limit exceeded. ERROR\0")
        await writer.drain()
        writer.close()

    async with serving(refuse) as port:
        with pytest.raises(ClamdUnavailable, match="size limit exceeded"):
            await scan(chunks([b"x" * MAX_FRAME] * 64), "127.0.0.1", port)


async def test_a_connection_closed_without_a_verdict_means_clamd_is_unavailable() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\0")
        writer.close()

    async with serving(hang_up) as port:
        with pytest.raises(ClamdUnavailable):
            await scan(chunks([b"data"]), "127.0.0.1", port)


async def test_nobody_listening_means_clamd_is_unavailable() -> None:
    async with serving(FakeClamd().handle) as port:
        pass  # the port is closed again once the server is
    with pytest.raises(ClamdUnavailable, match="unreachable"):
        await scan(chunks([b"data"]), "127.0.0.1", port, timeout=5)


async def test_a_clamd_that_never_answers_times_out_as_unavailable() -> None:
    release = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await release.wait()
        writer.close()

    async with serving(silent) as port:
        try:
            with pytest.raises(ClamdUnavailable, match="no verdict within"):
                await scan(chunks([b"data"]), "127.0.0.1", port, timeout=0.05)
        finally:
            release.set()


async def test_ping_succeeds_against_a_live_clamd() -> None:
    async with fake_clamd() as clamd:
        await ping("127.0.0.1", clamd.port)
    assert clamd.commands == [b"zPING\0"]


async def test_ping_refuses_an_unexpected_answer() -> None:
    async def odd(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\0")
        writer.write(b"PANG\0")
        await writer.drain()
        writer.close()

    async with serving(odd) as port:
        with pytest.raises(ClamdUnavailable, match="PANG"):
            await ping("127.0.0.1", port)
