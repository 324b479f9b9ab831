"""Webhooks: what a subscription costs the job path, and how fast deliveries reach a receiver.

Run: ``.venv/bin/python bench/bench_webhooks.py [--jobs 300] [--poll 1.0]``. Starts PostgreSQL,
NATS and the jobs service as processes (``local_jobs``) and a receiver on 127.0.0.1 (allowed by
``ASSAY_WEBHOOK_ALLOW_TARGETS``). Three measurements, each over ``--jobs`` jobs created and then
cancelled (CancelJob of a QUEUED job is a terminal transition without a worker):

1. CancelJob latency p50/p99 and the jobs process's CPU per 1,000 cancels with no subscription,
   then with one subscribed to ``job.cancelled`` (the delivery row written in the transition);
2. delivery latency: CancelJob's answer → the receiver's request, p50/p99, cancels paced 20 ms apart;
3. a burst: every job cancelled at once, then the seconds until the last delivery arrived (per second).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import time
from collections.abc import AsyncIterator

from bench_tenants import percentile
from local_jobs import SECRET, NatsServer, PostgresServer, cpu_seconds, free_port, jobs_database, jobs_service

from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.jobs.config import JobsSettings
from assay.v1 import job_pb2, jobs_service_pb2, jobs_service_pb2_grpc, webhooks_service_pb2, webhooks_service_pb2_grpc

TENANT = "bench"


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):7.1f} ms   p99 {percentile(ms, 0.99):7.1f} ms   (n={len(ms)})"


class Receiver:
    """Records when each job's delivery arrived; answers 204."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._changed = asyncio.Event()

    async def wait_for(self, ids: list[str], timeout: float = 120.0) -> None:  # noqa: ASYNC109 - a deadline
        """Until every job of ``ids`` had its delivery (or the deadline passed)."""
        async with asyncio.timeout(timeout):
            while not all(job_id in self.arrived for job_id in ids):
                self._changed.clear()
                await self._changed.wait()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:  # keep-alive: several requests on one connection
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")
                              if line.lower().startswith("content-length:"))
                body = json.loads(await reader.readexactly(length))
                self.arrived[body["data"]["id"]] = time.perf_counter()
                self._changed.set()
                writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
        writer.close()


@contextlib.asynccontextmanager
async def stack(poll: float) -> AsyncIterator[tuple[jobs_service_pb2_grpc.JobServiceStub,
                                                    webhooks_service_pb2_grpc.WebhookServiceStub, int]]:
    with PostgresServer() as postgres, NatsServer() as nats:
        url = jobs_database(postgres)
        port = free_port()
        jobs = jobs_service(url, nats.url, port, ASSAY_WEBHOOK_ALLOW_TARGETS="127.0.0.1/32",
                            ASSAY_WEBHOOK_POLL_SECONDS=str(poll)).start()
        channel = open_channel(f"127.0.0.1:{port}")
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout=30)
            assert jobs.pid is not None
            yield (jobs_service_pb2_grpc.JobServiceStub(channel), webhooks_service_pb2_grpc.WebhookServiceStub(channel),
                   jobs.pid)
        finally:
            await channel.close()
            jobs.close()


async def queued(stub: jobs_service_pb2_grpc.JobServiceStub, md: object, count: int) -> list[str]:
    request = jobs_service_pb2.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="fine"))
    return [(await stub.CreateJob(request, metadata=md)).job.id for _ in range(count)]  # type: ignore[arg-type]


async def cancel_all(stub: jobs_service_pb2_grpc.JobServiceStub, md: object, ids: list[str],
                     pace: float = 0.0) -> tuple[list[float], dict[str, float]]:
    latencies, answered = [], {}
    for job_id in ids:
        started = time.perf_counter()
        await stub.CancelJob(jobs_service_pb2.CancelJobRequest(id=job_id), metadata=md)  # type: ignore[arg-type]
        answered[job_id] = time.perf_counter()
        latencies.append(answered[job_id] - started)
        if pace:
            await asyncio.sleep(pace)  # pacing the load, not waiting for anything
    return latencies, answered


async def main(args: argparse.Namespace) -> None:
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    target = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
    async with stack(args.poll) as (jobs, hooks, pid):
        md = bearer(mint_token(JobsSettings(jwt_hs256_secret=SECRET), subject="bench", tenant=TENANT,
                               roles=["user", "admin"]))
        for label in ("no subscription", "one subscription"):
            if label == "one subscription":
                await hooks.CreateWebhook(webhooks_service_pb2.CreateWebhookRequest(
                    url=target, event_types=["job.cancelled"]), metadata=md)
            ids = await queued(jobs, md, args.jobs)
            cpu = cpu_seconds(pid)
            latencies, _ = await cancel_all(jobs, md, ids)
            per_thousand = (cpu_seconds(pid) - cpu) / len(ids) * 1000
            print(f"CancelJob, {label:16}: {summary(latencies)}   jobs CPU {per_thousand:5.2f} s / 1,000")
        ids = await queued(jobs, md, args.jobs)
        _, answered = await cancel_all(jobs, md, ids, pace=0.02)
        await receiver.wait_for(ids)
        print(f"delivery latency (poll {args.poll:g} s): {summary([receiver.arrived[i] - answered[i] for i in ids])}")
        ids = await queued(jobs, md, args.jobs)
        started = time.perf_counter()
        await asyncio.gather(*(jobs.CancelJob(jobs_service_pb2.CancelJobRequest(id=i), metadata=md) for i in ids))
        cancelled = time.perf_counter()
        await receiver.wait_for(ids)
        last = max(receiver.arrived[i] for i in ids)
        print(f"burst of {len(ids)} cancels: answered after {cancelled - started:.2f} s, last delivery "
              f"{last - cancelled:.2f} s later ({len(ids) / (last - started):.0f} deliveries/s overall)")
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300, help="jobs per measurement")
    parser.add_argument("--poll", type=float, default=1.0, help="ASSAY_WEBHOOK_POLL_SECONDS")
    asyncio.run(main(parser.parse_args()))
