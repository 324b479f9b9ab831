"""Helpers of the multi-tenant operation tests: jobs created and dead-lettered through the real RPCs."""

from __future__ import annotations

from harness.jobs import JobsService

from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


async def create(service: JobsService, tenant: str) -> Job:
    request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text="fine"))
    return (await service.jobs.CreateJob(request, metadata=service.token(tenant=tenant))).job


async def dead_letter(service: JobsService, tenant: str) -> Job:
    """A job the message bus gave up on: started, then FailJob(dead_lettered)."""
    job = await create(service, tenant)
    capability = service.capability(tenant, job.id)
    await service.execution.StartJob(ex.StartJobRequest(
        id=job.id, tenant_id=tenant, attempt=1, analyzer_version="1", capability=capability), metadata=service.worker)
    failed = await service.execution.FailJob(ex.FailJobRequest(
        id=job.id, tenant_id=tenant, attempt=1, dead_lettered=True, capability=capability,
        error=job_pb2.JobError(code="WORKER_CRASHED", message="gave up", retryable=True)), metadata=service.worker)
    assert failed.job.state == Job.STATE_FAILED and failed.job.error.code == "DEAD_LETTERED"
    return failed.job
