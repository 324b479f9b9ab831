"""The SSE body as EventSource sees it, from scripted WatchJob snapshots."""

from __future__ import annotations

from typing import Any

import grpc

from assay.gateway.sse import job_events
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


class ScriptedCall:
    """A WatchJob call that yields the given snapshots, then EOF."""

    def __init__(self, *snapshots: js.WatchJobResponse) -> None:
        self.snapshots = list(snapshots)

    async def read(self) -> Any:
        return self.snapshots.pop(0) if self.snapshots else grpc.aio.EOF

    def cancel(self) -> None:
        pass


def snapshot(state: int, sequence: int = 0) -> js.WatchJobResponse:
    return js.WatchJobResponse(job=Job(id="j1", state=state, event_sequence=sequence))  # type: ignore[arg-type]


async def body(call: ScriptedCall, after: int = 0) -> str:
    response = await job_events(call, heartbeat_seconds=5, after=after)
    return "".join([chunk if isinstance(chunk, str) else bytes(chunk).decode()
                    async for chunk in response.body_iterator])


async def test_numbered_snapshots_up_to_last_event_id_are_skipped_and_end_follows_the_final_one() -> None:
    text = await body(ScriptedCall(snapshot(Job.STATE_QUEUED, 3), snapshot(Job.STATE_RUNNING, 4),
                                   snapshot(Job.STATE_RUNNING, 4), snapshot(Job.STATE_SUCCEEDED, 6)), after=3)
    assert text.startswith("retry: 3000\n\n")
    assert text.count("event: job") == 2, "QUEUED (3) was seen before; the repeated 4 is not sent twice"
    assert "id: 4\n" in text and "id: 6\n" in text and "id: 3\n" not in text
    assert text.rstrip().endswith('event: end\ndata: {"id":"j1","state":"STATE_SUCCEEDED"}')


async def test_unnumbered_snapshots_are_all_sent_without_an_id() -> None:
    text = await body(ScriptedCall(snapshot(Job.STATE_QUEUED), snapshot(Job.STATE_SUCCEEDED)))
    assert text.count("event: job") == 2 and "id:" not in text and "event: end" in text
