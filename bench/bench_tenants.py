"""Tenant isolation: a flooding tenant against a trickling one, for fair share and for rate limits.

Run: ``.venv/bin/python bench/bench_tenants.py [--flood 2000] [--trickle 40] [--interval 0.25]
[--backlog 2] [--per-running 2] [--concurrency 2] [--rate 20]``. Starts PostgreSQL, NATS, the jobs service and one
analysis worker as processes (``local_jobs``). Two measurements:

1. **fair share**: the trickling tenant submits one sentiment job every ``--interval`` seconds,
   first alone, then right after the flooding tenant queued ``--flood`` jobs at once; prints the
   trickle's completion latency (create → SUCCEEDED, from the jobs service's own event times)
   p50/p99 unloaded and loaded, and their ratio.
2. **rate limits**: with ``ASSAY_RATE_LIMIT_TENANT=flood=<rate>``, the trickling tenant's CreateJob
   latency p50/p99 alone, then while the flooding tenant calls GetUsage at ten times its rate (refused
   calls counted).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator

import grpc
from local_jobs import SECRET, NatsServer, PostgresServer, analysis_worker, free_port, jobs_database, jobs_service

from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.common.nats import connect
from assay.devstack.servers import start_all, stop_all
from assay.jobs.config import JobsSettings
from assay.v1 import events_pb2, job_pb2, jobs_service_pb2, jobs_service_pb2_grpc

FLOODERS = 20
"""Concurrent loops of the flooding tenant in the rate-limit measurement."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):7.0f} ms   p99 {percentile(ms, 0.99):7.0f} ms   (n={len(ms)})"


class Completions:
    """SUCCEEDED events of a tenant: create → succeeded seconds per job, from the events' own times."""

    def __init__(self) -> None:
        self.latency: dict[str, float] = {}
        self.changed = asyncio.Event()

    async def on_event(self, msg) -> None:  # type: ignore[no-untyped-def]
        event = events_pb2.JobEvent.FromString(msg.data)
        if event.job.state == job_pb2.Job.STATE_SUCCEEDED:
            created = event.job.create_time.ToDatetime().timestamp()
            self.latency[event.job.id] = event.event_time.ToDatetime().timestamp() - created
            self.changed.set()


def request(text: str = "Great value, works as described :)") -> jobs_service_pb2.CreateJobRequest:
    return jobs_service_pb2.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text))


async def trickle(stub: jobs_service_pb2_grpc.JobServiceStub, metadata: object, count: int,
                  interval: float) -> tuple[list[str], list[float]]:
    """``count`` jobs, one every ``interval`` s; their ids and CreateJob latencies."""
    ids, submits = [], []
    for _ in range(count):
        began = time.perf_counter()
        ids.append((await stub.CreateJob(request(), metadata=metadata)).job.id)
        submits.append(time.perf_counter() - began)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))
    return ids, submits


async def wait_done(completions: Completions, ids: list[str], within: float) -> list[float]:
    """The jobs' latencies once all succeeded (or those that did within ``within`` seconds)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while any(i not in completions.latency for i in ids):
                completions.changed.clear()
                await completions.changed.wait()
    return [completions.latency[i] for i in ids if i in completions.latency]


@contextlib.asynccontextmanager
async def stack(args: argparse.Namespace, **settings: str) -> AsyncIterator[tuple[object, JobsSettings, object]]:
    with PostgresServer() as postgres, NatsServer() as nats:
        url = jobs_database(postgres)
        jobs_settings = JobsSettings(database_url=url, nats_url=nats.url, jwt_hs256_secret=SECRET)
        port = free_port()
        jobs = jobs_service(url, nats.url, port, ASSAY_DISPATCH_BACKLOG=str(args.backlog),
                            ASSAY_DISPATCH_BACKLOG_PER_RUNNING=str(args.per_running), **settings).start()
        workers = [analysis_worker(nats.url, port, args.concurrency)]
        start_all(workers)
        channel = open_channel(f"127.0.0.1:{port}")
        nc = await connect(jobs_settings, "bench")
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout=30)
            yield jobs_service_pb2_grpc.JobServiceStub(channel), jobs_settings, nc
        finally:
            await nc.drain()
            await channel.close()
            stop_all(workers, timeout=20)
            jobs.close()


def token(settings: JobsSettings, tenant: str) -> object:
    return bearer(mint_token(settings, subject="bench", tenant=tenant, roles=["user"]))


async def fair_share(args: argparse.Namespace) -> None:
    async with stack(args) as (stub, settings, nc):
        completions = Completions()
        await nc.subscribe("assay.events.>", cb=completions.on_event)  # type: ignore[attr-defined]
        small = token(settings, "trickle")
        warm, _ = await trickle(stub, small, 8, 0.05)
        await wait_done(completions, warm, 120)
        ids, _ = await trickle(stub, small, args.trickle, args.interval)
        alone = await wait_done(completions, ids, 300)
        flood = token(settings, "flood")
        began = time.perf_counter()
        for start in range(0, args.flood, 50):
            await asyncio.gather(*(stub.CreateJob(request("flood"), metadata=flood)
                                   for _ in range(min(50, args.flood - start))))
        queued = time.perf_counter() - began
        before, began = len(completions.latency), time.perf_counter()
        ids, _ = await trickle(stub, small, args.trickle, args.interval)
        loaded = await wait_done(completions, ids, 600)
        rate = (len(completions.latency) - before) / (time.perf_counter() - began)
        print(f"fair share: 1 worker x {args.concurrency} slots, backlog {args.backlog} (+{args.per_running:g} "
              "per running job), "
              f"{args.flood} flood jobs queued in {queued:.1f} s, a trickle job every {args.interval} s")
        print(f"  trickle completion alone    {summary(alone)}")
        print(f"  trickle completion flooded  {summary(loaded)}")
        print(f"  p99 flooded / alone = {percentile(loaded, 0.99) / percentile(alone, 0.99):.2f}; "
              f"{rate:.1f} jobs/s completed meanwhile", flush=True)


async def rate_limits(args: argparse.Namespace) -> None:
    async with stack(args, ASSAY_RATE_LIMIT_TENANT=f"flood={args.rate}", ASSAY_RATE_LIMIT_BURST_SECONDS="1") \
            as (stub, settings, _):
        small, flood = token(settings, "trickle"), token(settings, "flood")
        await trickle(stub, small, 8, 0.05)
        _, alone = await trickle(stub, small, args.trickle, args.interval)
        refused = accepted = 0
        stop = asyncio.Event()

        async def flooding() -> None:  # one of FLOODERS loops, together at ten times the rate
            nonlocal refused, accepted
            period = FLOODERS / (10 * args.rate)
            while not stop.is_set():
                began = time.perf_counter()
                try:
                    await stub.GetUsage(jobs_service_pb2.GetUsageRequest(), metadata=flood)
                    accepted += 1
                except grpc.aio.AioRpcError as error:
                    if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        raise
                    refused += 1
                await asyncio.sleep(max(0.0, period - (time.perf_counter() - began)))

        tasks = [asyncio.create_task(flooding()) for _ in range(FLOODERS)]
        began = time.perf_counter()
        _, flooded = await trickle(stub, small, args.trickle, args.interval)
        stop.set()
        await asyncio.gather(*tasks)
        offered = (accepted + refused) / (time.perf_counter() - began)
        print(f"rate limits: flood tenant limited to {args.rate:g}/s, calling at {offered:.0f}/s "
              f"({accepted} accepted, {refused} refused)")
        print(f"  trickle CreateJob alone    {summary(alone)}")
        print(f"  trickle CreateJob flooded  {summary(flooded)}")
        print(f"  p99 flooded / alone = {percentile(flooded, 0.99) / percentile(alone, 0.99):.2f}", flush=True)


async def main(args: argparse.Namespace) -> None:
    if "fair" in args.only:
        await fair_share(args)
    if "rate" in args.only:
        await rate_limits(args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=2000, help="jobs the flooding tenant queues at once")
    parser.add_argument("--trickle", type=int, default=40, help="jobs the trickling tenant submits")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between trickle jobs")
    parser.add_argument("--backlog", type=int, default=2, help="ASSAY_DISPATCH_BACKLOG (its minimum)")
    parser.add_argument("--per-running", type=float, default=2.0, help="ASSAY_DISPATCH_BACKLOG_PER_RUNNING")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's slots")
    parser.add_argument("--rate", type=float, default=20, help="the flooding tenant's rate limit (calls/s)")
    parser.add_argument("--only", default="fair,rate", help="fair, rate or both (comma-separated)")
    asyncio.run(main(parser.parse_args()))
