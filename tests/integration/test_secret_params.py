"""Secret params (``debug_redact`` fields: bank_statement.password) never leave jobs in plain except
to the worker at StartJob: not in the jobs row's params, GetJob, ListJobs nor the lifecycle events,
and gone from the database once the job ends. Real PostgreSQL, NATS, ingest and jobs."""

# ruff: noqa: F811
from __future__ import annotations

import json
from collections.abc import Sequence

import nats
from file_job_fixtures import FileStack, file_stack  # noqa: F401 - fixture
from harness import Postgres, eventually
from ingest_fixtures import new_tenant
from sqlalchemy.engine import make_url

from assay.v1 import bank_statement_pb2, events_pb2, job_pb2
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import jobs_service_pb2 as js

PASSWORD = "s3cret-Statement-PW"


def _row(postgres: Postgres, stack: FileStack, job_id: str) -> Sequence[object]:
    database = make_url(stack.jobs.settings.database_url).database
    with postgres.connect(database) as conn:
        row = conn.execute("SELECT params::text, secret_params::text, row_to_json(j)::text FROM jobs.jobs j "
                           "WHERE id = %s", (job_id,)).fetchone()
    assert row is not None
    return row


async def test_a_password_reaches_only_the_worker_and_is_gone_once_the_job_ends(
    file_stack: FileStack, postgres: Postgres,
) -> None:
    tenant = new_tenant()
    owner = file_stack.ingest.token(tenant=tenant)
    jobs = file_stack.jobs
    statement = await file_stack.ingest.upload([b"Date,Description,Amount\n2024-03-01,Coffee,-2.50\n"],
                                               name="march.csv", metadata=owner)
    published: list[events_pb2.JobEvent] = []
    nc = await nats.connect(file_stack.nats.url)
    try:
        async def collect(msg: nats.aio.msg.Msg) -> None:
            published.append(events_pb2.JobEvent.FromString(msg.data))
        await nc.jetstream().subscribe(f"assay.events.{tenant}.>", cb=collect, ordered_consumer=True)

        params = job_pb2.JobParams(bank_statement=bank_statement_pb2.BankStatementParams(
            password=PASSWORD, bank_hint="Chase"))
        created = (await jobs.jobs.CreateJob(js.CreateJobRequest(
            analyzer="bank_statement", params=params, inputs=job_pb2.JobInputs(file_ids=[statement.id])),
            metadata=jobs.token(tenant=tenant))).job
        assert PASSWORD not in str(created)
        assert created.params.bank_statement.bank_hint == "Chase", "the other params are kept"

        params_text, secret_text, whole_row = _row(postgres, file_stack, created.id)
        assert PASSWORD not in str(params_text) and json.loads(str(params_text))["bank_statement"]["bank_hint"]
        assert PASSWORD in str(secret_text), "kept apart for the worker"
        fetched = (await jobs.jobs.GetJob(js.GetJobRequest(id=created.id), metadata=jobs.token(tenant=tenant))).job
        listed = (await jobs.jobs.ListJobs(js.ListJobsRequest(view=js.JOB_VIEW_FULL),
                                           metadata=jobs.token(tenant=tenant))).jobs
        assert PASSWORD not in str(fetched) and PASSWORD not in str(list(listed))

        capability = jobs.capability(tenant, created.id)
        started = await jobs.execution.StartJob(ex.StartJobRequest(
            id=created.id, tenant_id=tenant, attempt=1, analyzer_version="1", capability=capability),
            metadata=jobs.worker)
        assert started.decision == ex.StartJobResponse.DECISION_RUN
        assert started.job.params.bank_statement.password == PASSWORD, "the worker gets the password"
        await jobs.execution.CompleteJob(ex.CompleteJobRequest(
            id=created.id, tenant_id=tenant, attempt=1, capability=capability), metadata=jobs.worker)

        async def three_events() -> bool:
            return len([e for e in published if e.job.id == created.id]) >= 3  # QUEUED, RUNNING, SUCCEEDED
        await eventually(three_events, timeout=15)
    finally:
        await nc.close()
    assert all(PASSWORD.encode() not in e.SerializeToString() for e in published)
    params_text, secret_text, whole_row = _row(postgres, file_stack, created.id)
    assert secret_text is None and PASSWORD not in str(whole_row), "gone from the database once the job ended"
    ended = (await jobs.jobs.GetJob(js.GetJobRequest(id=created.id), metadata=jobs.token(tenant=tenant))).job
    assert ended.state == job_pb2.Job.STATE_SUCCEEDED and PASSWORD not in str(ended)


async def test_a_jobs_request_hash_is_not_derived_from_its_password(file_stack: FileStack, postgres: Postgres) -> None:
    """The stored idempotency digest would let whoever reads the row test guesses of the password."""
    tenant = new_tenant()
    jobs = file_stack.jobs
    statement = await file_stack.ingest.upload([b"Date,Description,Amount\n2024-03-01,Tea,-1.00\n"],
                                               name="march.csv", metadata=file_stack.ingest.token(tenant=tenant))
    hashes = []
    for index, password in enumerate(("first-PW", "second-PW")):
        params = job_pb2.JobParams(bank_statement=bank_statement_pb2.BankStatementParams(password=password))
        created = (await jobs.jobs.CreateJob(js.CreateJobRequest(
            analyzer="bank_statement", params=params, request_id=f"statement-{index}",
            inputs=job_pb2.JobInputs(file_ids=[statement.id])), metadata=jobs.token(tenant=tenant))).job
        hashes.append(json.loads(str(_row(postgres, file_stack, created.id)[2]))["request_hash"])
    assert hashes[0] == hashes[1]
