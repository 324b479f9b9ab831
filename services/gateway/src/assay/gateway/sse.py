"""Server-Sent Events fed by JobService.WatchJob, shaped for the browser's ``EventSource``.

The stream opens with ``retry:`` (the reconnection delay), sends each snapshot as ``event: job``
with the job's event sequence number (``Job.event_sequence``) as its ``id:``, and closes with
``event: end`` once the job has finished, so a client knows to stop instead of reconnecting. A
client that lost the connection reconnects with ``Last-Event-ID`` (EventSource does so by itself):
snapshots up to that sequence are skipped, so nothing is delivered twice, and a job that finished
meanwhile gets its final snapshot (if unseen) and ``end``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from fastapi import Request
from fastapi.responses import StreamingResponse
from opentelemetry import trace

from assay.common.job_states import TERMINAL
from assay.gateway.json import to_json
from assay.gateway.problems import Problem, bad_request
from assay.v1 import job_pb2

logger = logging.getLogger(__name__)

_DONE = object()
RETRY_MILLISECONDS = 3000
"""The reconnection delay the stream asks EventSource to use after a lost connection."""


def resume_after(request: Request) -> int:
    """The sequence named by a ``Last-Event-ID`` header (0 without one); 400 when it is not ours."""
    raw = request.headers.get("last-event-id", "").strip()
    if not raw:
        return 0
    if not raw.isdigit() or len(raw) > 18:
        raise bad_request("must be the id of an event this stream sent (a sequence number)",
                          field="Last-Event-ID")
    trace.get_current_span().set_attribute("assay.sse.resumed_after", int(raw))
    return int(raw)


def format_event(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One SSE message (the JSON is on a single ``data:`` line)."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


async def job_events(
    call: Any, heartbeat_seconds: float, after: int = 0,
    on_snapshot: Callable[[job_pb2.Job], None] = lambda job: None,
) -> StreamingResponse:
    """Wait for the first snapshot (so a bad id is a problem response), then stream the snapshots
    with a sequence above ``after``, then ``end``. Each snapshot goes to ``on_snapshot`` before it
    is sent (the gateway's job view takes it, so a client that saw the end reads the ended job next).

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
        sent = after

        def snapshot(item: Any) -> bytes:
            nonlocal sent
            on_snapshot(item.job)
            sequence = item.job.event_sequence
            if not sequence:  # a job not numbered by its upstream: sent, without an id
                return format_event("job", to_json(item.job))
            if sequence <= sent:
                return b""
            sent = sequence
            return format_event("job", to_json(item.job), sequence)

        try:
            yield f"retry: {RETRY_MILLISECONDS}\n\n".encode() + snapshot(first)
            if first.job.state in TERMINAL:
                yield _end(first.job)
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
                message = snapshot(item)
                if message:
                    yield message
                if item.job.state in TERMINAL:
                    yield _end(item.job)
                    return
        finally:
            call.cancel()
            reader.cancel()

    return StreamingResponse(body(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


def _end(job: job_pb2.Job) -> bytes:
    """The stream's last message: the job has finished, stop listening (no ``id:``, no resume)."""
    return format_event("end", {"id": job.id, "state": job_pb2.Job.State.Name(job.state)})
