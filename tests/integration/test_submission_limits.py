"""CreateJob (and so SubmitDocument) checks what the analyzer's spec knows before anything is queued:
file media types and sizes (from ingest's metadata), every required param at once, inline text limits."""

# ruff: noqa: F811
from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from file_job_fixtures import MIB, FileStack, chunked, file_stack, reviews_csv  # noqa: F401 - fixture
from ingest_fixtures import new_tenant
from prometheus_client import REGISTRY
from test_jobs_lifecycle import rpc_error

from assay.common.analyzers import SPECS
from assay.common.errors import details_from_rpc_error
from assay.v1 import contract_review_pb2, job_pb2
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import jobs_service_pb2 as js

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"quarterly results\n" * 100


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    return {v.field: v.description for v in details_from_rpc_error(error).violations}


async def create(stack: FileStack, tenant: str, **fields: object) -> js.CreateJobResponse:
    return await stack.jobs.jobs.CreateJob(js.CreateJobRequest(**fields), metadata=stack.jobs.token(tenant=tenant))


def refusals(analyzer: str, field: str) -> float:
    labels = {"analyzer": analyzer, "field": field}
    return REGISTRY.get_sample_value("assay_jobs_refused_total", labels) or 0.0


async def test_a_pdf_submitted_to_sentiment_is_refused_and_nothing_stays_stored(file_stack: FileStack) -> None:
    tenant = new_tenant()
    before = refusals("sentiment", "inputs.file_ids")
    error = await rpc_error(file_stack.submit(PDF, tenant=tenant, name="report.pdf"))
    assert refusals("sentiment", "inputs.file_ids") == before + 1
    found = violations(error)
    assert list(found) == ["inputs.file_ids[0]"]
    assert "application/pdf" in found["inputs.file_ids[0]"] and "text/csv" in found["inputs.file_ids[0]"]
    assert await file_stack.ingest.file_ids(file_stack.ingest.token(tenant=tenant)) == set()
    listed = await file_stack.jobs.jobs.ListJobs(js.ListJobsRequest(), metadata=file_stack.jobs.token(tenant=tenant))
    assert list(listed.jobs) == []


async def test_a_stored_file_over_the_analyzers_max_input_bytes_is_refused_at_create(file_stack: FileStack) -> None:
    tenant = new_tenant()
    limit = SPECS["sentiment"].max_input_bytes
    data = reviews_csv(3)
    data += b"4," + b"x" * (limit + 1 - len(data) - 3) + b"\n"
    assert len(data) == limit + 1 < 12 * MIB, "over the analyzer's limit, under ingest's cap"
    stored = await file_stack.ingest.upload(chunked(data), name="big.csv", metadata=file_stack.ingest.token(
        tenant=tenant))
    assert stored.media_type == "text/csv"
    error = await rpc_error(create(file_stack, tenant, analyzer="sentiment",
                                   inputs=job_pb2.JobInputs(file_ids=[stored.id])))
    assert str(limit) in violations(error)["inputs.file_ids[0]"]
    small = await file_stack.ingest.upload([reviews_csv(3)], name="small.csv", metadata=file_stack.ingest.token(
        tenant=tenant))
    accepted = await create(file_stack, tenant, analyzer="sentiment", inputs=job_pb2.JobInputs(file_ids=[small.id]))
    assert accepted.job.state == job_pb2.Job.STATE_QUEUED


async def test_every_missing_required_param_and_every_other_problem_come_back_at_once(file_stack: FileStack) -> None:
    tenant = new_tenant()
    limit = SPECS["contract_review"].max_text_chars
    error = await rpc_error(create(file_stack, tenant, analyzer="contract_review",
                                   inputs=job_pb2.JobInputs(text="x" * (limit + 1)), priority=42))
    assert set(violations(error)) == {"params.contract_review.contract_type", "params.contract_review.jurisdiction",
                                      "inputs.text", "priority"}


@pytest.mark.parametrize("name", sorted(name for name, spec in SPECS.items() if not spec.accepts_text))
async def test_inline_text_is_refused_for_an_analyzer_whose_spec_takes_none(file_stack: FileStack, name: str) -> None:
    error = await rpc_error(create(file_stack, new_tenant(), analyzer=name, inputs=job_pb2.JobInputs(text="x")))
    assert "does not accept inline text" in violations(error)["inputs.text"]


@pytest.mark.parametrize("name", sorted(name for name, spec in SPECS.items() if spec.accepts_text))
async def test_create_accepts_text_up_to_the_limit_the_spec_lists_and_not_one_character_more(
    file_stack: FileStack, name: str
) -> None:
    tenant = new_tenant()
    params = job_pb2.JobParams()
    getattr(params, name).SetInParent()
    if name == "contract_review":
        params.contract_review.CopyFrom(contract_review_pb2.ContractReviewParams(
            contract_type=contract_review_pb2.CONTRACT_TYPE_MSA, jurisdiction=contract_review_pb2.JURISDICTION_EU))
    limit = SPECS[name].max_text_chars
    accepted = await create(file_stack, tenant, analyzer=name, params=params,
                            inputs=job_pb2.JobInputs(text="x" * limit))
    assert accepted.job.state == job_pb2.Job.STATE_QUEUED
    error = await rpc_error(create(file_stack, tenant, analyzer=name, params=params,
                                   inputs=job_pb2.JobInputs(text="x" * (limit + 1))))
    assert str(limit) in violations(error)["inputs.text"]


async def test_submit_document_refuses_missing_params_and_a_declared_size_from_the_header_alone(
    file_stack: FileStack
) -> None:
    # A header and no file at all: the upload would be refused as empty, so the answer proves these
    # checks run before it is read. (A client still streaming when any refusal comes back can see
    # gRPC's INTERNAL instead; that race is the upload path's, answered after draining the stream.)
    tenant = new_tenant()
    limit = SPECS["sentiment"].max_input_bytes

    def header_only(analyzer: str, size: int) -> Iterator[ing.SubmitDocumentRequest]:
        yield ing.SubmitDocumentRequest(header=ing.SubmitDocumentHeader(
            analyzer=analyzer, file=ing.FileHeader(display_name="doc.txt", size_bytes=size)))

    token = file_stack.ingest.token(tenant=tenant)
    error = await rpc_error(file_stack.ingest.files.SubmitDocument(header_only("contract_review", 10), metadata=token))
    assert set(violations(error)) == {"header.params.contract_review.contract_type",
                                      "header.params.contract_review.jurisdiction"}
    error = await rpc_error(file_stack.ingest.files.SubmitDocument(header_only("sentiment", limit + 1),
                                                                   metadata=token))
    assert str(limit) in violations(error)["header.file.size_bytes"]
    assert await file_stack.ingest.file_ids(token) == set()
