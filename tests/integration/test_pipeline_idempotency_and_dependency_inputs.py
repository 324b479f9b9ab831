"""CreatePipeline's request_id (idempotent like CreateJob) and analyzers whose only inputs are their dependencies
(consolidate), on a real PostgreSQL and NATS, over gRPC and REST."""

from __future__ import annotations

import asyncio

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from integration.gateway_fixtures import Gateway
from test_job_dependencies import create
from test_jobs_lifecycle import rpc_error
from test_pipelines import step

from assay.common.errors import details_from_rpc_error
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


def consolidate(key: str, *after: str, jobs=(), text: str = "", file_ids=()) -> js.PipelineJob:
    inputs = job_pb2.JobInputs(jobs=list(jobs), text=text, file_ids=list(file_ids))
    return js.PipelineJob(key=key, job=js.CreateJobRequest(analyzer="consolidate", inputs=inputs), after=list(after))


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    next(d for d in status.details if d.Is(error_details_pb2.ErrorInfo.DESCRIPTOR)).Unpack(info)
    return info


async def create_pipeline(service, *steps, request_id="", tenant="acme") -> js.Pipeline:
    request = js.CreatePipelineRequest(jobs=list(steps), request_id=request_id)
    return (await service.jobs.CreatePipeline(request, metadata=service.token(tenant=tenant))).pipeline


async def count_jobs(service, tenant: str) -> int:
    listed = await service.jobs.ListJobs(js.ListJobsRequest(page_size=100), metadata=service.token(tenant=tenant))
    return len(listed.jobs)


async def test_a_repeated_request_id_returns_the_same_pipeline_and_creates_nothing_more(jobs_service):
    first = await create_pipeline(jobs_service, step("a"), step("b", "a"), request_id="pipe-1", tenant="idem")
    again = await create_pipeline(jobs_service, step("a"), step("b", "a"), request_id="pipe-1", tenant="idem")
    assert again.id == first.id and [j.id for j in again.jobs] == [j.id for j in first.jobs]
    assert await count_jobs(jobs_service, "idem") == 2
    other_tenant = await create_pipeline(jobs_service, step("a"), step("b", "a"), request_id="pipe-1",
                                         tenant="idem-other")
    assert other_tenant.id != first.id


async def test_a_request_id_reused_for_another_pipeline_is_already_exists_naming_the_first(jobs_service):
    first = await create_pipeline(jobs_service, step("a"), request_id="pipe-2", tenant="reuse")
    error = await rpc_error(create_pipeline(jobs_service, step("a", text="Other"), request_id="pipe-2",
                                            tenant="reuse"))
    assert error.code() == grpc.StatusCode.ALREADY_EXISTS
    assert details_from_rpc_error(error).reason == "REQUEST_ID_REUSED"
    assert error_info(error).metadata["pipeline_id"] == first.id
    assert await count_jobs(jobs_service, "reuse") == 1


async def test_concurrent_identical_requests_make_one_pipeline(jobs_service):
    async def attempt() -> str | None:
        try:
            return (await create_pipeline(jobs_service, step("a"), step("b", "a"), request_id="pipe-3",
                                          tenant="race")).id
        except grpc.aio.AioRpcError as error:  # a serialization conflict is ABORTED, for the client to retry
            assert error.code() == grpc.StatusCode.ABORTED
            return None

    ids = {pipeline_id for pipeline_id in await asyncio.gather(*(attempt() for _ in range(6))) if pipeline_id}
    assert len(ids) == 1
    assert await count_jobs(jobs_service, "race") == 2


async def test_a_malformed_request_id_is_invalid_argument(jobs_service):
    error = await rpc_error(create_pipeline(jobs_service, step("a"), request_id="bad id!"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details_from_rpc_error(error).violations] == ["request_id"]


async def test_an_analyzer_reading_only_its_dependencies_is_valid_with_jobs_and_nothing_else(jobs_service):
    pipeline = await create_pipeline(jobs_service, step("a"), step("b"), consolidate("all", "a", "b"))
    last = pipeline.jobs[2]
    assert last.state == Job.STATE_WAITING and list(last.inputs.jobs) == [pipeline.jobs[0].id, pipeline.jobs[1].id]
    existing = await create(jobs_service)
    request = js.CreateJobRequest(analyzer="consolidate", inputs=job_pb2.JobInputs(jobs=[existing.id]))
    alone = (await jobs_service.jobs.CreateJob(request, metadata=jobs_service.token())).job
    assert alone.state == Job.STATE_WAITING


async def test_an_analyzer_reading_only_its_dependencies_refuses_no_jobs_a_file_or_text(jobs_service):
    error = await rpc_error(jobs_service.jobs.CreateJob(js.CreateJobRequest(analyzer="consolidate"),
                                                        metadata=jobs_service.token()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = details_from_rpc_error(error).violations
    assert [v.field for v in violations] == ["inputs.jobs"] and "name at least one" in violations[0].description
    error = await rpc_error(create_pipeline(jobs_service, step("a"),
                                            consolidate("c", "a", text="x", file_ids=["0" * 8 + "-0000-0000-0000-"
                                                                                      + "0" * 12])))
    fields = {v.field for v in details_from_rpc_error(error).violations}
    assert fields == {"jobs[1].job.inputs.text", "jobs[1].job.inputs.file_ids"}
    error = await rpc_error(create_pipeline(jobs_service, consolidate("c")))
    assert {v.field for v in details_from_rpc_error(error).violations} == {"jobs[0].job.inputs.jobs"}


async def test_rest_idempotency_key_makes_pipeline_creation_idempotent(gateway: Gateway):
    body = {"jobs": [{"key": "a", "job": {"analyzer": "sentiment", "inputs": {"text": "Great"}}}]}
    headers = {**gateway.auth(), "Idempotency-Key": "rest-pipe-1"}
    first = await gateway.client.post("/v1/pipelines", json=body, headers=headers)
    again = await gateway.client.post("/v1/pipelines", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    body["jobs"][0]["job"]["inputs"]["text"] = "Awful"
    reused = await gateway.client.post("/v1/pipelines", json=body, headers=headers)
    assert reused.status_code == 409 and reused.json()["code"] == "REQUEST_ID_REUSED"
    in_body = await gateway.client.post("/v1/pipelines", json={**body, "request_id": "x"}, headers=gateway.auth())
    assert in_body.status_code == 400
