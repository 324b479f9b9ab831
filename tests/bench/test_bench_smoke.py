"""The side-by-side benchmark runs (bench/compare): Assay over gRPC (and REST, when the peer's load
generator is available) on a tiny case.

No timing is asserted: CI only checks that the harness starts `assay dev`, drives the interfaces and
prints its table. The peer itself is left out (it needs its own venv and Redis); its REST load
generator comes from the peer benchmark beside the clone, which a user's clone does not have, so the
REST column is checked only where the run says it drove it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.assay_dev import private_root

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tiny_run() -> Iterator[tuple[str, dict[str, Any]]]:
    """Runs `python -m bench.compare --tiny --no-peer` once; its printed table and summary.json."""
    with private_root("assay-bench-smoke-") as root:
        yield _run(root / "work")


def _run(work: Path) -> tuple[str, dict[str, Any]]:
    env = {**os.environ, "ASSAY_BENCH_WORK": str(work)}
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
    summary = json.loads((work / "results" / "summary.json").read_text())
    return done.stdout, summary


def test_the_comparison_drives_assay_over_grpc_and_prints_its_table(tiny_run: tuple[str, dict[str, Any]]) -> None:
    out, summary = tiny_run
    assert "| metric |" in out and "Assay gRPC" in out, out
    assert "| end-to-end jobs/s |" in out and "| status reads/s |" in out, out
    assert "assay-grpc" in summary["systems"]
    for case in ("c1", "c2s"):
        grpc = summary["cases"][case]["assay-grpc"]
        assert grpc["errors"] == 0, (case, grpc)
        assert grpc["unit"] > 0, (case, grpc)


def test_the_comparison_drives_assay_over_rest_when_the_peer_load_generator_is_there(
    tiny_run: tuple[str, dict[str, Any]],
) -> None:
    out, summary = tiny_run
    if "assay-rest" not in summary["systems"]:
        assert "Assay REST left out:" in out, out
        pytest.skip(summary["left_out"]["assay-rest"])
    for case in ("c1", "c2s"):
        rest = summary["cases"][case]["assay-rest"]
        assert rest["errors"] == 0, (case, rest)
        assert rest["unit"] > 0, (case, rest)
