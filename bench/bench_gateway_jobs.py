"""CPU cost of the REST gateway per job of the c1 shape (create, poll every 100 ms until finished,
fetch the result) and per request.

Run against a running stack::

    .venv/bin/assay dev --data-dir /tmp/gw-bench-data        # in another terminal
    .venv/bin/python bench/bench_gateway_jobs.py --data-dir /tmp/gw-bench-data [--jobs 500] \
        [--concurrency 50] [--repeat 3]

Each of ``--concurrency`` tasks (its own keep-alive ``httpx.AsyncClient``) submits a ~100-character
sentiment job, polls ``GET /v1/jobs/{id}`` every ``--poll`` seconds until it has finished, fetches
``/result`` and takes the next, as bench.compare's c1 does. Per round it prints the gateway's CPU
(utime + stime of its process family, pid from stack.json) per job and per request, and jobs/s.
The load generator shares the machine, so jobs/s is only indicative; CPU per job is the figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path

import httpx
from local_jobs import cpu_seconds, family_cpu_seconds

TEXT = "The delivery was quick and the staff were friendly, but the product broke after two days of use."
FINISHED = ("STATE_SUCCEEDED", "STATE_FAILED", "STATE_CANCELLED")


async def job_loop(url: str, headers: dict[str, str], jobs: int, concurrency: int, poll: float) -> tuple[int, int]:
    """``jobs`` c1 jobs from ``concurrency`` clients; returns (requests made, failed requests or jobs)."""
    remaining, requests, errors = jobs, 0, 0

    async def client_task() -> None:
        nonlocal remaining, requests, errors
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            while remaining > 0:
                remaining -= 1
                created = await client.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": TEXT}})
                requests += 1
                if created.status_code != 202:
                    errors += 1
                    continue
                job_id, deadline = created.json()["id"], time.monotonic() + 60
                state = ""
                while state not in FINISHED and time.monotonic() < deadline:
                    await asyncio.sleep(poll)
                    state = (await client.get(f"/v1/jobs/{job_id}")).json().get("state", "")
                    requests += 1
                result = await client.get(f"/v1/jobs/{job_id}/result")
                requests += 1
                if state != "STATE_SUCCEEDED" or result.status_code != 200:
                    errors += 1

    await asyncio.gather(*(client_task() for _ in range(concurrency)))
    return requests, errors


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("ASSAY_DATA_DIR", ".assay-data"))
    parser.add_argument("--jobs", type=int, default=500, help="jobs per round")
    parser.add_argument("--concurrency", type=int, default=50, help="concurrent clients")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between status reads")
    parser.add_argument("--repeat", type=int, default=3, help="measured rounds")
    args = parser.parse_args()

    stack = json.loads((Path(args.data_dir) / "stack.json").read_text())
    url, pids = stack["gateway_url"], stack["pids"]
    headers = {"Authorization": f"Bearer {stack['token']}"}
    await job_loop(url, headers, min(args.jobs, 100), args.concurrency, args.poll)  # warm-up
    print(f"{args.jobs} jobs per round, {args.concurrency} clients, poll {args.poll} s, gateway pid {pids['gateway']}")
    for round_ in range(1, args.repeat + 1):
        gateway0, jobs0, started = family_cpu_seconds(pids["gateway"]), cpu_seconds(pids["jobs"]), time.perf_counter()
        requests, errors = await job_loop(url, headers, args.jobs, args.concurrency, args.poll)
        wall = time.perf_counter() - started
        gateway, jobs = family_cpu_seconds(pids["gateway"]) - gateway0, cpu_seconds(pids["jobs"]) - jobs0
        print(f"round {round_}: gateway {gateway * 1000 / args.jobs:.2f} CPU ms/job, "
              f"{gateway * 1000 / requests:.3f} CPU ms/request ({requests / args.jobs:.1f} requests/job), "
              f"jobs {jobs * 1000 / args.jobs:.2f} CPU ms/job, {args.jobs / wall:.1f} jobs/s, {errors} errors")


if __name__ == "__main__":
    asyncio.run(main())
