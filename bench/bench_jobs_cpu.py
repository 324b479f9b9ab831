"""CPU cost of the jobs service per job and per status read.

Run: ``.venv/bin/python bench/bench_jobs_cpu.py [--jobs N] [--reads M] [--concurrency C] [--trace-file]
[--batched]``.
Starts PostgreSQL and NATS (assay.devstack.servers), the jobs service as a ``python -m assay.jobs``
subprocess, then drives N x (CreateJob + StartJob + CompleteJob) and N x M GetJob from C
concurrent gRPC clients. Prints the jobs service's CPU seconds (utime + stime from
/proc/<pid>/stat, of every serving process with ``ASSAY_JOBS_PROCESSES``) per 1000 jobs
(lifecycle only) and per 1000 GetJob, plus wall time.
``--trace-file`` exports spans to a JSON-lines file (ASSAY_TRACE_FILE) as ``assay dev`` does.
``--batched`` turns on CreateJob's group commit and sends StartJob/CompleteJob as the worker
does (StartJobs/CompleteJobs batches); without it every call is on its own, as before issue 21.
``--hold`` keeps the load running in a loop so a profiler can attach (prints the pid).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from local_jobs import (
    CAPABILITY_SECRET,
    SECRET,
    WORKER_SECRET,
    NatsServer,
    PostgresServer,
    family_cpu_seconds,
    free_port,
    jobs_database,
    jobs_service,
)

from assay.analysis.batched_calls import BatchedCalls
from assay.common.auth import mint_token, mint_worker_credential
from assay.common.capabilities import JobCapabilities
from assay.common.grpc_client import bearer, open_channel
from assay.devstack.servers.serving import LISTENING, connection_owners
from assay.jobs.config import JobsSettings
from assay.v1 import (
    job_execution_service_pb2,
    job_execution_service_pb2_grpc,
    job_pb2,
    jobs_service_pb2,
    jobs_service_pb2_grpc,
)


def result() -> job_pb2.JobResult:
    res = job_pb2.JobResult()
    res.sentiment.statistics.rows_total = 1
    res.sentiment.statistics.rows_scored = 1
    res.sentiment.statistics.mean_compound = 0.6
    item = res.sentiment.items.add()
    item.row = 0
    return res


class Driver:
    def __init__(self, channel: object, settings: JobsSettings, batched: bool = False) -> None:
        self.jobs = jobs_service_pb2_grpc.JobServiceStub(channel)  # type: ignore[arg-type]
        self.exe = job_execution_service_pb2_grpc.JobExecutionServiceStub(channel)  # type: ignore[arg-type]
        self.tenant = f"bench{uuid.uuid4().hex[:8]}"
        self.user = bearer(mint_token(settings, subject="bench", tenant=self.tenant, roles=["user"]))
        credential = mint_worker_credential(settings, subject="service:bench")
        self.worker = bearer(credential)
        if batched:  # StartJob / CompleteJob as the worker sends them: concurrent calls in one batch call
            calls = BatchedCalls(self.exe, lambda: credential, 10.0, 64)  # type: ignore[arg-type]
            self.exe.StartJob, self.exe.CompleteJob = calls.start, calls.complete  # type: ignore[method-assign]
        self.capabilities = JobCapabilities(settings)
        self.result = result()

    async def lifecycle(self) -> str:
        created = await self.jobs.CreateJob(jobs_service_pb2.CreateJobRequest(
            analyzer="sentiment", inputs=job_pb2.JobInputs(text="I love this product, it is wonderful!")),
            metadata=self.user)
        job_id = created.job.id
        started = await self.exe.StartJob(job_execution_service_pb2.StartJobRequest(
            id=job_id, tenant_id=self.tenant, analyzer_version="bench",
            capability=self.capabilities.issue(self.tenant, job_id)), metadata=self.worker)
        assert started.decision == job_execution_service_pb2.StartJobResponse.DECISION_RUN, started
        done = await self.exe.CompleteJob(job_execution_service_pb2.CompleteJobRequest(
            id=job_id, tenant_id=self.tenant, attempt=started.job.attempt, result=self.result,
            capability=self.capabilities.issue(self.tenant, job_id)),
            metadata=self.worker)
        assert done.job.state == job_pb2.Job.STATE_SUCCEEDED
        return str(job_id)

    async def read(self, job_id: str) -> None:
        got = await self.jobs.GetJob(jobs_service_pb2.GetJobRequest(id=job_id), metadata=self.user)
        assert got.job.id == job_id


async def run_phase(concurrency: int, count: int, work: object) -> list[object]:
    results: list[object] = []
    queue = iter(range(count))

    async def client() -> None:
        for i in queue:
            results.append(await work(i))  # type: ignore[operator]

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return results


async def measure(driver: Driver, pid: int, args: argparse.Namespace) -> None:
    cpu0, wall0 = family_cpu_seconds(pid), time.perf_counter()
    ids = await run_phase(args.concurrency, args.jobs, lambda _i: driver.lifecycle())
    cpu1, wall1 = family_cpu_seconds(pid), time.perf_counter()
    reads = args.jobs * args.reads
    await run_phase(args.concurrency, reads, lambda i: driver.read(ids[i % len(ids)]))  # type: ignore[arg-type]
    cpu2, wall2 = family_cpu_seconds(pid), time.perf_counter()
    per_job = (cpu1 - cpu0) / args.jobs * 1000
    per_read = (cpu2 - cpu1) / max(reads, 1) * 1000
    print(f"trace_file={'on' if args.trace_file else 'off'} batched={'on' if args.batched else 'off'} "
          f"jobs={args.jobs} reads/job={args.reads} C={args.concurrency}")
    print(f"  lifecycle: {per_job:7.2f} CPU s / 1000 jobs  (wall {wall1 - wall0:6.2f} s, "
          f"{args.jobs / (wall1 - wall0):7.1f} jobs/s)")
    print(f"  GetJob   : {per_read:7.2f} CPU s / 1000 reads (wall {wall2 - wall1:6.2f} s, "
          f"{reads / (wall2 - wall1):7.1f} reads/s)")
    print(f"  per job incl. {args.reads} reads: {per_job + per_read * args.reads:7.2f} CPU s / 1000 jobs",
          flush=True)


async def wait_listening(pid: int, port: int, processes: int, within: float = 60.0) -> None:
    """Until each of the ``ASSAY_JOBS_PROCESSES`` serving processes listens (a connection made
    before one does would never reach it)."""
    deadline = time.monotonic() + within
    while len(connection_owners(port, pid, LISTENING)) < processes:
        if time.monotonic() > deadline:
            raise SystemExit(f"fewer than {processes} jobs processes listen on {port} after {within:.0f} s")
        await asyncio.sleep(0.1)


async def main(args: argparse.Namespace) -> None:
    with PostgresServer() as postgres, NatsServer() as nats, tempfile.TemporaryDirectory() as tmp:
        url = jobs_database(postgres)
        settings = JobsSettings(database_url=url, nats_url=nats.url, jwt_hs256_secret=SECRET,
                                worker_secret=WORKER_SECRET, job_capability_secret=CAPABILITY_SECRET)
        port = free_port()
        trace_file = str(Path(tmp) / "spans.jsonl") if args.trace_file else None
        batching = {} if args.batched else {"ASSAY_CREATE_BATCH_MAX": "0"}
        with jobs_service(url, nats.url, port, trace_file, **batching) as proc:
            await wait_listening(proc.pid, port, JobsSettings().jobs_processes)
            channel = open_channel(f"127.0.0.1:{port}", args.connections)
            await asyncio.wait_for(channel.channel_ready(), timeout=30)
            driver = Driver(channel, settings, batched=args.batched)
            # warm-up: imports, pool connections, JIT-ish caches
            warm = argparse.Namespace(**{**vars(args), "jobs": min(50, args.jobs), "reads": 2})
            ids = await run_phase(args.concurrency, warm.jobs, lambda _i: driver.lifecycle())
            await run_phase(args.concurrency, len(ids) * 2, lambda i: driver.read(ids[i % len(ids)]))  # type: ignore[arg-type]
            if args.hold:
                print(f"jobs pid {proc.pid}; looping", flush=True)
                while True:
                    await measure(driver, proc.pid, args)
            for _ in range(args.rounds):
                await measure(driver, proc.pid, args)
            await channel.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--reads", type=int, default=20, help="GetJob calls per job")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--connections", type=int, default=1,
                        help="client connections, calls in turn (with ASSAY_JOBS_PROCESSES > 1: spread over them)")
    parser.add_argument("--trace-file", action="store_true", help="export spans to a JSON-lines file")
    parser.add_argument("--hold", action="store_true", help="loop forever (for py-spy)")
    parser.add_argument("--batched", action="store_true",
                        help="group-committed CreateJob, StartJobs/CompleteJobs (off: every call on its own)")
    asyncio.run(main(parser.parse_args()))
