"""End-to-end worker throughput: N small sentiment text jobs through jobs → JetStream → workers.

Every job is scored by VADER (``model=lexicon``, as ``make bench`` and the peer score) with
``no_cache`` (the result cache would answer the repeated texts without a worker).

Run: ``.venv/bin/python bench/bench_worker.py [--jobs N] [--workers 1,2,4] [--concurrency C]``.
Starts PostgreSQL and NATS (assay.devstack.servers), the jobs service as a ``python -m assay.jobs``
subprocess (its own process and core, as deployed), and the analysis workers as
``python -m assay.analysis`` subprocesses. For each worker count it submits N jobs at
once and prints jobs/s (first create to last SUCCEEDED event) and the latency create → SUCCEEDED
(p50/p95/p99), measured from the jobs service's own event timestamps, and the CPU seconds per 1,000 jobs of
the jobs service, the workers (with their analyzer children), PostgreSQL and NATS, and the load
average. ``--small 0,32`` repeats every round with each ``ASSAY_WORKER_SMALL_CONCURRENCY`` (0: the
small attempts take the ordinary slots, one child exchange each). ``--one-at-a-time`` creates each
job only once the one before has succeeded: the latency of a lightly loaded system.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

from compare.procs import cpu_by_group
from local_jobs import SECRET, NatsServer, PostgresServer, analysis_worker, free_port, jobs_database, jobs_service

from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.common.nats import connect
from assay.devstack.servers import start_all, stop_all
from assay.devstack.servers.service import AssayService
from assay.jobs.config import JobsSettings
from assay.v1 import events_pb2, job_pb2, jobs_service_pb2, jobs_service_pb2_grpc, sentiment_pb2

TEXTS = ("I love this product, it is wonderful!", "This is terrible, I hate it.",
         "The package arrived on Tuesday.", "Great value, works as described :)")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_workers(count: int, nats_url: str, jobs_port: int, concurrency: int, small: int) -> list[AssayService]:
    workers = [analysis_worker(nats_url, jobs_port, concurrency, ASSAY_WORKER_SMALL_CONCURRENCY=str(small))
               for _ in range(count)]
    start_all(workers)
    return workers


async def round_trip(stub: jobs_service_pb2_grpc.JobServiceStub, nc: object, settings: JobsSettings,
                     count: int, one_at_a_time: bool = False) -> tuple[float, list[float]]:
    tenant = f"bench{uuid.uuid4().hex[:8]}"
    metadata = bearer(mint_token(settings, subject="bench", tenant=tenant, roles=["user"]))
    done: dict[str, float] = {}
    finished = asyncio.Event()
    progressed = asyncio.Event()

    async def on_event(msg) -> None:  # type: ignore[no-untyped-def]
        event = events_pb2.JobEvent.FromString(msg.data)
        if event.job.state == job_pb2.Job.STATE_SUCCEEDED:
            created = event.job.create_time.ToDatetime().timestamp()
            done[event.job.id] = event.event_time.ToDatetime().timestamp() - created
            progressed.set()
            if len(done) >= count:
                finished.set()

    sub = await nc.subscribe(f"assay.events.{tenant}.>", cb=on_event)  # type: ignore[attr-defined]
    began = time.perf_counter()
    params = job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(
        model=sentiment_pb2.SENTIMENT_MODEL_KIND_LEXICON))  # as make bench's c1 (and the peer) score

    async def create(i: int) -> None:  # every job runs (no_cache): the result cache would answer repeated texts
        await stub.CreateJob(jobs_service_pb2.CreateJobRequest(
            analyzer="sentiment", inputs=job_pb2.JobInputs(text=TEXTS[i % len(TEXTS)]), params=params,
            no_cache=True), metadata=metadata)

    if one_at_a_time:  # a lightly loaded system: each job created once the one before has succeeded
        for i in range(count):
            await create(i)
            while len(done) <= i:
                progressed.clear()
                await asyncio.wait_for(progressed.wait(), timeout=60)
    else:
        await asyncio.gather(*(create(i) for i in range(count)))
    await asyncio.wait_for(finished.wait(), timeout=600)
    elapsed = time.perf_counter() - began
    await sub.unsubscribe()
    return elapsed, list(done.values())


async def main(args: argparse.Namespace) -> None:
    with PostgresServer() as postgres, NatsServer() as nats:
        url = jobs_database(postgres)
        settings = JobsSettings(database_url=url, nats_url=nats.url, jwt_hs256_secret=SECRET)
        port = free_port()
        jobs = jobs_service(url, nats.url, port).start()
        channel = open_channel(f"127.0.0.1:{port}")
        await asyncio.wait_for(channel.channel_ready(), timeout=30)
        stub = jobs_service_pb2_grpc.JobServiceStub(channel)
        nc = await connect(settings, "bench")
        print(f"{args.jobs} sentiment text jobs per round, {args.concurrency} slots per worker process; "
              "CPU s per 1,000 jobs")
        print(f"{'small':>5} {'workers':>7} {'jobs/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
              f"{'jobs':>6} {'workers':>7} {'pg':>6} {'nats':>6} {'load':>5}")
        try:
            for small in args.small:
                for count in args.workers:
                    workers = start_workers(count, nats.url, port, args.concurrency, small)
                    try:
                        await round_trip(stub, nc, settings, max(4, count * args.concurrency))  # warm-up
                        groups = {"jobs": jobs.pid or 0, "pg": postgres.pid or 0, "nats": nats.pid or 0,
                                  **{f"w{i}": w.pid or 0 for i, w in enumerate(workers)}}
                        before = cpu_by_group(groups)
                        elapsed, latencies = await round_trip(stub, nc, settings, args.jobs, args.one_at_a_time)
                        after = cpu_by_group(groups)
                    finally:
                        stop_all(workers, timeout=20)
                    per_k = {name: (after[name] - before[name]) * 1000 / args.jobs for name in groups}
                    workers_cpu = sum(v for name, v in per_k.items() if name.startswith("w"))
                    ms = [v * 1000 for v in latencies]
                    print(f"{small:>5} {count:>7} {args.jobs / elapsed:>8.1f} {statistics.median(ms):>8.0f} "
                          f"{percentile(ms, 0.95):>8.0f} {percentile(ms, 0.99):>8.0f} {per_k['jobs']:>6.2f} "
                          f"{workers_cpu:>7.2f} {per_k['pg']:>6.2f} {per_k['nats']:>6.2f} "
                          f"{os.getloadavg()[0]:>5.1f}", flush=True)
        finally:
            await nc.drain()
            await channel.close()
            jobs.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--small", type=lambda s: [int(x) for x in s.split(",")], default=[32],
                        help="ASSAY_WORKER_SMALL_CONCURRENCY values, each a round (0: off)")
    parser.add_argument("--one-at-a-time", action="store_true",
                        help="create each job once the one before has succeeded (latency of a lightly loaded system)")
    asyncio.run(main(parser.parse_args()))
