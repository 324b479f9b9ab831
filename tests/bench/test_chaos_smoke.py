"""CI's tiny chaos schedule (issue 20): bench/chaos.py on a small load with one fault of every kind —
SIGKILLs of services, a restart of PostgreSQL, NATS and the S3 server each, an ingest outage — must
end with every job accepted and succeeded once, nothing lost, stranded or orphaned, and no 5xx but
503 with Retry-After. The full schedule is a benchmark (bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from harness.assay_dev import private_root

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_chaos_schedule_loses_fails_and_repeats_nothing() -> None:
    with private_root("assay-chaos-smoke-") as root:
        done = subprocess.run(
            [sys.executable, "bench/chaos.py", "--jobs", "24", "--window", "30", "--kills", "4",
             "--outage", "ingest", "--outage-seconds", "6", "--seed", "3", "--deadline", "300",
             "--data-dir", str(root / "dev")],
            cwd=ROOT, capture_output=True, text=True, timeout=420,
        )
    table = dict(line.split(None, 1) for line in done.stdout.splitlines() if line.strip() and " " in line)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert table["accepted"].strip() == "24" and table["succeeded"].strip() == "24", done.stdout
    assert "restart postgres" in table["faults"] and "restart nats" in table["faults"], done.stdout
    assert "restart s3" in table["faults"] and "outage ingest" in table["faults"], done.stdout
