"""Modules import only what they need: clients do not pull in the server stack, servicers not each other."""

from __future__ import annotations

import subprocess
import sys

import pytest


def modules_loaded_by(module: str) -> set[str]:
    """The ``assay.*`` modules a fresh interpreter has loaded after importing ``module``."""
    code = f"import sys, {module}; print('\\n'.join(m for m in sys.modules if m.startswith('assay.')))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60)
    return set(out.stdout.split())


@pytest.mark.parametrize(("module", "forbidden"), [
    # The CLI opens channels: it must not load the server bootstrap, interceptors or health.
    ("assay.common.grpc_client", {"assay.common.grpc_server", "assay.common.interceptors"}),
    # Each servicer stands on its own; shared parsing lives below both.
    ("assay.ingest.worker_file_service", {"assay.ingest.ingest_service"}),
    ("assay.jobs.job_execution_service", {"assay.jobs.job_service"}),
    # The CLI is a client: it shares the API's JSON rendering through common, not the gateway's code.
    ("assay.cli.__main__", {"assay.gateway", "assay.gateway.json", "assay.gateway.app"}),
])
def test_module_does_not_load(module: str, forbidden: set[str]) -> None:
    assert modules_loaded_by(module) & forbidden == set()
