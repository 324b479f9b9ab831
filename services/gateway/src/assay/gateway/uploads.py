"""Forwarding one streamed multipart file part to a client-streaming ingest RPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc

from assay.gateway.multipart import Event, PartData, PartEnd, drain
from assay.gateway.problems import Problem


async def forward_file(
    call: Any,
    header: Any,
    stream: AsyncIterator[Event],
    chunk: Callable[[bytes], Any],
    chunk_bytes: int,
) -> Any:
    """Send ``header``, then the file part's bytes as chunk messages, and return the response.

    Each write is awaited, so a slow upstream slows the reading of the request body
    (back-pressure); nothing is buffered beyond one network chunk. On any failure the call is
    cancelled, so ingest never keeps a truncated file.
    """
    try:
        await call.write(header)
        async for event in stream:
            if isinstance(event, PartEnd):
                break
            if isinstance(event, PartData):
                data = event.data
                for offset in range(0, len(data), chunk_bytes):
                    await call.write(chunk(data[offset:offset + chunk_bytes]))
        await drain(stream)
        await call.done_writing()
        return await call
    except grpc.aio.AioRpcError:
        raise
    except (asyncio.InvalidStateError, grpc.RpcError) as error:
        # The upstream ended the call while we were writing: its status says why.
        if call.done():
            await call
        raise Problem(503, "UPSTREAM_FAILED", "the upload was interrupted",
                      grpc_code=grpc.StatusCode.UNAVAILABLE) from error
    except BaseException:
        call.cancel()
        raise
