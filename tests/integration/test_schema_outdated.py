"""Deployment skew (issue 20): the jobs service started against a database that lacks a migration
answers UNAVAILABLE ``DATABASE_SCHEMA_OUTDATED`` naming the revisions (the gateway's 503), not
UNKNOWN (a 500) from ``UndefinedColumn``, and is NOT_SERVING until the migration runs."""

from __future__ import annotations

import uuid

import grpc
import pytest
from alembic import command
from alembic.config import Config
from grpc_health.v1 import health_pb2, health_pb2_grpc
from harness import Postgres
from harness.jobs import SERVICE_KEYS, JobsService, fresh_database, start_jobs
from harness.waiting import eventually

from assay.common.errors import details_from_rpc_error
from assay.common.schema_revision import DATABASE_SCHEMA_OUTDATED, SchemaRevision
from assay.jobs.config import JobsSettings
from assay.jobs.migrations import SCHEMA, SCRIPT_LOCATION
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration
OLD_REVISION = "0005"
"""Before the dispatch queue, pipelines' request ids and more: the jobs table lacks columns."""


def _migrate(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["schema"] = SCHEMA
    command.upgrade(config, revision)


async def _health(service: JobsService) -> int:
    response = await health_pb2_grpc.HealthStub(service.channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
    return int(response.status)


async def test_a_missing_migration_is_unavailable_and_not_ready_until_it_runs(postgres: Postgres, nats_server) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(postgres, "skew")
    _migrate(url, OLD_REVISION)
    service = await start_jobs(JobsSettings(
        database_url=url, nats_url=nats_server.url, grpc_host="127.0.0.1", grpc_port=0, **SERVICE_KEYS,
        ingest_addr="127.0.0.1:1", job_cache_bytes=0, database_probe_seconds=0.2, outbox_poll_seconds=0.2))
    try:
        async def not_serving() -> bool:
            return await _health(service) == health_pb2.HealthCheckResponse.NOT_SERVING
        await eventually(not_serving, timeout=10)
        heads = ", ".join(sorted(SchemaRevision(SCRIPT_LOCATION, SCHEMA, "jobs").heads))
        for call in (
            service.jobs.CreateJob(js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="x")),
                                   metadata=service.token()),
            service.jobs.GetJob(js.GetJobRequest(id=str(uuid.uuid4())), metadata=service.token()),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value.details()
            details = details_from_rpc_error(caught.value)
            assert details is not None and details.reason == DATABASE_SCHEMA_OUTDATED
            assert f"at revision {OLD_REVISION}" in (caught.value.details() or "")
            assert f"needs {heads}" in (caught.value.details() or "")

        _migrate(url, "head")  # the migration runs: ready again, and the same calls are answered

        async def serving() -> bool:
            return await _health(service) == health_pb2.HealthCheckResponse.SERVING
        await eventually(serving, timeout=10)
        created = await service.jobs.CreateJob(js.CreateJobRequest(
            analyzer="sentiment", inputs=job_pb2.JobInputs(text="x")), metadata=service.token())
        assert created.job.state in (job_pb2.Job.STATE_QUEUED, job_pb2.Job.STATE_RUNNING)
    finally:
        await service.channel.close()
        await service.server.stop(1.0)


def test_a_database_ahead_of_the_code_is_current() -> None:
    """During a rollout the migration runs first: old replicas see a revision they do not know."""
    revision = SchemaRevision(SCRIPT_LOCATION, SCHEMA, "jobs")
    assert revision.finding(set(revision.heads)) is None
    assert revision.finding({"9999_from_a_newer_build"}) is None
    assert revision.finding({OLD_REVISION}) is not None
    assert revision.finding(set()) is not None  # no migration ever ran
