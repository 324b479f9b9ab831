"""Server-Sent Events fed by JobService.WatchJob."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
from fastapi.responses import StreamingResponse

from assay.common.job_states import TERMINAL
from assay.gateway.json import to_json
from assay.gateway.problems import Problem

logger = logging.getLogger(__name__)

_DONE = object()


def format_event(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One SSE message (the JSON is on a single ``data:`` line)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


async def job_events(call: Any, heartbeat_seconds: float) -> StreamingResponse:
    """Wait for the first snapshot (so a bad id is a problem response), then stream the rest.

    A reader task moves snapshots into a queue; the response waits on the queue with a timeout
    and sends a comment line as heartbeat, so the gRPC read itself is never cancelled by a timer.
    """
    try:
        first: Any = await call.read()
    except BaseException:
        call.cancel()
        raise
    if first is grpc.aio.EOF:
        raise Problem(502, "WATCH_ENDED", "the job watch ended without a snapshot",
                      grpc_code=grpc.StatusCode.UNAVAILABLE)

    async def body() -> AsyncIterator[bytes]:
        queue: asyncio.Queue[Any] = asyncio.Queue()

        async def read() -> None:
            try:
                while True:
                    message = await call.read()
                    if message is grpc.aio.EOF:
                        break
                    await queue.put(message)
            except grpc.aio.AioRpcError as error:
                await queue.put(error)
            finally:
                await queue.put(_DONE)

        reader = asyncio.create_task(read())
        try:
            count = 1
            yield format_event("job", to_json(first.job), count)
            if first.job.state in TERMINAL:
                return
            while True:
                try:
                    async with asyncio.timeout(heartbeat_seconds):  # not wait_for: it can swallow a cancel
                        item = await queue.get()
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                if item is _DONE:
                    return
                if isinstance(item, grpc.aio.AioRpcError):
                    problem = Problem.from_rpc_error(item)
                    yield format_event("error", problem.body("", None))
                    return
                count += 1
                yield format_event("job", to_json(item.job), count)
                if item.job.state in TERMINAL:
                    return
        finally:
            call.cancel()
            reader.cancel()

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
