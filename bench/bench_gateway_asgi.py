"""CPU of the gateway's ASGI stack per status read answered from the job view, in-process.

    .venv/bin/python bench/bench_gateway_asgi.py [--reads 20000] [--repeat 5]

Builds the gateway app as ``assay.gateway.serve`` does (tracing on: a tracer provider whose batch
processor drops the spans in its own thread, as the span file's exporter does), puts one finished
job into a live job view, and calls the app directly with the ASGI scope uvicorn would give for
``GET /v1/jobs/{id}``: no socket, HTTP parser or load client, so the figure is the process CPU
(``time.process_time``) of the middleware, tracing, routing and route per read, and barely moves
with the machine's load. uvicorn's own share (parsing, the transport) comes on top: the end-to-end
figures are ``bench_gateway_reads.py``'s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from assay.common.auth import mint_token
from assay.gateway.app import create_app
from assay.gateway.config import GatewaySettings
from assay.gateway.upstream import Channels
from assay.v1 import job_pb2

SECRET = "bench-secret-0123456789abcdef0123456789"


class Dropped(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def finished_job() -> job_pb2.Job:
    now = Timestamp()
    now.GetCurrentTime()
    job = job_pb2.Job(id="0f2cc006-7878-4e3b-9389-548f0f65fade", tenant_id="dev", analyzer="sentiment",
                      state=job_pb2.Job.STATE_SUCCEEDED, attempt=1, event_sequence=3, create_time=now,
                      start_time=now, end_time=now, update_time=now)
    job.inputs.text = "The delivery was quick and the staff were friendly, but the product broke after two days."
    job.result.sentiment.SetInParent()
    return job


async def reads(app: Any, path: str, token: str, count: int) -> float:
    """CPU seconds of ``count`` reads of ``path`` through ``app``."""
    headers = [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"python-httpx/0.29.0"), (b"accept", b"*/*"),
               (b"accept-encoding", b"gzip, deflate"), (b"connection", b"keep-alive"),
               (b"authorization", f"Bearer {token}".encode())]
    sent: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            sent.append(message["status"])

    started = time.process_time()
    for _ in range(count):
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
                 "server": ("127.0.0.1", 8080), "client": ("127.0.0.1", 50000), "scheme": "http", "method": "GET",
                 "root_path": "", "path": path, "raw_path": path.encode(), "query_string": b"", "headers": headers,
                 "state": {}}
        await app(scope, receive, send)
    cpu = time.process_time() - started
    if set(sent) != {200}:
        raise SystemExit(f"unexpected statuses: {sorted(set(sent))}")
    return cpu


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=20000, help="reads per round")
    parser.add_argument("--repeat", type=int, default=5, help="measured rounds")
    args = parser.parse_args()

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropped()))
    trace.set_tracer_provider(provider)
    settings = GatewaySettings(jwt_hs256_secret=SECRET, nats_url="nats://127.0.0.1:1", jobs_addr="127.0.0.1:1",
                               ingest_addr="127.0.0.1:1", analysis_addr="127.0.0.1:1")
    channels = Channels.open(settings)
    app = create_app(settings, channels)
    job = finished_job()
    view = app.state.job_view
    view.set_live(True)
    view.remember(job)
    token = mint_token(settings, subject="bench", tenant="dev", roles=["user"])
    path = f"/v1/jobs/{job.id}"
    await reads(app, path, token, 2000)  # warm-up: token cache, rendered body, route tables
    figures = []
    for round_ in range(1, args.repeat + 1):
        cpu = await reads(app, path, token, args.reads)
        figures.append(cpu * 1e6 / args.reads)
        print(f"round {round_}: {figures[-1]:.1f} CPU µs per status read")
    print(f"median {statistics.median(figures):.1f} CPU µs per status read (in-process ASGI, view hit)")
    provider.shutdown()
    await channels.close()


if __name__ == "__main__":
    asyncio.run(main())
