"""Tenant isolation: a flooding tenant against a trickling one, for fair share and for rate limits.

Run: ``.venv/bin/python bench/bench_tenants.py [--flood 2000] [--trickle 40] [--interval 0.25]
[--backlog 2] [--per-running 2] [--concurrency 2] [--rate 20] [--via rest|grpc] [--repeat 1]
[--flood-connections 4] [--flood-call usage|create] [--worker-env ASSAY_X=VALUE ...]``. Starts
PostgreSQL, NATS and the jobs service as processes (``local_jobs``), with one analysis worker for fair
share and the REST gateway for rate limits over REST. Two measurements:

1. **fair share**: the trickling tenant submits one sentiment job every ``--interval`` seconds,
   first alone, then right after the flooding tenant queued ``--flood`` jobs at once; prints the
   trickle's completion latency (create → SUCCEEDED, from the jobs service's own event times)
   p50/p99 unloaded and loaded, and their ratio.
2. **rate limits**: with ``ASSAY_RATE_LIMIT_TENANT=flood=<rate>`` (burst 1 s) on the gateway and
   jobs, the trickling tenant's submit latency (``POST /v1/jobs`` through the gateway, or CreateJob
   straight to jobs with ``--via grpc``; ``--trickle`` submits every ``--interval`` s, no worker)
   in four phases: alone, flooded, alone, flooded. While flooded, the flooding tenant calls at ten
   times its limit from a process of its own (``flood_client.py``: ``--flood-connections`` calls in
   flight at most, raw keep-alive HTTP/1.1, so the flood's client costs the machine little and cannot
   starve the measuring client of CPU). Per phase: the trickle's p50/p99, the flood's accepted and
   refused calls per second, the CPU seconds of jobs, the gateway, the flooder and this client, and
   the load average; then the p99 of both flooded phases over both alone phases. ``--repeat`` runs
   the four phases again on the same stack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import signal
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from local_jobs import (
    SECRET,
    NatsServer,
    PostgresServer,
    analysis_worker,
    family_cpu_seconds,
    free_port,
    gateway_service,
    jobs_database,
    jobs_service,
    wait_all_gateway_processes,
)

from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.common.nats import connect
from assay.devstack.servers import start_all, stop_all
from assay.devstack.servers.service import AssayService
from assay.jobs.config import JobsSettings
from assay.v1 import events_pb2, job_pb2, jobs_service_pb2, jobs_service_pb2_grpc

FLOOD_CLIENT = Path(__file__).with_name("flood_client.py")


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
        self.finished: list[float] = []
        """Every SUCCEEDED event's time, in arrival order."""
        self.tenants: list[str] = []
        """The tenant of each of them."""
        self.changed = asyncio.Event()

    async def on_event(self, msg) -> None:  # type: ignore[no-untyped-def]
        event = events_pb2.JobEvent.FromString(msg.data)
        if event.job.state == job_pb2.Job.STATE_SUCCEEDED:
            created = event.job.create_time.ToDatetime().timestamp()
            self.latency[event.job.id] = event.event_time.ToDatetime().timestamp() - created
            self.finished.append(event.event_time.ToDatetime().timestamp())
            self.tenants.append(event.job.tenant_id)
            self.changed.set()


def request(text: str = "Great value, works as described :)") -> jobs_service_pb2.CreateJobRequest:
    """A sentiment job that runs (no_cache: the result cache would answer a repeat at once)."""
    return jobs_service_pb2.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text), no_cache=True)


HEAVY_REVIEW = "the delivery was late and the box was damaged, but support answered quickly and refunded me."


def flood_text(args: argparse.Namespace, n: int) -> str:
    """A flood job's text: the same cheap word, or with ``--flood-heavy`` a distinct mixed review (no cache
    answers it, and the learned model runs its transformer on it), so the flood outlasts its creates."""
    return f"Order {n}: {HEAVY_REVIEW}" if args.flood_heavy else "flood"


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


@dataclass
class Stack:
    stub: jobs_service_pb2_grpc.JobServiceStub
    settings: JobsSettings
    nc: object
    jobs: AssayService
    jobs_port: int
    gateway: AssayService | None
    gateway_port: int
    workers: list[AssayService]


@contextlib.asynccontextmanager
async def stack(args: argparse.Namespace, *, workers: int = 1, gateway: bool = False,
                **settings: str) -> AsyncIterator[Stack]:
    """PostgreSQL, NATS, jobs and ``workers`` analysis workers (and the gateway) as processes;
    ``settings``: further ``ASSAY_*`` variables of jobs and the gateway."""
    with PostgresServer() as postgres, NatsServer() as nats:
        url = jobs_database(postgres)
        jobs_settings = JobsSettings(database_url=url, nats_url=nats.url, jwt_hs256_secret=SECRET)
        port, gateway_port = free_port(), free_port()
        traces = Path(args.trace_dir) if args.trace_dir else None
        if traces is not None:
            traces.mkdir(parents=True, exist_ok=True)
        jobs = jobs_service(url, nats.url, port, str(traces / "jobs.jsonl") if traces else None,
                            ASSAY_DISPATCH_BACKLOG=str(args.backlog),
                            ASSAY_DISPATCH_BACKLOG_PER_RUNNING=str(args.per_running), **settings).start()
        worker_env = dict(setting.split("=", 1) for setting in args.worker_env)
        services = [analysis_worker(nats.url, port, args.concurrency, **worker_env,
                                    **({"ASSAY_TRACE_FILE": str(traces / f"worker{n}.jsonl")} if traces else {}))
                    for n in range(workers)]
        front = gateway_service(port, gateway_port, **settings) if gateway else None
        start_all([*services, *([front] if front else [])])
        if front is not None:
            print(f"gateway: {wait_all_gateway_processes(front, gateway_port)} process(es)", flush=True)
        channel = open_channel(f"127.0.0.1:{port}")
        nc = await connect(jobs_settings, "bench")
        try:
            await asyncio.wait_for(channel.channel_ready(), timeout=30)
            yield Stack(jobs_service_pb2_grpc.JobServiceStub(channel), jobs_settings, nc, jobs, port, front,
                        gateway_port, services)
        finally:
            await nc.drain()
            await channel.close()
            stop_all([*services, *([front] if front else [])], timeout=20)
            jobs.close()


def jwt(settings: JobsSettings, tenant: str) -> str:
    return mint_token(settings, subject="bench", tenant=tenant, roles=["user"])


def token(settings: JobsSettings, tenant: str) -> object:
    return bearer(jwt(settings, tenant))


async def fair_share(args: argparse.Namespace) -> None:
    async with stack(args) as running:
        stub, settings, nc = running.stub, running.settings, running.nc
        completions = Completions()
        await nc.subscribe("assay.events.>", cb=completions.on_event)  # type: ignore[attr-defined]
        small = token(settings, "trickle")
        warm, _ = await trickle(stub, small, 8, 0.05)
        await wait_done(completions, warm, 120)
        ids, _ = await trickle(stub, small, args.trickle, args.interval)
        alone = await wait_done(completions, ids, 300)
        flood = token(settings, "flood")
        flood_began = len(completions.finished)
        began = time.perf_counter()
        for start in range(0, args.flood, args.flood_in_flight):
            await asyncio.gather(*(stub.CreateJob(request(flood_text(args, start + n)), metadata=flood)
                                   for n in range(min(args.flood_in_flight, args.flood - start))))
        queued = time.perf_counter() - began
        before, began = len(completions.latency), time.perf_counter()
        cpu_before, load = process_cpu(running), os.getloadavg()[0]
        ids, _ = await trickle(stub, small, args.trickle, args.interval)
        loaded = await wait_done(completions, ids, 600)
        phase_seconds = time.perf_counter() - began
        rate = (len(completions.latency) - before) / phase_seconds
        cpu = {name: seconds - cpu_before[name] for name, seconds in process_cpu(running).items()}
        flood_done = completions.tenants[before:].count("flood")
        times = sorted(completions.finished[before:])
        stall = max((b - a for a, b in itertools.pairwise(times)), default=0.0)
        gaps = [b - a for a, b in itertools.pairwise(sorted(completions.finished[flood_began:]))]
        print(f"fair share: 1 worker x {args.concurrency} slots, backlog {args.backlog} (+{args.per_running:g} "
              "per running job), "
              f"{args.flood} flood jobs queued in {queued:.1f} s, a trickle job every {args.interval} s")
        print(f"  trickle completion alone    {summary(alone)}")
        print(f"  trickle completion flooded  {summary(loaded)}")
        print(f"  p99 flooded / alone = {percentile(loaded, 0.99) / percentile(alone, 0.99):.2f}; "
              f"{rate:.1f} jobs/s completed meanwhile; longest gap between two completions {stall * 1000:.0f} ms")
        print(f"  since the flood began: {len(gaps) + 1} completions, longest gap "
              f"{max(gaps, default=0) * 1000:.0f} ms, gaps over 1 s: {sum(g > 1 for g in gaps)}")
        print(f"  flooded phase: {phase_seconds:.1f} s, load average {load:.2f} at its start, {flood_done} flood jobs "
              f"completed ({flood_done / phase_seconds:.1f}/s); CPU s: "
              + ", ".join(f"{name} {seconds:.2f}" for name, seconds in cpu.items())
              + (f"; worker CPU ms per completed job {1000 * cpu['worker'] / (len(completions.latency) - before):.0f}"
                 if len(completions.latency) > before else ""), flush=True)


def process_cpu(running: Stack) -> dict[str, float]:
    """CPU seconds so far of jobs and of the workers with their analyzer processes."""
    assert running.jobs.pid is not None
    return {"jobs": family_cpu_seconds(running.jobs.pid),
            "worker": sum(family_cpu_seconds(w.pid) for w in running.workers if w.pid is not None)}


Submit = Callable[[], Awaitable[None]]


async def submit_latencies(submit: Submit, count: int, interval: float) -> list[float]:
    """``count`` submits, one every ``interval`` s (or as soon as the last one answered); their latencies."""
    latencies = []
    for _ in range(count):
        began = time.perf_counter()
        await submit()
        latencies.append(time.perf_counter() - began)
        await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))
    return latencies


@dataclass
class Phase:
    name: str
    latencies: list[float]
    cpu: dict[str, float]
    load: float
    flood: dict[str, float]


async def phase(name: str, running: Stack, submit: Submit, args: argparse.Namespace,
                flood_token: str | None, factor: float = 0) -> Phase:
    """One measurement: the trickle alone, or beside a flooder process (``flood_token``) offering
    ``factor`` times its limit."""
    pids = {"jobs": running.jobs.pid, **({"gateway": running.gateway.pid} if running.gateway else {})}
    cpu_of = {"jobs": family_cpu_seconds, "gateway": family_cpu_seconds}  # every serving process of each
    flooder = None
    if flood_token is not None:
        target = f"127.0.0.1:{running.gateway_port if args.via == 'rest' else running.jobs_port}"
        flooder = await asyncio.create_subprocess_exec(
            sys.executable, str(FLOOD_CLIENT), "--via", args.via, "--target", target, "--token", flood_token,
            "--rate", str(factor * args.rate), "--connections", str(args.flood_connections),
            "--call", args.flood_call, stdout=asyncio.subprocess.PIPE)
        assert flooder.stdout is not None
        ready = await asyncio.wait_for(flooder.stdout.readline(), timeout=60)
        assert ready.strip() == b"ready", ready
    before = {name: cpu_of[name](pid) for name, pid in pids.items() if pid is not None}
    client_before, load = time.process_time(), os.getloadavg()[0]
    latencies = await submit_latencies(submit, args.trickle, args.interval)
    cpu = {name: cpu_of[name](pid) - before[name] for name, pid in pids.items() if pid is not None}
    cpu["client"] = time.process_time() - client_before
    flood: dict[str, float] = {}
    if flooder is not None:
        flooder.send_signal(signal.SIGTERM)
        out, _ = await flooder.communicate()
        flood = json.loads(out.decode().strip().splitlines()[-1])
        cpu["flooder"] = flood["cpu_seconds"]
    return Phase(name, latencies, cpu, load, flood)


def phase_line(p: Phase) -> str:
    flood = ""
    if p.flood:
        seconds = p.flood["seconds"]
        flood = (f"   flood {p.flood.get('accepted', 0) / seconds:5.1f} accepted/s "
                 f"{p.flood.get('refused', 0) / seconds:6.1f} refused/s over {seconds:4.1f} s"
                 + "".join(f" {k} {v:g}" for k, v in p.flood.items()
                           if k not in ("accepted", "refused", "seconds", "cpu_seconds")))
    cpu = " ".join(f"{name} {seconds:5.2f}" for name, seconds in p.cpu.items())
    return f"  {p.name:<9} {summary(p.latencies)}   load {p.load:5.2f}   CPU s: {cpu}{flood}"


async def rate_limits(args: argparse.Namespace) -> None:
    limits = {"ASSAY_RATE_LIMIT_TENANT": f"flood={args.rate}", "ASSAY_RATE_LIMIT_BURST_SECONDS": "1"}
    async with stack(args, workers=0, gateway=args.via == "rest", **limits) as running:
        trickle_token = jwt(running.settings, "trickle")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{running.gateway_port}",
                                     headers={"Authorization": f"Bearer {trickle_token}"}) as client:

            async def submit_rest() -> None:
                response = await client.post("/v1/jobs", json={
                    "analyzer": "sentiment", "inputs": {"text": "Great value :)"}, "no_cache": True})
                assert response.status_code < 300, response.text

            async def submit_grpc() -> None:
                await running.stub.CreateJob(jobs_service_pb2.CreateJobRequest(
                    analyzer="sentiment", inputs=job_pb2.JobInputs(text="Great value :)"), no_cache=True),
                    metadata=bearer(trickle_token))

            submit = submit_rest if args.via == "rest" else submit_grpc
            await submit_latencies(submit, 20, 0.02)  # warm connections, caches and prepared statements
            flood_token = jwt(running.settings, "flood")
            for repeat in range(1, args.repeat + 1):
                phases = []
                for index in (1, 2):
                    phases.append(await phase(f"alone {index}", running, submit, args, None))
                    if args.at_limit:
                        phases.append(await phase(f"limit {index}", running, submit, args, flood_token, 1))
                    phases.append(await phase(f"flooded {index}", running, submit, args, flood_token,
                                              args.flood_factor))
                print(f"rate limits via {args.via} (run {repeat}): flood tenant limited to {args.rate:g}/s, offered "
                      f"{args.flood_factor * args.rate:g}/s of {args.flood_call} from {args.flood_connections} "
                      f"connections; {args.trickle} trickle submits per phase every {args.interval} s")
                for p in phases:
                    print(phase_line(p))
                alone = pooled(phases, "alone")
                print(f"  trickle submit alone    {summary(alone)}")
                for kind in ("limit", "flooded"):
                    if values := pooled(phases, kind):
                        print(f"  trickle submit {kind:<8} {summary(values)}   p99 / alone = "
                              f"{percentile(values, 0.99) / percentile(alone, 0.99):.2f}, p50 / alone = "
                              f"{statistics.median(values) / statistics.median(alone):.2f}", flush=True)


def pooled(phases: list[Phase], kind: str) -> list[float]:
    return [v for p in phases if p.name.startswith(kind) for v in p.latencies]


async def main(args: argparse.Namespace) -> None:
    if "fair" in args.only:
        await fair_share(args)
    if "rate" in args.only:
        await rate_limits(args)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=2000, help="jobs the flooding tenant queues at once")
    parser.add_argument("--flood-heavy", action="store_true",
                        help="fair share: each flood job a distinct mixed review the transformer must read")
    parser.add_argument("--flood-in-flight", type=int, default=50,
                        help="fair share: the flood's CreateJob calls in flight at once (more queue it faster)")
    parser.add_argument("--trickle", type=int, default=40, help="jobs the trickling tenant submits")
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between trickle jobs")
    parser.add_argument("--backlog", type=int, default=2, help="ASSAY_DISPATCH_BACKLOG (its minimum)")
    parser.add_argument("--per-running", type=float, default=2.0, help="ASSAY_DISPATCH_BACKLOG_PER_RUNNING")
    parser.add_argument("--concurrency", type=int, default=2, help="the worker's slots")
    parser.add_argument("--rate", type=float, default=20, help="the flooding tenant's rate limit (calls/s)")
    parser.add_argument("--via", choices=("rest", "grpc"), default="rest",
                        help="rate limits: submit and flood through the gateway (rest) or straight to jobs (grpc)")
    parser.add_argument("--repeat", type=int, default=1, help="rate limits: runs of the four phases")
    parser.add_argument("--flood-factor", type=float, default=10,
                        help="rate limits: the flooding tenant offers this many times its limit")
    parser.add_argument("--at-limit", action="store_true",
                        help="rate limits: also a phase with the flooding tenant at exactly its limit (1x)")
    parser.add_argument("--flood-connections", type=int, default=16, help="rate limits: the flood's calls in flight")
    parser.add_argument("--flood-call", choices=("usage", "create"), default="usage",
                        help="rate limits: what the flooding tenant calls (GET /v1/usage or a create)")
    parser.add_argument("--trace-dir", default="",
                        help="spans of jobs and the workers to DIR/jobs.jsonl, DIR/worker0.jsonl, ...")
    parser.add_argument("--worker-env", action="append", default=[], metavar="ASSAY_X=VALUE",
                        help="fair share: a further setting of the analysis worker (repeatable), e.g. "
                             "ASSAY_WORKER_SMALL_SPARE_CHILDREN=0")
    parser.add_argument("--only", default="fair,rate", help="fair, rate or both (comma-separated)")
    asyncio.run(main(parser.parse_args()))
