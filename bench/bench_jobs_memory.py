"""RSS of the jobs service while jobs with large results pass through it (issue 20 item 6).

Run: ``.venv/bin/python bench/bench_jobs_memory.py [--jobs 10000] [--result-bytes 1048576] [--every 500]``.
Starts PostgreSQL and NATS (assay.devstack.servers) and the jobs service as a subprocess, then
drives each job through CreateJob, StartJob, CompleteJob (with a result of about
``--result-bytes``) and one GetJob (which the job cache then holds), from ``--concurrency``
clients. Prints the jobs process's RSS every ``--every`` jobs: with every cache bounded by bytes it
levels off once the caches are full (``ASSAY_JOB_CACHE_BYTES``, 64 MiB by default) instead of
growing with the number of jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bench_jobs_cpu import Driver, run_phase
from local_jobs import (
    CAPABILITY_SECRET,
    SECRET,
    WORKER_SECRET,
    NatsServer,
    PostgresServer,
    free_port,
    jobs_database,
    jobs_service,
)

from assay.common.grpc_client import open_channel
from assay.jobs.config import JobsSettings
from assay.v1 import job_pb2


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def large_result(size: int) -> job_pb2.JobResult:
    """A sentiment result of about ``size`` serialized bytes (1 KiB skip reasons)."""
    result = job_pb2.JobResult()
    result.sentiment.statistics.rows_total = max(size // 1024, 1)
    for row in range(max(size // 1030, 1)):
        item = result.sentiment.items.add()
        item.row = row
        item.skip_reason = f"{row:08d}" + "x" * 1016
    return result


async def main(args: argparse.Namespace) -> None:
    with PostgresServer() as postgres, NatsServer() as nats:
        url = jobs_database(postgres)
        settings = JobsSettings(database_url=url, nats_url=nats.url, jwt_hs256_secret=SECRET,
                                worker_secret=WORKER_SECRET, job_capability_secret=CAPABILITY_SECRET,
                                max_result_bytes=4 * args.result_bytes)
        port = free_port()
        with jobs_service(url, nats.url, port) as proc:
            channel = open_channel(f"127.0.0.1:{port}")
            await asyncio.wait_for(channel.channel_ready(), timeout=30)
            driver = Driver(channel, settings)
            driver.result = large_result(args.result_bytes)
            print(f"jobs={args.jobs} result={driver.result.ByteSize() / 1024:.0f} KiB C={args.concurrency}")
            print(f"{'jobs':>7} {'RSS MiB':>8} {'wall s':>7}", flush=True)
            print(f"{0:>7} {rss_mib(proc.pid):>8.1f} {0:>7.1f}", flush=True)
            started, done = time.perf_counter(), 0
            while done < args.jobs:
                batch = min(args.every, args.jobs - done)
                ids = await run_phase(args.concurrency, batch, lambda _i: driver.lifecycle())
                await run_phase(args.concurrency, len(ids), lambda i, ids=ids: driver.read(ids[i]))  # type: ignore[misc]
                done += batch
                print(f"{done:>7} {rss_mib(proc.pid):>8.1f} {time.perf_counter() - started:>7.1f}", flush=True)
            await channel.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--result-bytes", type=int, default=1024 * 1024)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    asyncio.run(main(parser.parse_args()))
