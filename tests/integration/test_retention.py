"""Retention: with a tiny retention for one tenant, the scheduled sweeps of jobs and ingest delete its
finished jobs (rows, artifacts, events) and its uploads from PostgreSQL and the bucket, record that
they did in the audit log, skip a round while another replica holds the sweep lock, and leave other
tenants' data alone."""

# ruff: noqa: F811
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from file_job_fixtures import (
    FileStack,
    file_stack,  # noqa: F401 - fixture
)
from harness import eventually
from harness.jobs import JobsService, start_jobs
from ingest_fixtures import IngestService, ingest_settings, new_tenant, start_ingest, stop_ingest
from lifecycle_fixtures import events_of, rows, succeeded_csv_job, system_url

from assay.ingest.jobs_client import JobsClient
from assay.jobs.retention import RETENTION_LOCK_KEY, SWEEPS
from assay.v1 import jobs_service_pb2 as js

RETAINED_DAYS = 0.00002  # about 1.7 s
TENANT = new_tenant()


@dataclass
class Sweeping:
    ingest: IngestService
    jobs: JobsService


@asynccontextmanager
async def _replica(file_stack: FileStack, tenant: str = TENANT, **settings: Any) -> AsyncIterator[Sweeping]:
    """A jobs replica and an ingest on the stack's databases whose sweeps apply a tiny retention to
    ``tenant``; ``settings``: more of both services' settings."""
    jobs_client = JobsClient()
    ingest = await start_ingest(ingest_settings(
        file_stack.ingest.settings.database_url, file_stack.s3, file_stack.ingest.bucket,
        retention_days=f"{tenant}={RETAINED_DAYS}", retention_sweep_seconds=0.3, **settings), file_stack.s3,
        jobs_client)
    jobs = await start_jobs(file_stack.jobs.settings.model_copy(update={
        "ingest_addr": ingest.address, "retention_days": f"{tenant}={RETAINED_DAYS}", "retention_sweep_seconds": 0.3,
        **settings}))
    jobs_client.connect(f"127.0.0.1:{jobs.server.port}")
    try:
        yield Sweeping(ingest, jobs)
    finally:
        await jobs.channel.close()
        await jobs.server.stop(1.0)
        await stop_ingest(ingest)
        await jobs_client.close()


def _skipped() -> float:
    return SWEEPS.labels(outcome="skipped")._value.get()


async def test_a_tenants_expired_jobs_artifacts_events_and_uploads_are_swept_and_audited(
    file_stack: FileStack,
) -> None:
    db, ingest_db = file_stack.jobs.settings.database_url, file_stack.ingest.settings.database_url
    other = new_tenant()
    kept = await succeeded_csv_job(file_stack, other)
    async with await psycopg.AsyncConnection.connect(system_url(db), autocommit=True) as holder:
        await holder.execute("SELECT pg_advisory_lock(%s)", (RETENTION_LOCK_KEY,))  # another replica sweeping
        done = await succeeded_csv_job(file_stack, TENANT)
        upload = await file_stack.ingest.upload([b"notes kept nowhere\n"],
                                                metadata=file_stack.ingest.token(tenant=TENANT))
        artifact = done.artifacts[0].file_id
        skipped = _skipped()
        # The sweeping replica starts now; while the lock is held elsewhere it skips its rounds.
        async with _replica(file_stack):
            await eventually(lambda: _async(_skipped() >= skipped + 2), timeout=20)
            assert await rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", done.id) != []
            await holder.execute("SELECT pg_advisory_unlock(%s)", (RETENTION_LOCK_KEY,))

            async def swept() -> bool:
                jobs_left = await rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", done.id)
                files_left = await rows(ingest_db, "SELECT 1 FROM ingest.files WHERE tenant_id = %s", TENANT)
                return not jobs_left and not files_left

            await eventually(swept, timeout=30, interval=0.2)

    assert not file_stack.ingest.object_keys(TENANT)
    assert await events_of(file_stack, TENANT, done.id) == 0
    audit = await rows(db, "SELECT action, actor, resource, details ->> 'jobs_deleted' FROM jobs.audit_log "
                           "WHERE tenant_id = %s AND actor = 'system:retention' ORDER BY id", TENANT)
    actions = [(action, resource) for action, _, resource, _ in audit]
    assert ("delete", f"jobs/{done.id}") in actions
    assert ("delete_file", f"files/{artifact}") in actions and ("delete_file", f"files/{upload.id}") in actions
    assert next(count for action, _, _, count in audit if action == "retention_sweep") == "1"
    # nothing of another tenant's
    assert await rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", kept.id) != []
    assert any(key.endswith(kept.artifacts[0].file_id) for key in file_stack.ingest.object_keys(other))


async def test_the_sweeps_do_not_use_up_the_tenants_rate_limit(file_stack: FileStack) -> None:
    limited, ingest_db = new_tenant(), file_stack.ingest.settings.database_url
    for index in range(4):
        await file_stack.ingest.upload([f"upload {index}\n".encode()], metadata=file_stack.ingest.token(tenant=limited))
    # one request per 1,000 s on both services: a sweep charged to the tenant would release one file only
    async with _replica(file_stack, limited, rate_limit_tenant=f"{limited}=0.001", rate_limit_burst_seconds=1000) \
            as replica:

        async def swept() -> bool:
            return not await rows(ingest_db, "SELECT 1 FROM ingest.files WHERE tenant_id = %s", limited)

        await eventually(swept, timeout=30, interval=0.2)
        # and the tenant's own request is still there to be made
        await replica.jobs.jobs.GetUsage(js.GetUsageRequest(), metadata=replica.jobs.token(tenant=limited))


async def _async(value: bool) -> bool:
    return value
