"""Chaos run: jobs through an ``assay dev`` stack while its processes are killed and its servers restarted.

    .venv/bin/python bench/chaos.py [--jobs 40] [--seed 7] [--fault-every 6] [--deadline 600] [--data-dir DIR]

It starts the same stack as ``assay dev`` (``assay.devstack.stack.DevStack``: embedded PostgreSQL,
NATS JetStream and the S3 server, then jobs, ingest, analysis and the gateway as processes, restarted
by the supervisor when they die) on a fresh directory and submits ``--jobs`` jobs through the
gateway, spread evenly over the fault schedule: inline sentiment texts and CSV batches as multipart
uploads, each with an ``Idempotency-Key`` and resubmitted with it until accepted. Meanwhile, every
``--fault-every`` seconds, it injects the next of ``--faults`` faults, shuffled by ``--seed``: SIGKILL
of analysis (the worker), jobs, ingest and the gateway, and a restart of NATS and of PostgreSQL (each
at least once). Once every job is submitted it waits (bounded by ``--deadline`` overall) for every job
to finish, then prints:

* accepted, not accepted (a resubmission refused with a final 4xx, by code, or the deadline),
  succeeded, failed (by error code), stranded (not finished at the deadline), lost
  (accepted but unknown to the jobs service), run twice (more than one terminal event for a job on
  the events stream, by distinct sequence), re-run (attempt > 1: crash recovery re-ran an attempt
  that never settled), client-visible errors by HTTP status, and the wall time.

Bounded in count (``--jobs``) and time (``--deadline``); the stack is stopped at the end, whatever
happens. Exit code 1 when anything was not accepted, lost, stranded, run twice or failed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import nats

from assay.common.nats import ALL_EVENTS, EVENTS_STREAM
from assay.devstack.stack import DevStack
from assay.v1 import events_pb2, job_pb2

SERVICES = ("analysis", "jobs", "ingest", "gateway")
BACKING = ("nats", "postgres")
TERMINAL = {"STATE_SUCCEEDED", "STATE_FAILED", "STATE_CANCELLED"}
RETRYABLE_REFUSALS = {"SUBMISSION_IN_PROGRESS", "RATE_LIMITED", "408", "429"}
"""4xx answers a client retries; any other 4xx to an identical resubmission is a final refusal."""
TERMINAL_STATES = {job_pb2.Job.STATE_SUCCEEDED, job_pb2.Job.STATE_FAILED, job_pb2.Job.STATE_CANCELLED}


def schedule(seed: int, count: int) -> list[str]:
    """``count`` faults: each kind at least once, in an order shuffled by ``seed``."""
    kinds = [*SERVICES, *BACKING]
    rng = random.Random(seed)
    faults: list[str] = []
    while len(faults) < count:
        round_ = kinds[:]
        rng.shuffle(round_)
        faults += round_
    return faults[:max(count, len(kinds))]


def inject(stack: DevStack, fault: str) -> None:
    if fault in SERVICES:
        proc = stack.services[fault].server.proc
        if proc is not None and proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)  # the supervisor restarts it after its back-off
        return
    server = stack.nats if fault == "nats" else stack.postgres
    server.restart()


def run_faults(stack: DevStack, faults: list[str], every: float, done: threading.Event,
               log: list[tuple[float, str, float]], began: float) -> None:
    for fault in faults:
        if done.wait(every):
            return
        started = time.monotonic()
        try:
            inject(stack, fault)
        except Exception as exc:  # a fault that could not be injected is reported, not fatal
            print(f"  fault {fault} failed: {exc!r}", file=sys.stderr)
        log.append((started - began, fault, time.monotonic() - started))
        print(f"  {started - began:6.1f}s  {fault:9s} ({time.monotonic() - started:.1f}s)", file=sys.stderr)


def _problem_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", response.status_code))
    except ValueError:
        return str(response.status_code)


async def submit(client: httpx.AsyncClient, index: int, seed: int, errors: collections.Counter[str],
                 refused: collections.Counter[str], deadline: float) -> str | None:
    """Submit job ``index`` until it is accepted (same Idempotency-Key each time); its id or None."""
    headers = {"Idempotency-Key": f"chaos-{seed}-{index}"}
    while time.monotonic() < deadline:
        try:
            if index % 3 == 2:
                body = f"text\nGreat value {index}\nBroke after a day\n".encode()
                response = await client.post("/v1/jobs", headers=headers, data={"analyzer": "sentiment"},
                                             files={"file": (f"reviews-{index}.csv", body, "text/csv")})
            else:
                response = await client.post("/v1/jobs", headers=headers, json={
                    "analyzer": "sentiment", "inputs": {"text": f"review {index}: I love it"}})
        except httpx.HTTPError as exc:
            errors[type(exc).__name__] += 1
        else:
            if response.status_code in (200, 201, 202):
                return str(response.json()["id"])
            errors[str(response.status_code)] += 1
            code = _problem_code(response)
            if 400 <= response.status_code < 500 and code not in RETRYABLE_REFUSALS:
                refused[code] += 1  # final: resubmitting the same request cannot succeed
                return None
        await asyncio.sleep(0.5)  # pacing between resubmissions while a service is down
    return None


async def job_state(client: httpx.AsyncClient, job_id: str, errors: collections.Counter[str]) -> dict[str, Any] | None:
    """The job (BASIC view); {"lost": True} on 404; None while the answer is an outage."""
    try:
        response = await client.get(f"/v1/jobs/{job_id}", params={"view": "BASIC"})
    except httpx.HTTPError as exc:
        errors[type(exc).__name__] += 1
        return None
    if response.status_code == 404:
        return {"lost": True}
    if response.status_code != 200:
        errors[str(response.status_code)] += 1
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


async def load(stack: DevStack, args: argparse.Namespace, began: float, log: list[tuple[float, str, float]]) -> int:
    info = stack.describe()
    errors: collections.Counter[str] = collections.Counter()
    refused: collections.Counter[str] = collections.Counter()
    deadline = began + args.deadline
    async with httpx.AsyncClient(base_url=info["gateway_url"], timeout=30.0,
                                 headers={"Authorization": f"Bearer {info['token']}"}) as client:
        semaphore = asyncio.Semaphore(4)

        window = args.faults * args.fault_every  # submissions spread over the fault schedule

        async def one(index: int) -> str | None:
            await asyncio.sleep(max(0.0, began + index * window / args.jobs - time.monotonic()))  # pacing
            async with semaphore:
                return await submit(client, index, args.seed, errors, refused, deadline)
        ids = [job_id for job_id in await asyncio.gather(*(one(i) for i in range(args.jobs))) if job_id]
        submitted = time.monotonic() - began
        print(f"  {submitted:6.1f}s  all {len(ids)} accepted", file=sys.stderr)
        final: dict[str, dict[str, Any]] = {}
        while time.monotonic() < deadline and len(final) < len(ids):
            for job_id in [j for j in ids if j not in final]:
                job = await job_state(client, job_id, errors)
                if job is not None and (job.get("lost") or job.get("state") in TERMINAL):
                    final[job_id] = job
            await asyncio.sleep(1.0)  # polling interval of the drain
        for job_id in ids:  # the last known state of the unfinished ones
            if job_id not in final:
                final[job_id] = await job_state(client, job_id, errors) or {"state": "UNKNOWN"}
    wall = time.monotonic() - began
    events = await terminal_events(stack.nats.url)

    failed = collections.Counter(str(j.get("error", {}).get("code", "?")) for j in final.values()
                                 if j.get("state") == "STATE_FAILED")
    succeeded = sum(1 for j in final.values() if j.get("state") == "STATE_SUCCEEDED")
    lost = sum(1 for j in final.values() if j.get("lost"))
    unaccepted = args.jobs - len(ids)
    stranded = sum(1 for j in final.values() if not j.get("lost") and j.get("state") not in TERMINAL)
    rerun = sum(1 for j in final.values() if int(j.get("attempt", 0) or 0) > 1)
    twice = sum(1 for count in events.values() if count > 1)
    print(f"jobs          {args.jobs} (seed {args.seed}, a fault every {args.fault_every:g}s)")
    print(f"accepted      {len(ids)}")
    print(f"not accepted  {unaccepted} {dict(refused) if refused else ''}")
    print(f"succeeded     {succeeded}")
    print(f"failed        {sum(failed.values())} {dict(failed) if failed else ''}")
    print(f"stranded      {stranded}")
    print(f"lost          {lost}")
    print(f"run twice     {twice}")
    print(f"re-run        {rerun} (attempt > 1 after a crash)")
    print(f"client errors {dict(errors) if errors else 0}")
    print(f"faults        {', '.join(f'{at:.0f}s {fault}' for at, fault, _ in log)}")
    print(f"wall time     {wall:.1f}s")
    return 1 if lost or stranded or twice or failed or unaccepted else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--faults", type=int, default=6, help="faults injected (at least one of each kind)")
    parser.add_argument("--fault-every", type=float, default=6.0, help="seconds between faults")
    parser.add_argument("--deadline", type=float, default=600.0, help="bound of the whole run in seconds")
    parser.add_argument("--data-dir", type=Path, help="stack directory (default: a temporary one)")
    args = parser.parse_args()
    if args.jobs < 1 or args.deadline <= 0 or args.fault_every <= 0:
        parser.error("--jobs, --deadline and --fault-every must be positive")
    with tempfile.TemporaryDirectory(prefix="assay-chaos-") as scratch:
        stack = DevStack(args.data_dir or Path(scratch))
        began = time.monotonic()
        stack.start()
        print(f"  stack ready in {time.monotonic() - began:.1f}s", file=sys.stderr)
        supervisor = threading.Thread(target=stack.supervise, name="supervisor", daemon=True)
        supervisor.start()
        done = threading.Event()
        log: list[tuple[float, str, float]] = []
        began = time.monotonic()
        faults = threading.Thread(target=run_faults, name="faults", daemon=True,
                                  args=(stack, schedule(args.seed, args.faults), args.fault_every, done, log, began))
        faults.start()
        try:
            return asyncio.run(load(stack, args, began, log))
        finally:
            done.set()
            faults.join(timeout=60)
            stack.stop()
            supervisor.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
