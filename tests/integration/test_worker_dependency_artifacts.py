"""A dependent job's analyzer reads its dependencies' artifact bytes (RunContext.dependency_files):
the capability jobs writes into its work message lists them, so ingest's ResolveInputs admits them
and nothing else. Real PostgreSQL, NATS, S3, ingest, jobs and an in-process worker."""

# ruff: noqa: F811
from __future__ import annotations

import grpc
import pytest
from file_job_fixtures import FileStack, download, file_stack  # noqa: F401 - fixture
from harness import eventually
from ingest_fixtures import new_tenant
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from test_worker_tracing import span_exporter, spans  # noqa: F401 - fixtures
from worker_fixtures import scripted_registry

from assay.analysis import server as analysis_server
from assay.analysis.files import RESOLVE_BATCH
from assay.common.errors import details_from_rpc_error
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js
from assay.v1 import worker_file_service_pb2 as wf

Job = job_pb2.Job


async def _create(stack: FileStack, tenant: str, text: str, after: tuple[str, ...] = ()) -> Job:
    request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(text=text, jobs=list(after)))
    return (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token(tenant=tenant))).job


async def test_a_dependent_job_reads_its_dependencies_artifacts_and_no_other_file(
    file_stack: FileStack, spans: InMemorySpanExporter,
) -> None:
    tenant = new_tenant()
    worker = await analysis_server.start(file_stack.worker_settings(), registry=scripted_registry())
    try:
        first = await _create(file_stack, tenant, "write-artifact:first dependency's bytes|")
        second = await _create(file_stack, tenant, "write-artifact:second's")
        unrelated = await _create(file_stack, tenant, "write-artifact:not a dependency")
        dependent = await _create(file_stack, tenant, "copy-dependency-files", (first.id, second.id))
        done = await file_stack.settled(dependent.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
        other = await file_stack.settled(unrelated.id, tenant, Job.STATE_SUCCEEDED, timeout=60)

        async def attempt_span_counts_two_dependency_files() -> bool:
            return any(span.attributes is not None and span.attributes.get("assay.dependency_files") == 2
                       for span in spans.get_finished_spans())
        await eventually(attempt_span_counts_two_dependency_files, timeout=15)
    finally:
        await worker.stop(2.0)

    (copy,) = done.artifacts
    link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=copy.file_id),
                                                        metadata=file_stack.ingest.token(tenant=tenant))
    assert await download(link.url) == b"first dependency's bytes|second's"

    # What the dependent's capability does not list stays out of reach: an unrelated artifact of the
    # same tenant, and anything of another tenant.
    first_done = await file_stack.get(first.id, tenant)
    capability = file_stack.jobs.capability(tenant, dependent.id, [first_done.artifacts[0].file_id])
    worker_files, credential = file_stack.ingest.worker, file_stack.ingest.worker_credential
    refused = ((tenant, other.artifacts[0].file_id, "CAPABILITY_FILE_OUTSIDE"),
               ("another-tenant", first_done.artifacts[0].file_id, "CAPABILITY_MISMATCH"))
    for tenant_id, file_id, reason in refused:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await worker_files.ResolveInputs(wf.ResolveInputsRequest(
                tenant_id=tenant_id, ids=[file_id], job_id=dependent.id, capability=capability), metadata=credential)
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert details_from_rpc_error(caught.value).reason == reason
    resolved = await worker_files.ResolveInputs(wf.ResolveInputsRequest(
        tenant_id=tenant, ids=[first_done.artifacts[0].file_id], job_id=dependent.id, capability=capability),
        metadata=credential)
    assert [item.file.id for item in resolved.inputs] == [first_done.artifacts[0].file_id]


async def test_a_dependency_with_more_artifacts_than_one_resolve_call_takes_is_read_whole(
    file_stack: FileStack,
) -> None:
    tenant = new_tenant()
    count = RESOLVE_BATCH + 5
    worker = await analysis_server.start(file_stack.worker_settings(), registry=scripted_registry())
    try:
        many = await _create(file_stack, tenant, f"write-artifacts:{count}")
        dependent = await _create(file_stack, tenant, "copy-dependency-files", (many.id,))
        done = await file_stack.settled(dependent.id, tenant, Job.STATE_SUCCEEDED, timeout=120)
    finally:
        await worker.stop(2.0)
    link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=done.artifacts[0].file_id),
                                                        metadata=file_stack.ingest.token(tenant=tenant))
    assert await download(link.url) == "".join(f"{i}," for i in range(count)).encode()
