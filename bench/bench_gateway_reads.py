"""CPU cost of the REST gateway per status read (``GET /v1/jobs/{id}`` of finished jobs).

Run against a running stack::

    .venv/bin/assay dev --data-dir /tmp/gw-bench-data        # in another terminal
    .venv/bin/python bench/bench_gateway_reads.py --data-dir /tmp/gw-bench-data [--jobs 50] \
        [--reads 5000] [--concurrency 50] [--repeat 3]

It submits ``--jobs`` sentiment jobs through the gateway and waits until they have succeeded,
warms up, then does ``--reads`` GETs of those jobs from ``--concurrency`` tasks, each with its own
keep-alive ``httpx.AsyncClient``. Per round it prints the gateway's (and the jobs service's) CPU
seconds per 1000 reads (utime + stime from /proc/<pid>/stat, pids from stack.json) and reads/s.
The load generator shares the machine, so reads/s is only indicative; CPU s/1000 reads is the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import time
from pathlib import Path

import httpx
from local_jobs import cpu_seconds, family_cpu_seconds

BODY = {"analyzer": "sentiment", "inputs": {"text": "I love it"}}


async def submit_and_wait(url: str, headers: dict[str, str], count: int) -> list[str]:
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        ids = []
        for _ in range(count):
            response = await client.post("/v1/jobs", json=BODY)
            response.raise_for_status()
            ids.append(response.json()["id"])
        deadline = time.monotonic() + 120
        pending = set(ids)
        while pending:
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(pending)} jobs did not finish in time")
            for job_id in list(pending):
                state = (await client.get(f"/v1/jobs/{job_id}")).json()["state"]
                if state == "STATE_SUCCEEDED":
                    pending.discard(job_id)
                elif state in ("STATE_FAILED", "STATE_CANCELLED"):
                    raise SystemExit(f"job {job_id} ended {state}")
            await asyncio.sleep(0.2)
        return ids


async def read_load(url: str, headers: dict[str, str], ids: list[str], reads: int, concurrency: int) -> int:
    """``reads`` GETs spread over ``concurrency`` clients; returns the number of non-200 answers."""
    paths = itertools.cycle([f"/v1/jobs/{job_id}" for job_id in ids])
    remaining = reads
    errors = 0

    async def worker() -> None:
        nonlocal remaining, errors
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            while remaining > 0:
                remaining -= 1
                response = await client.get(next(paths))
                if response.status_code != 200:
                    errors += 1

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("ASSAY_DATA_DIR", ".assay-data"))
    parser.add_argument("--jobs", type=int, default=50, help="finished jobs to read (submitted first)")
    parser.add_argument("--reads", type=int, default=5000, help="GETs per round")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients")
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds")
    args = parser.parse_args()

    stack = json.loads((Path(args.data_dir) / "stack.json").read_text())
    url, pids = stack["gateway_url"], stack["pids"]
    headers = {"Authorization": f"Bearer {stack['token']}"}
    ids = await submit_and_wait(url, headers, args.jobs)
    await read_load(url, headers, ids, min(args.reads, 1000), args.concurrency)  # warm-up
    print(f"{args.reads} reads of {len(ids)} finished jobs, {args.concurrency} clients, gateway pid {pids['gateway']}")
    for round_ in range(1, args.repeat + 1):
        gateway0, jobs0, started = family_cpu_seconds(pids["gateway"]), cpu_seconds(pids["jobs"]), time.perf_counter()
        errors = await read_load(url, headers, ids, args.reads, args.concurrency)
        wall = time.perf_counter() - started
        gateway, jobs = family_cpu_seconds(pids["gateway"]) - gateway0, cpu_seconds(pids["jobs"]) - jobs0
        per_k = 1000 / args.reads
        print(f"round {round_}: gateway {gateway * per_k:.2f} CPU s/1000 reads, jobs {jobs * per_k:.2f}, "
              f"{args.reads / wall:.0f} reads/s, {errors} errors")


if __name__ == "__main__":
    asyncio.run(main())
