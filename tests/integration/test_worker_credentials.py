"""Worker authority (issue 20 item 3): every worker RPC needs a worker credential AND the job's capability.

A tenant token never acts as a worker, whatever roles it lists (``worker`` included, of the job's own
tenant or another); a worker credential acts only on the job (and that job's tenant's files) its
capability names. The cases run against every worker RPC: StartJob, Heartbeat, CompleteJob,
FailJob (jobs) and ResolveInputs, RegisterArtifact (ingest). Nothing a refused call asked for is
written: the job stays QUEUED with no attempt, no artifact is registered.
"""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
import jwt
import pytest
from harness.jobs import Metadata
from ingest_fixtures import IngestService, ingest_stack, new_tenant  # noqa: F401 - ingest_stack is a fixture

from assay.common.capabilities import CAPABILITY_AUDIENCE
from assay.common.errors import details_from_rpc_error
from assay.common.storage import object_key
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js
from assay.v1 import worker_file_service_pb2 as wf

pytestmark = pytest.mark.integration

WORKER_RPCS = ("StartJob", "Heartbeat", "CompleteJob", "FailJob", "ResolveInputs", "RegisterArtifact")


@dataclass
class Victim:
    """Tenant A's queued job over one of A's files."""

    tenant: str
    job: job_pb2.Job
    file: ing.File


async def victim_job(stack: IngestService) -> Victim:
    tenant = new_tenant()
    owner = stack.token(tenant=tenant)
    stored = await stack.upload([b"text\nI love it\n"], name="reviews.csv", media_type="text/csv", metadata=owner)
    assert stack.jobs is not None
    created = await stack.jobs.jobs.CreateJob(js.CreateJobRequest(
        analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[stored.id])), metadata=owner)
    return Victim(tenant, created.job, stored)


def worker_calls(
    stack: IngestService, tenant: str, job_id: str, file_id: str, capability: str,
) -> dict[str, Callable[[Metadata], Awaitable[object]]]:
    """Each worker RPC about ``job_id`` of ``tenant`` (and its file), as a function of the caller's metadata."""
    assert stack.jobs is not None
    execution, files = stack.jobs.execution, stack.worker
    artifact_id, body = str(uuid.uuid4()), b"label\npositive\n"
    stack.s3.put_object(stack.bucket, object_key(tenant, artifact_id), io.BytesIO(body), len(body))
    return {
        "StartJob": lambda md: execution.StartJob(ex.StartJobRequest(
            id=job_id, tenant_id=tenant, attempt=1, analyzer_version="1.0.0", capability=capability), metadata=md),
        "Heartbeat": lambda md: execution.Heartbeat(ex.HeartbeatRequest(
            id=job_id, tenant_id=tenant, attempt=1, progress=50, capability=capability), metadata=md),
        "CompleteJob": lambda md: execution.CompleteJob(ex.CompleteJobRequest(
            id=job_id, tenant_id=tenant, attempt=1, capability=capability,
            result=job_pb2.JobResult()), metadata=md),
        "FailJob": lambda md: execution.FailJob(ex.FailJobRequest(
            id=job_id, tenant_id=tenant, attempt=1, capability=capability,
            error=job_pb2.JobError(code="FORGED", message="forged", retryable=False)), metadata=md),
        "ResolveInputs": lambda md: files.ResolveInputs(wf.ResolveInputsRequest(
            tenant_id=tenant, ids=[file_id], job_id=job_id, capability=capability), metadata=md),
        "RegisterArtifact": lambda md: files.RegisterArtifact(wf.RegisterArtifactRequest(
            tenant_id=tenant, file_id=artifact_id, display_name="forged.csv", media_type="text/csv",
            sha256=hashlib.sha256(body).hexdigest(), job_id=job_id, capability=capability), metadata=md),
    }


async def refusal(call: Awaitable[object]) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), details_from_rpc_error(caught.value).reason


async def assert_untouched(stack: IngestService, victim: Victim) -> None:
    """A's job is still QUEUED before its first attempt, and A has no file but its own upload."""
    assert stack.jobs is not None
    owner = stack.token(tenant=victim.tenant)
    job = (await stack.jobs.jobs.GetJob(js.GetJobRequest(id=victim.job.id), metadata=owner)).job
    assert (job.state, job.attempt, job.HasField("result")) == (job_pb2.Job.STATE_QUEUED, 0, False)
    assert await stack.file_ids(owner) == {victim.file.id}


@pytest.mark.parametrize("whose", ["another tenant", "the job's own tenant"])
async def test_a_tenant_token_with_the_worker_role_is_refused_by_every_worker_rpc(
    ingest_stack: IngestService, whose: str,
) -> None:
    victim = await victim_job(ingest_stack)
    assert ingest_stack.jobs is not None
    tenant = new_tenant() if whose == "another tenant" else victim.tenant
    token = ingest_stack.token(tenant=tenant, roles=("worker", "admin", "user"), subject="mallory")
    # Even holding the job's real capability: a tenant token is not a worker credential.
    capability = ingest_stack.jobs.capability(victim.tenant, victim.job.id)
    calls = worker_calls(ingest_stack, victim.tenant, victim.job.id, victim.file.id, capability)
    assert tuple(calls) == WORKER_RPCS
    refusals = {name: await refusal(call(token)) for name, call in calls.items()}
    assert refusals == dict.fromkeys(WORKER_RPCS, (grpc.StatusCode.UNAUTHENTICATED, "WORKER_CREDENTIAL_REQUIRED"))
    await assert_untouched(ingest_stack, victim)


async def test_a_capability_for_one_job_acts_on_no_other_job_nor_another_tenants_files(
    ingest_stack: IngestService,
) -> None:
    victim = await victim_job(ingest_stack)
    mine = await victim_job(ingest_stack)  # tenant B's own job X
    assert ingest_stack.jobs is not None
    worker = ingest_stack.jobs.worker
    capability_x = ingest_stack.jobs.capability(mine.tenant, mine.job.id)
    # X's capability, asked about A's job Y (as tenant A, or pretending Y is B's)...
    for tenant in (victim.tenant, mine.tenant):
        calls = worker_calls(ingest_stack, tenant, victim.job.id, victim.file.id, capability_x)
        refusals = {name: await refusal(call(worker)) for name, call in calls.items()}
        assert refusals == dict.fromkeys(WORKER_RPCS, (grpc.StatusCode.PERMISSION_DENIED, "CAPABILITY_MISMATCH"))
    # ... or about job X itself but naming tenant A (A's files, an artifact among A's files).
    calls = worker_calls(ingest_stack, victim.tenant, mine.job.id, victim.file.id, capability_x)
    refusals = {name: await refusal(call(worker)) for name, call in calls.items()}
    assert refusals == dict.fromkeys(WORKER_RPCS, (grpc.StatusCode.PERMISSION_DENIED, "CAPABILITY_MISMATCH"))
    await assert_untouched(ingest_stack, victim)


@pytest.mark.parametrize("forgery", ["none", "signed with the worker key", "signed with the tenant key"])
async def test_a_worker_credential_without_a_capability_jobs_signed_reaches_nothing(
    ingest_stack: IngestService, forgery: str,
) -> None:
    victim = await victim_job(ingest_stack)
    assert ingest_stack.jobs is not None
    settings = ingest_stack.jobs.settings
    claims = {"aud": CAPABILITY_AUDIENCE, "sub": victim.job.id, "tenant": victim.tenant, "exp": 4102444800}
    capability = {
        "none": "",
        "signed with the worker key": jwt.encode(claims, settings.worker_secret, algorithm="HS256"),
        "signed with the tenant key": jwt.encode(claims, settings.jwt_hs256_secret, algorithm="HS256"),
    }[forgery]
    calls = worker_calls(ingest_stack, victim.tenant, victim.job.id, victim.file.id, capability)
    refusals = {name: await refusal(call(ingest_stack.jobs.worker)) for name, call in calls.items()}
    reason = "CAPABILITY_REQUIRED" if forgery == "none" else "CAPABILITY_INVALID"
    assert refusals == dict.fromkeys(WORKER_RPCS, (grpc.StatusCode.PERMISSION_DENIED, reason))
    await assert_untouched(ingest_stack, victim)


async def test_a_worker_credential_is_no_tenant_token(ingest_stack: IngestService) -> None:
    victim = await victim_job(ingest_stack)
    assert ingest_stack.jobs is not None
    worker = ingest_stack.jobs.worker
    assert (await refusal(ingest_stack.jobs.jobs.GetJob(js.GetJobRequest(id=victim.job.id), metadata=worker)))[0] \
        == grpc.StatusCode.UNAUTHENTICATED
    assert (await refusal(ingest_stack.files.GetFile(ing.GetFileRequest(id=victim.file.id), metadata=worker)))[0] \
        == grpc.StatusCode.UNAUTHENTICATED


async def test_the_capability_jobs_writes_runs_the_job_and_the_worker_flow_passes(
    ingest_stack: IngestService,
) -> None:
    """The right credential with the right capability: start, resolve, register, heartbeat, complete."""
    victim = await victim_job(ingest_stack)
    assert ingest_stack.jobs is not None
    capability = ingest_stack.jobs.capability(victim.tenant, victim.job.id, [victim.file.id])  # lists its input
    calls = worker_calls(ingest_stack, victim.tenant, victim.job.id, victim.file.id, capability)
    worker = ingest_stack.jobs.worker
    started = await calls["StartJob"](worker)
    assert isinstance(started, ex.StartJobResponse) and started.decision == ex.StartJobResponse.DECISION_RUN
    resolved = await calls["ResolveInputs"](worker)
    assert isinstance(resolved, wf.ResolveInputsResponse)
    assert [i.object_key for i in resolved.inputs] == [object_key(victim.tenant, victim.file.id)]
    registered = await calls["RegisterArtifact"](worker)
    assert isinstance(registered, wf.RegisterArtifactResponse) and registered.file.tenant_id == victim.tenant
    await calls["Heartbeat"](worker)
    done = await calls["CompleteJob"](worker)
    assert isinstance(done, ex.CompleteJobResponse) and done.job.state == job_pb2.Job.STATE_SUCCEEDED
