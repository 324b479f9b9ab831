"""Chaos run: jobs through an ``assay dev`` stack while its processes are killed, its servers
restarted and one dependency held down for minutes (issue 20).

    .venv/bin/python bench/chaos.py [--jobs 40] [--window 60] [--kills 4] [--restarts postgres,nats,s3]
                                    [--outage ingest] [--outage-seconds 20] [--corpus DIR [--pdf-every 25]] [--seed 7]
                                    [--deadline 600] [--data-dir DIR]

It starts the same stack as ``assay dev`` (``assay.devstack.stack.DevStack``: embedded PostgreSQL,
NATS JetStream and the S3 server, then jobs, ingest, analysis and the gateway as processes,
restarted by the supervisor when they die) on a fresh directory and submits ``--jobs`` jobs through
the gateway, spread evenly over ``--window`` seconds: inline sentiment texts, CSV batches and (with
``--corpus``) the corpus's contract PDFs for ``contract_review`` (one job in ``--pdf-every``), the
last two as multipart uploads; each with an ``Idempotency-Key`` and resubmitted with it until
accepted. Meanwhile it injects a fault schedule drawn from ``--seed`` over the same window:
``--kills`` SIGKILLs of a random service (analysis, jobs, ingest, gateway) at random times, one
orderly restart of each server in ``--restarts``, and one outage: ``--outage`` (ingest, postgres,
nats or s3; ``none`` for no outage) stopped for ``--outage-seconds`` from a quarter of the window
on. Once every job is submitted it waits (bounded by ``--deadline`` overall) for every job to
finish, sweeps orphaned objects as ingest's sweep would (nothing is in flight by then, so with no
grace), then prints:

* accepted, not accepted (a resubmission refused with a final 4xx, by code, or the deadline),
  succeeded, failed (by error code), stranded (not finished at the deadline), lost (accepted but
  unknown to the jobs service), run twice (more than one terminal event for a job on the events
  stream, by distinct sequence), re-run (attempt > 1: crash recovery re-ran an attempt that never
  settled), orphaned objects (stored, no file row) before and after the sweep, client-visible errors
  by HTTP status (with 5xx other than 503, and 503 without ``Retry-After``, counted apart), the
  longest stretch clients saw only errors, and the wall time.

Bounded in count (``--jobs``) and time (``--deadline``); the stack is stopped at the end, whatever
happens. Exit code 1 when anything was not accepted, lost, stranded, run twice or failed, when an
orphan outlived the sweep or a client saw a 5xx other than 503 (or a 503 without ``Retry-After``).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from sqlalchemy.ext.asyncio import create_async_engine

from assay.common.nats import ALL_EVENTS, EVENTS_STREAM
from assay.devstack.stack import BUCKET, DevStack
from assay.ingest.objects import ObjectStore
from assay.ingest.orphans import sweep_orphans
from assay.v1 import events_pb2, job_pb2

SERVICES = ("analysis", "jobs", "ingest", "gateway")
BACKING = ("postgres", "nats", "s3")
OUTAGES = ("ingest", *BACKING)
TERMINAL = {"STATE_SUCCEEDED", "STATE_FAILED", "STATE_CANCELLED"}
RETRYABLE_REFUSALS = {"SUBMISSION_IN_PROGRESS", "RATE_LIMITED", "408", "429"}
"""4xx answers a client retries; any other 4xx to an identical resubmission is a final refusal."""
TERMINAL_STATES = {job_pb2.Job.STATE_SUCCEEDED, job_pb2.Job.STATE_FAILED, job_pb2.Job.STATE_CANCELLED}
CSV_ROWS = 20
CONTRACT_PARAMS = json.dumps({"contract_review": {"contract_type": "CONTRACT_TYPE_VENDOR_DPA",
                                                  "jurisdiction": "JURISDICTION_EU"}})


@dataclass(frozen=True, order=True)
class Fault:
    at: float
    """Seconds into the window."""
    kind: str
    """``kill`` (SIGKILL of a service), ``restart`` (of a server) or ``outage`` (down for ``seconds``)."""
    target: str
    seconds: float = 0.0

    def __str__(self) -> str:
        held = f" {self.seconds:g}s" if self.kind == "outage" else ""
        return f"{self.at:.0f}s {self.kind} {self.target}{held}"


def plan(seed: int, window: float, kills: int, restarts: Sequence[str], outage: str | None,
         outage_seconds: float) -> list[Fault]:
    """The fault schedule: kills of random services and restarts at random times, the outage at a
    quarter of the window; restarts of the outage's own server fall outside it."""
    rng = random.Random(seed)
    faults = [Fault(rng.uniform(0.05, 0.95) * window, "kill", rng.choice(SERVICES)) for _ in range(kills)]
    begins = 0.25 * window
    for target in restarts:
        at = rng.uniform(0.05, 0.95) * window
        while target == outage and begins - 5 <= at <= begins + outage_seconds + 5:
            at = rng.uniform(0.05, 0.95) * window
        faults.append(Fault(at, "restart", target))
    if outage is not None:
        faults.append(Fault(begins, "outage", outage, outage_seconds))
    return sorted(faults)


def inject(stack: DevStack, fault: Fault) -> None:
    if fault.kind == "kill":
        proc = stack.services[fault.target].server.proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # the supervisor restarts it after its back-off
    elif fault.kind == "restart":
        stack.restart_server(fault.target)
    else:
        stack.hold_down(fault.target)
        time.sleep(fault.seconds)
        stack.bring_back(fault.target)


def run_faults(stack: DevStack, faults: list[Fault], began: float, done: threading.Event,
               log: list[tuple[Fault, float]]) -> None:
    """Inject each fault at its time; an outage runs in a thread of its own so kills go on meanwhile."""
    outages: list[threading.Thread] = []

    def one(fault: Fault) -> None:
        started = time.monotonic()
        try:
            inject(stack, fault)
        except Exception as exc:  # a fault that could not be injected is reported, not fatal
            print(f"  fault {fault} failed: {exc!r}", file=sys.stderr)
        log.append((fault, time.monotonic() - started))
        print(f"  {started - began:6.1f}s  {fault} (took {time.monotonic() - started:.1f}s)", file=sys.stderr)

    for fault in faults:
        if done.wait(max(0.0, began + fault.at - time.monotonic())):
            break
        if fault.kind == "outage":
            thread = threading.Thread(target=one, args=(fault,), name="outage", daemon=True)
            thread.start()
            outages.append(thread)
        else:
            one(fault)
    for thread in outages:
        thread.join()


def _problem_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", response.status_code))
    except ValueError:
        return str(response.status_code)


@dataclass
class Clients:
    """What clients saw: errors by status, 5xx other than 503, 503s without Retry-After, and the
    longest stretch in which every answer was an error."""

    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    refused: collections.Counter[str] = field(default_factory=collections.Counter)
    server_errors: collections.Counter[str] = field(default_factory=collections.Counter)
    no_retry_after: int = 0
    longest_outage: float = 0.0
    _failing_since: float | None = None

    def answered(self, response: httpx.Response | None, error: Exception | None = None) -> None:
        now = time.monotonic()
        if response is not None and response.status_code < 500 and response.status_code not in (408, 429):
            if self._failing_since is not None:
                self.longest_outage = max(self.longest_outage, now - self._failing_since)
                self._failing_since = None
            if response.status_code >= 400:
                self.errors[str(response.status_code)] += 1
            return
        if self._failing_since is None:
            self._failing_since = now
        if error is not None:
            self.errors[type(error).__name__] += 1
            return
        assert response is not None
        self.errors[str(response.status_code)] += 1
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.no_retry_after += 1
        if response.status_code >= 500 and response.status_code != 503:
            self.server_errors[f"{response.status_code} {_problem_code(response)}"] += 1


@dataclass(frozen=True)
class Load:
    """What job ``index`` submits: an inline text, a CSV batch or a contract PDF."""

    seed: int
    pdfs: Sequence[tuple[str, bytes]]
    pdf_every: int = 25
    """One job in this many is a contract PDF (when there are PDFs): each takes a worker slot for
    tens of seconds on a loaded machine, so they dominate the load's cost."""

    def kind(self, index: int) -> str:
        if self.pdfs and index % self.pdf_every == self.pdf_every - 1:
            return "pdf"
        return "csv" if index % 3 == 2 else "text"

    def request(self, index: int) -> dict[str, Any]:
        kind = self.kind(index)
        if kind == "pdf":
            name, body = self.pdfs[(index // self.pdf_every) % len(self.pdfs)]
            return {"data": {"analyzer": "contract_review", "params": CONTRACT_PARAMS},
                    "files": {"file": (name, body, "application/pdf")}}
        if kind == "csv":
            rows = "".join(f"Great value {index}-{row}\nBroke after a day, row {row}\n" for row in range(CSV_ROWS // 2))
            return {"data": {"analyzer": "sentiment"},
                    "files": {"file": (f"reviews-{index}.csv", f"text\n{rows}".encode(), "text/csv")}}
        return {"json": {"analyzer": "sentiment", "inputs": {"text": f"review {index}: I love it"}}}


async def submit(client: httpx.AsyncClient, load: Load, index: int, clients: Clients, deadline: float) -> str | None:
    """Submit job ``index`` until it is accepted (same Idempotency-Key each time); its id or None."""
    headers = {"Idempotency-Key": f"chaos-{load.seed}-{index}"}
    request = load.request(index)
    while time.monotonic() < deadline:
        try:
            response = await client.post("/v1/jobs", headers=headers, **request)
        except httpx.HTTPError as exc:
            clients.answered(None, exc)
        else:
            clients.answered(response)
            if response.status_code in (200, 201, 202):
                return str(response.json()["id"])
            code = _problem_code(response)
            if 400 <= response.status_code < 500 and code not in RETRYABLE_REFUSALS:
                clients.refused[code] += 1  # final: resubmitting the same request cannot succeed
                return None
        await asyncio.sleep(0.5)  # pacing between resubmissions while a service is down
    return None


async def job_state(client: httpx.AsyncClient, job_id: str, clients: Clients) -> dict[str, Any] | None:
    """The job (BASIC view); {"lost": True} on 404; None while the answer is an outage."""
    try:
        response = await client.get(f"/v1/jobs/{job_id}", params={"view": "BASIC"})
    except httpx.HTTPError as exc:
        clients.answered(None, exc)
        return None
    clients.answered(response)
    if response.status_code == 404:
        return {"lost": True}
    if response.status_code != 200:
        return None
    job: dict[str, Any] = response.json()
    return job


async def terminal_events(nats_url: str) -> collections.Counter[str]:
    """Per job id: distinct terminal event sequences on the events stream."""
    nc = await nats.connect(nats_url)
    seen: dict[str, set[int]] = collections.defaultdict(set)
    try:
        js = nc.jetstream()
        subscription = await js.pull_subscribe(ALL_EVENTS, stream=EVENTS_STREAM)
        while True:
            try:
                messages = await subscription.fetch(500, timeout=2.0)
            except TimeoutError:
                break
            for message in messages:
                event = events_pb2.JobEvent.FromString(message.data)
                if event.job.state in TERMINAL_STATES:
                    seen[event.job.id].add(event.sequence)
                await message.ack()
    finally:
        await nc.close()
    return collections.Counter({job_id: len(sequences) for job_id, sequences in seen.items()})


def orphaned_objects(stack: DevStack) -> int:
    """Objects under ``tenants/`` that no ``ingest.files`` row names."""
    with stack.postgres.connect("assay") as conn:
        known = {str(row[0]) for row in conn.execute("SELECT object_key FROM ingest.files")}
    listed = stack.s3.client().list_objects(BUCKET, prefix="tenants/", recursive=True)
    return sum(1 for item in listed if item.object_name not in known)


async def sweep(stack: DevStack) -> int:
    """Ingest's orphan sweep, once, with no grace: every job has finished and nothing is uploading."""
    engine = create_async_engine(stack.database_url)
    objects = ObjectStore(stack.s3.client(), BUCKET, part_size=5 * 1024 * 1024, parallelism=1)
    try:
        return await sweep_orphans(engine, objects, 0.0)
    finally:
        await engine.dispose()


async def drain(client: httpx.AsyncClient, ids: list[str], clients: Clients,
                deadline: float) -> dict[str, dict[str, Any]]:
    """Poll every unfinished job until all have finished or the deadline; the last state of each."""
    final: dict[str, dict[str, Any]] = {}
    polls = asyncio.Semaphore(16)

    async def poll(job_id: str) -> None:
        async with polls:
            job = await job_state(client, job_id, clients)
        if job is not None and (job.get("lost") or job.get("state") in TERMINAL):
            final[job_id] = job

    while time.monotonic() < deadline and len(final) < len(ids):
        await asyncio.gather(*(poll(j) for j in ids if j not in final))
        await asyncio.sleep(2.0)  # between polling passes
    for job_id in ids:  # the last known state of the unfinished ones
        if job_id not in final:
            final[job_id] = await job_state(client, job_id, clients) or {"state": "UNKNOWN"}
    return final


async def load(stack: DevStack, args: argparse.Namespace, work: Load, began: float,
               log: list[tuple[Fault, float]]) -> int:
    info = stack.describe()
    clients = Clients()
    deadline = began + args.deadline
    async with httpx.AsyncClient(base_url=info["gateway_url"], timeout=60.0,
                                 headers={"Authorization": f"Bearer {info['token']}"}) as client:
        semaphore = asyncio.Semaphore(8)

        async def one(index: int) -> str | None:
            await asyncio.sleep(max(0.0, began + index * args.window / args.jobs - time.monotonic()))  # pacing
            async with semaphore:
                return await submit(client, work, index, clients, deadline)
        ids = [job_id for job_id in await asyncio.gather(*(one(i) for i in range(args.jobs))) if job_id]
        print(f"  {time.monotonic() - began:6.1f}s  all {len(ids)} accepted", file=sys.stderr)
        final = await drain(client, ids, clients, deadline)
    wall = time.monotonic() - began
    events = await terminal_events(stack.nats.url)
    orphans_before = orphaned_objects(stack)
    swept = await sweep(stack)
    orphans_after = orphaned_objects(stack)

    failed = collections.Counter(str(j.get("error", {}).get("code", "?")) for j in final.values()
                                 if j.get("state") == "STATE_FAILED")
    succeeded = sum(1 for j in final.values() if j.get("state") == "STATE_SUCCEEDED")
    lost = sum(1 for j in final.values() if j.get("lost"))
    unaccepted = args.jobs - len(ids)
    stranded = sum(1 for j in final.values() if not j.get("lost") and j.get("state") not in TERMINAL)
    rerun = sum(1 for j in final.values() if int(j.get("attempt", 0) or 0) > 1)
    twice = sum(1 for count in events.values() if count > 1)
    mix = collections.Counter(work.kind(i) for i in range(args.jobs))
    print(f"jobs          {args.jobs} {dict(mix)} over {args.window:g}s (seed {args.seed})")
    print(f"faults        {len(log)}: {', '.join(str(fault) for fault, _ in sorted(log))}")
    print(f"accepted      {len(ids)}")
    print(f"not accepted  {unaccepted} {dict(clients.refused) if clients.refused else ''}")
    print(f"succeeded     {succeeded}")
    print(f"failed        {sum(failed.values())} {dict(failed) if failed else ''}")
    print(f"stranded      {stranded}")
    print(f"lost          {lost}")
    print(f"run twice     {twice}")
    print(f"re-run        {rerun} (attempt > 1 after a crash)")
    print(f"orphaned      {orphans_before} objects without a file row; {swept} swept; {orphans_after} left")
    print(f"client errors {dict(clients.errors) if clients.errors else 0}")
    print(f"5xx not 503   {dict(clients.server_errors) if clients.server_errors else 0}; "
          f"503 without Retry-After {clients.no_retry_after}")
    print(f"longest outage {clients.longest_outage:.1f}s (every client answer an error)")
    print(f"wall time     {wall:.1f}s")
    bad = lost or stranded or twice or failed or unaccepted or orphans_after or clients.server_errors
    return 1 if bad or clients.no_retry_after else 0


def _pdfs(corpus: Path | None) -> list[tuple[str, bytes]]:
    if corpus is None:
        return []
    return [(path.name, path.read_bytes()) for path in sorted((corpus / "contracts").rglob("*.pdf"))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which jobs and faults are spread")
    parser.add_argument("--kills", type=int, default=4, help="SIGKILLs of a random service")
    parser.add_argument("--restarts", default=",".join(BACKING), help="servers restarted once each (comma-separated)")
    parser.add_argument("--outage", default="ingest", choices=[*OUTAGES, "none"], help="the dependency held down")
    parser.add_argument("--outage-seconds", type=float, default=20.0)
    parser.add_argument("--corpus", type=Path, help="a corpus directory: its contracts/**/*.pdf join the mix")
    parser.add_argument("--pdf-every", type=int, default=25, help="one job in this many is a contract PDF")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--deadline", type=float, default=600.0, help="bound of the whole run in seconds")
    parser.add_argument("--data-dir", type=Path, help="stack directory (default: a temporary one)")
    args = parser.parse_args()
    restarts = [name for name in args.restarts.split(",") if name]
    if unknown := set(restarts) - set(BACKING):
        parser.error(f"--restarts takes {', '.join(BACKING)}, not {', '.join(sorted(unknown))}")
    if args.jobs < 1 or args.deadline <= 0 or args.window <= 0 or args.kills < 0 or args.outage_seconds < 0:
        parser.error("--jobs, --deadline and --window must be positive, --kills and --outage-seconds not negative")
    work = Load(args.seed, _pdfs(args.corpus), max(1, args.pdf_every))
    if args.corpus is not None and not work.pdfs:
        parser.error(f"no contracts/**/*.pdf under {args.corpus}")
    outage = None if args.outage == "none" else args.outage
    faults = plan(args.seed, args.window, args.kills, restarts, outage, args.outage_seconds)
    with tempfile.TemporaryDirectory(prefix="assay-chaos-") as scratch:
        stack = DevStack(args.data_dir or Path(scratch))
        began = time.monotonic()
        stack.start()
        print(f"  stack ready in {time.monotonic() - began:.1f}s", file=sys.stderr)
        supervisor = threading.Thread(target=stack.supervise, name="supervisor", daemon=True)
        supervisor.start()
        done = threading.Event()
        log: list[tuple[Fault, float]] = []
        began = time.monotonic()
        injector = threading.Thread(target=run_faults, name="faults", daemon=True,
                                    args=(stack, faults, began, done, log))
        injector.start()
        try:
            return asyncio.run(load(stack, args, work, began, log))
        finally:
            done.set()
            injector.join(timeout=args.outage_seconds + 60)
            stack.stop()
            supervisor.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
