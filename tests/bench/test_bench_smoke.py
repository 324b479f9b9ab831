"""The side-by-side benchmark runs (bench/compare): Assay over REST and gRPC on a tiny case.

No timing is asserted: CI only checks that the harness starts `assay dev`, drives both
interfaces and prints its table. The peer is left out (it needs its own venv and Redis).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_the_comparison_runs_on_a_tiny_case_and_prints_its_table(tmp_path: Path) -> None:
    env = {**os.environ, "ASSAY_BENCH_WORK": str(tmp_path / "work")}
    env.pop("ASSAY_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.compare", "--tiny", "--no-peer"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "| metric |" in out and "Assay gRPC" in out, out
    assert "| end-to-end jobs/s |" in out and "| status reads/s |" in out, out
    if (ROOT / "bench" / "assay_adapter.py").exists() and "Assay REST" in out:
        assert "| errors (+ timed out, failed) | 0 | 0 |" in out, out
    assert (tmp_path / "work" / "results" / "summary.json").exists()
