"""Forwarding one streamed multipart file part to a client-streaming ingest RPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import grpc

from assay.gateway.multipart import Event, PartData, PartEnd, drain
from assay.gateway.problems import Problem

UPLOAD_FIELDS = {"chunk": "file", "header": "file"}
"""UploadFile's fields as the REST form names them: the header describes the ``file`` part."""
SUBMIT_FIELDS = {
    "chunk": "file", "header.file": "file", "inputs": "file", "header.analyzer": "analyzer",
    "header.params.": "params.", "header.priority": "priority", "header.request_id": "Idempotency-Key",
}
"""SubmitDocument's fields (and those of the CreateJob it makes) as the REST form names them."""


async def forward_file(
    method: Callable[..., Any],
    metadata: tuple[tuple[str, str], ...],
    header: Any,
    stream: AsyncIterator[Event],
    chunk: Callable[[bytes], Any],
    chunk_bytes: int,
    names: Mapping[str, str],
) -> Any:
    """Send ``header``, then the file part's bytes as chunk messages, and return the response.

    gRPC pulls the request messages as it can send them, so a slow upstream slows the reading of
    the request body (back-pressure) and nothing is buffered beyond one network chunk. When the
    body turns out bad midway (malformed, too large, client gone) the call is cancelled rather
    than half-closed, so ingest never keeps a truncated file; the body's problem is raised.
    An upstream refusal's field violations are renamed by ``names`` to the form's field names.
    """
    failure: list[BaseException] = []

    async def requests() -> AsyncIterator[Any]:
        yield header
        try:
            async for event in stream:
                if isinstance(event, PartEnd):
                    break
                if isinstance(event, PartData):
                    data = event.data
                    for offset in range(0, len(data), chunk_bytes):
                        yield chunk(data[offset:offset + chunk_bytes])
            await drain(stream)
        except Exception as error:
            failure.append(error)
            call.cancel()

    call = method(requests(), metadata=metadata)
    try:
        return await call
    except (grpc.aio.AioRpcError, asyncio.CancelledError) as error:
        if failure:
            raise failure[0] from None
        if isinstance(error, grpc.aio.AioRpcError):
            raise Problem.from_rpc_error(error).renamed(names) from None
        raise
