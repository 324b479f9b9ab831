"""One upload received from a gRPC stream: spooled to a temporary file while it is validated.

Memory stays flat whatever the size: chunks go straight to an unnamed temporary file (needed
anyway, since ZIP inspection wants a seekable file), sha256 and the size cap are computed on the
fly, the media type is sniffed from the head as soon as it has arrived (so wrong content is
refused mid-stream), and nothing reaches object storage until every check has passed.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

from assay.common.errors import AssayError, FieldViolation, InvalidArgument, ResourceExhausted, Unavailable
from assay.ingest.validation import (
    HEAD_SIZE,
    ClamdUnavailable,
    MediaType,
    UploadRejected,
    UploadValidator,
    check_declared_media_type,
    inspect_zip,
    parse_declared_size,
    parse_expected_sha256,
    refine_zip_type,
    sanitize_display_name,
    scan,
    sniff_media_type,
)
from assay.v1 import ingest_service_pb2

_THREAD_THRESHOLD = 64 * 1024
"""Chunks at least this big are hashed and written in a worker thread, off the event loop."""
_SCAN_BLOCK = 1024 * 1024


def rejection(exc: UploadRejected) -> AssayError:
    """The API error for a rejected upload: RESOURCE_EXHAUSTED for size caps, else INVALID_ARGUMENT."""
    kind = ResourceExhausted if exc.resource_exhausted else InvalidArgument
    return kind(str(exc.reason), f"{exc.field}: {exc.message}", violations=[FieldViolation(exc.field, exc.message)])


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    clamd: tuple[str, int] | None
    clamd_timeout: float
    spool_dir: str | None


@dataclass(frozen=True)
class CheckedHeader:
    display_name: str
    declared_media_type: str
    expected_sha256: str | None
    declared_size: int | None
    field: str


@dataclass(frozen=True)
class AcceptedUpload:
    """An upload that passed every check; ``spool`` holds its bytes until the context exits."""

    display_name: str
    media_type: str
    size: int
    sha256: str
    scan_status: str
    spool: IO[bytes]


def check_header(header: ingest_service_pb2.FileHeader, field: str, max_bytes: int) -> CheckedHeader:
    """Validate what the header declares, before any chunk is read."""
    try:
        return CheckedHeader(
            display_name=sanitize_display_name(header.display_name, field=f"{field}.display_name"),
            declared_media_type=header.media_type,
            expected_sha256=parse_expected_sha256(header.sha256, field=f"{field}.sha256"),
            declared_size=parse_declared_size(header.size_bytes, max_size=max_bytes, field=f"{field}.size_bytes"),
            field=field,
        )
    except UploadRejected as exc:
        raise rejection(exc) from None


def parse_clamd_addr(addr: str) -> tuple[str, int] | None:
    if not addr:
        return None
    host, _, port = addr.rpartition(":")
    return (host or "127.0.0.1", int(port))


@contextmanager
def _spool_file(spool_dir: str | None) -> Iterator[IO[bytes]]:
    with tempfile.TemporaryFile(prefix="assay-upload-", dir=spool_dir or None) as spool:
        yield spool


def _absorb(validator: UploadValidator, spool: IO[bytes], chunk: bytes) -> None:
    validator.feed(chunk)
    spool.write(chunk)


@contextmanager
def _rejections() -> Iterator[None]:
    try:
        yield
    except UploadRejected as exc:
        raise rejection(exc) from None


class _Receiving:
    """The state of one upload being received."""

    def __init__(self, header: CheckedHeader, limits: Limits, spool: IO[bytes]) -> None:
        self.header = header
        self.limits = limits
        self.spool = spool
        self.validator = UploadValidator(limits.max_bytes, header_field=header.field)
        self.sniffed: MediaType | None = None

    async def take(self, chunk: bytes) -> None:
        if len(chunk) >= _THREAD_THRESHOLD:
            await asyncio.to_thread(_absorb, self.validator, self.spool, chunk)
        else:
            _absorb(self.validator, self.spool, chunk)
        if self.sniffed is None and self.validator.size >= HEAD_SIZE:
            # Refuse content of the wrong type without waiting for the rest of it.
            self.sniffed = sniff_media_type(self.validator.head, self.header.display_name)

    async def finish(self) -> AcceptedUpload:
        header = self.header
        done = self.validator.finish(header.expected_sha256, header.declared_size)
        media = self.sniffed or sniff_media_type(done.head, header.display_name)
        await asyncio.to_thread(self.spool.flush)
        if media == MediaType.ZIP:
            await asyncio.to_thread(inspect_zip, self.spool)
            media = await asyncio.to_thread(refine_zip_type, self.spool)
        media = check_declared_media_type(header.declared_media_type, media, field=f"{header.field}.media_type")
        scan_status = await self._scan()
        return AcceptedUpload(display_name=header.display_name, media_type=str(media), size=done.size,
                              sha256=done.sha256, scan_status=scan_status, spool=self.spool)

    async def _scan(self) -> str:
        if self.limits.clamd is None:
            return "UNSCANNED"
        host, port = self.limits.clamd
        try:
            verdict = await scan(self._blocks(), host, port, timeout=self.limits.clamd_timeout)
        except ClamdUnavailable as exc:
            raise Unavailable("SCANNER_UNAVAILABLE",
                              f"the malware scanner is unavailable; retry later ({exc})") from exc
        verdict.raise_if_infected(field="chunk")
        return "CLEAN"

    async def _blocks(self) -> AsyncIterator[bytes]:
        self.spool.seek(0)
        while block := await asyncio.to_thread(self.spool.read, _SCAN_BLOCK):
            yield block


@contextmanager
def spooled(header: CheckedHeader, limits: Limits) -> Iterator[_Receiving]:
    """A receiver whose temporary file is removed when the context exits, whatever happened."""
    with _spool_file(limits.spool_dir) as spool:
        yield _Receiving(header, limits, spool)


async def receive(
    receiving: _Receiving, chunks: AsyncIterator[bytes]
) -> AcceptedUpload:
    """Read every chunk into the receiver and run the end-of-stream checks."""
    with _rejections():
        async for chunk in chunks:
            await receiving.take(chunk)
        return await receiving.finish()


async def drain(chunks: AsyncIterator[bytes]) -> str:
    """Consume the rest of a stream without keeping anything (for an idempotent retry); its sha256."""
    digest = hashlib.sha256()
    async for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
