"""An asyncio client for clamd's INSTREAM command: malware scanning over a socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections.abc import AsyncIterable
from dataclasses import dataclass

from assay.ingest.validation.errors import Reason, UploadRejected

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 30.0
"""Seconds allowed for each network step: connecting, each write, and the verdict."""

MAX_FRAME = 64 * 1024
"""Largest INSTREAM frame sent; bigger chunks are split."""

_COMMAND = b"zINSTREAM\0"
_PING = b"zPING\0"
_LENGTH = struct.Struct(">I")
_END_OF_STREAM = _LENGTH.pack(0)
_MAX_REPLY = 4096
_FOUND = " FOUND"
_STREAM_PREFIX = "stream: "


class ClamdUnavailable(Exception):
    """The scan could not be performed: clamd unreachable, too slow, or answering an error.

    It exists apart from a verdict so the caller decides the policy (fail closed and ask the
    client to retry, normally) instead of mistaking an outage for a clean file.
    """


@dataclass(frozen=True, slots=True)
class ScanResult:
    """clamd's verdict on one stream."""

    clean: bool
    """True when clamd found nothing."""
    signature: str | None = None
    """The matched signature's name when not clean, e.g. ``Eicar-Test-Signature``."""

    def raise_if_infected(self, *, field: str = "chunk") -> None:
        """Turn a positive verdict into an upload rejection.

        Raises:
            UploadRejected: ``MALWARE_DETECTED``.
        """
        if not self.clean:
            raise UploadRejected(
                Reason.MALWARE_DETECTED,
                field,
                f"malware scanner matched signature {self.signature!a}; the file was not stored",
            )


async def scan(
    reader_chunks: AsyncIterable[bytes],
    host: str,
    port: int,
    # A per-step bound, not one for the whole call (ASYNC109's concern): a caller's
    # asyncio.timeout would also have to cover scanning time that grows with the file.
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> ScanResult:
    """Stream content to clamd with ``zINSTREAM`` and return its verdict.

    Chunks are framed as clamd expects (4-byte big-endian length, then the bytes; at most
    :data:`MAX_FRAME` per frame) and closed with a zero-length frame. ``timeout`` bounds each
    network step, not the whole scan, so a large file is not cut off mid-way; the time spent
    producing ``reader_chunks`` is not counted.

    Args:
        reader_chunks: The content, in order.
        host: clamd's TCP address.
        port: clamd's TCP port.
        timeout: Seconds allowed for connecting, for each write, and for the verdict.

    Raises:
        ClamdUnavailable: when clamd cannot be reached, times out, closes early, or replies
            with an error (such as its StreamMaxLength being exceeded).
    """
    reader, writer = await _connect(host, port, timeout)
    # Read the verdict while sending: clamd answers early, then closes, when it refuses a stream
    # (StreamMaxLength), and that answer must be taken before the reset discards it.
    verdict = asyncio.ensure_future(_read_reply(reader))
    try:
        failure = await _stream(writer, reader_chunks, verdict, timeout)
        try:
            async with asyncio.timeout(timeout):
                reply = await verdict
        except TimeoutError as exc:
            raise ClamdUnavailable(f"clamd gave no verdict within {timeout}s") from exc
    finally:
        verdict.cancel()
        if verdict.done() and not verdict.cancelled():
            verdict.exception()  # retrieved, so asyncio does not log it as lost
        await _close(writer)
    if failure is not None:
        # A verdict on a stream that was not sent whole is no verdict at all.
        raise ClamdUnavailable(
            f"clamd cut the stream short ({(reply or failure)[:200]}); its StreamMaxLength may "
            "be below the upload size limit"
        )
    if not reply:
        raise ClamdUnavailable("clamd closed the connection without a verdict")
    return _parse_verdict(reply)


async def _stream(
    writer: asyncio.StreamWriter,
    reader_chunks: AsyncIterable[bytes],
    verdict: asyncio.Future[str],
    seconds: float,
) -> str | None:
    """Send the INSTREAM command and frames; return why the stream was cut short, if it was."""
    try:
        await _send(writer, _COMMAND, seconds)
        async for chunk in reader_chunks:
            for start in range(0, len(chunk), MAX_FRAME):
                if verdict.done():
                    return "clamd answered before the stream ended"
                frame = chunk[start : start + MAX_FRAME]
                await _send(writer, _LENGTH.pack(len(frame)) + frame, seconds)
        await _send(writer, _END_OF_STREAM, seconds)
    except OSError as exc:
        return f"connection lost while sending: {exc}"
    return None


async def ping(
    host: str,
    port: int,
    timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109
) -> None:
    """Check that clamd answers; for readiness probes.

    Raises:
        ClamdUnavailable: when it does not answer ``PONG``.
    """
    reader, writer = await _connect(host, port, timeout)
    try:
        await _send(writer, _PING, timeout)
        async with asyncio.timeout(timeout):
            reply = await _read_reply(reader)
    except TimeoutError as exc:
        raise ClamdUnavailable(f"clamd did not answer ping within {timeout}s") from exc
    except OSError as exc:
        raise ClamdUnavailable(f"clamd connection failed: {exc}") from exc
    finally:
        await _close(writer)
    if reply != "PONG":
        raise ClamdUnavailable(f"clamd answered ping with {reply[:200]!a}")


async def _connect(
    host: str, port: int, seconds: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        async with asyncio.timeout(seconds):
            return await asyncio.open_connection(host, port)
    except TimeoutError as exc:
        raise ClamdUnavailable(f"clamd at {host}:{port} did not accept within {seconds}s") from exc
    except OSError as exc:
        raise ClamdUnavailable(f"clamd at {host}:{port} is unreachable: {exc}") from exc


async def _send(writer: asyncio.StreamWriter, data: bytes, seconds: float) -> None:
    writer.write(data)
    try:
        async with asyncio.timeout(seconds):
            await writer.drain()
    except TimeoutError as exc:
        raise ClamdUnavailable(f"clamd did not take data within {seconds}s") from exc


async def _read_reply(reader: asyncio.StreamReader) -> str:
    """Return clamd's NUL-terminated reply, or "" when it closed without one."""
    try:
        raw = await reader.readuntil(b"\0")
    except asyncio.IncompleteReadError as exc:
        raw = exc.partial  # an error may arrive unterminated just before the close
    except asyncio.LimitOverrunError as exc:
        raise ClamdUnavailable("clamd sent an oversized reply") from exc
    except OSError:
        return ""
    return raw[:_MAX_REPLY].rstrip(b"\0").decode("utf-8", errors="replace").strip()


def _parse_verdict(reply: str) -> ScanResult:
    if reply == f"{_STREAM_PREFIX}OK":
        return ScanResult(clean=True)
    if reply.startswith(_STREAM_PREFIX) and reply.endswith(_FOUND):
        signature = reply[len(_STREAM_PREFIX) : -len(_FOUND)].strip()
        logger.info("clamd found %s", signature)
        return ScanResult(clean=False, signature=signature or "unknown")
    hint = ""
    if "size limit" in reply.lower():
        hint = "; raise its StreamMaxLength to at least the upload size limit"
    raise ClamdUnavailable(f"clamd could not scan the stream: {reply[:200]!a}{hint}")


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
