"""Measures a sentiment batch job through the whole stack: a CSV uploaded to the gateway, run by a worker.

Run: ``.venv/bin/python bench/bench_sentiment_job.py [--megabytes 10] [--model fast] [--data-dir DIR]``.

It starts ``assay dev`` on a temporary directory (embedded PostgreSQL, NATS, S3 and every service),
writes a CSV of distinct two-sentence reviews made of Hutto & Gilbert's held-out sentences
(``bench/sentiment_data.py``) up to ``--megabytes``, uploads it (multipart ``POST /v1/jobs``, no
result cache), polls the job until it ends and prints: rows, bytes, the upload and the job's wall
time (submit to SUCCEEDED), rows/s, the CPU seconds of the analysis service and its children (the
worker runs jobs in warm child processes) and of the whole stack, rows per analysis CPU-second,
the analysis processes' peak resident memory, and the load average before and after. The stack is
stopped (SIGINT to its supervisor; after 120 s, SIGKILL to its process group) however the run ends.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sentiment_data import fetch_sdist, load_sentences, write_review_csv

MODELS = {"fast": "SENTIMENT_MODEL_KIND_FAST", "learned": "SENTIMENT_MODEL_KIND_LEARNED",
          "lexicon": "SENTIMENT_MODEL_KIND_LEXICON"}


def wait_for(check: Any, what: str, timeout: float) -> Any:
    """Poll ``check()`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise SystemExit(f"timed out after {timeout:.0f} s waiting for {what}")


def tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    out = {}
    for p in processes:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return out


def peak_rss_mib(processes: list[psutil.Process]) -> float:
    peak = 0
    for p in processes:
        try:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    return peak / 1024


def stack_ready(data_dir: Path) -> dict[str, Any] | None:
    try:
        stack = json.loads((data_dir / "stack.json").read_text())
        httpx.get(f"{stack['gateway_url']}/v1/analyzers", timeout=5,
                  headers={"Authorization": f"Bearer {stack['token']}"}).raise_for_status()
        return dict(stack)
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=10.0)
    parser.add_argument("--model", choices=sorted(MODELS), default="fast")
    parser.add_argument("--data-dir", type=Path, default=Path.home() / ".cache" / "assay-sentiment")
    parser.add_argument("--timeout", type=float, default=1800.0, help="longest wait for the job, seconds")
    args = parser.parse_args()

    held_out = [s.text for s in load_sentences(fetch_sdist(args.data_dir)) if s.split == "test"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv_path = work / "reviews.csv"
        rows = write_review_csv(csv_path, held_out, max_bytes=int(args.megabytes * 1e6))
        size = csv_path.stat().st_size
        stack_dir = work / "stack"
        supervisor = subprocess.Popen([sys.executable, "-m", "assay.cli", "dev", "--data-dir", str(stack_dir)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            stack = wait_for(lambda: stack_ready(stack_dir), "the stack", 600)
            run(stack, csv_path, rows, size, args)
        finally:
            os.kill(supervisor.pid, signal.SIGINT)
            try:
                supervisor.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)  # its own session: the stack it started


def run(stack: dict[str, Any], csv_path: Path, rows: int, size: int, args: argparse.Namespace) -> None:
    headers = {"Authorization": f"Bearer {stack['token']}"}
    gateway = stack["gateway_url"]
    every = [p for pid in stack["pids"].values() for p in tree(int(pid))]
    analysis_pid = int(stack["pids"]["analysis"])
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(every + tree(analysis_pid))
    params = json.dumps({"sentiment": {"model": MODELS[args.model]}})
    started = time.perf_counter()
    with csv_path.open("rb") as f:
        form = {"analyzer": "sentiment", "params": params, "no_cache": "true"}
        answer = httpx.post(f"{gateway}/v1/jobs", headers=headers, timeout=600, data=form,
                            files={"file": ("reviews.csv", f, "text/csv")})
    answer.raise_for_status()
    job_id = answer.json()["id"]
    uploaded = time.perf_counter() - started

    def finished() -> dict[str, Any] | None:
        job = httpx.get(f"{gateway}/v1/jobs/{job_id}", headers=headers, timeout=30).json()
        ended = job.get("state") in ("STATE_SUCCEEDED", "STATE_FAILED", "STATE_CANCELLED")
        return dict(job) if ended else None

    job = wait_for(finished, f"job {job_id}", args.timeout)
    wall = time.perf_counter() - started
    analysis = tree(analysis_pid)
    cpu_after = cpu_seconds(every + analysis)
    analysis_cpu = sum(cpu_after[p.pid] - cpu_before.get(p.pid, 0.0) for p in analysis if p.pid in cpu_after)
    stack_cpu = sum(cpu_after[pid] - cpu_before.get(pid, 0.0) for pid in cpu_after)
    if job["state"] != "STATE_SUCCEEDED":
        raise SystemExit(f"job {job_id} ended {job['state']}: {job.get('error')}")
    print(f"model {args.model}: {rows} rows, {size / 1e6:.2f} MB; upload {uploaded:.1f} s, submit to SUCCEEDED "
          f"{wall:.1f} s = {rows / wall:.0f} rows/s wall; analysis CPU {analysis_cpu:.1f} s "
          f"({rows / max(analysis_cpu, 1e-9):.0f} rows per CPU-s), whole stack CPU {stack_cpu:.1f} s; "
          f"analysis peak RSS {peak_rss_mib(analysis):.0f} MiB; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after")


if __name__ == "__main__":
    main()
