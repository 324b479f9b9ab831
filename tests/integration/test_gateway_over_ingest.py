"""The REST gateway over the real ingest and jobs services: ingest's refusals named after the form's
fields, and a job's result after one of its artifacts was deleted."""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from ingest_fixtures import IngestService, ingest_stack, new_tenant  # noqa: F401 - ingest_stack is a fixture
from integration.gateway_fixtures import gateway_over

from assay.v1 import job_execution_service_pb2 as ex
from assay.v1 import job_pb2

pytestmark = pytest.mark.integration

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 4096


@pytest.fixture(scope="module")
async def rest(ingest_stack: IngestService) -> AsyncIterator[httpx.AsyncClient]:
    assert ingest_stack.jobs is not None
    async with gateway_over(f"127.0.0.1:{ingest_stack.jobs.server.port}", ingest_stack.address) as client:
        yield client


def auth(service: IngestService, tenant: str = "acme") -> dict[str, str]:
    return {"Authorization": dict(service.token(tenant=tenant))["authorization"]}


def fields_of(response: httpx.Response) -> list[str]:
    return [violation["field"] for violation in response.json()["violations"]]


@pytest.mark.parametrize(("path", "form"), [("/v1/files", {}), ("/v1/jobs", {"analyzer": "sentiment"})],
                         ids=["POST /v1/files", "POST /v1/jobs"])
@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "FILE_EMPTY"),
    ("setup.exe", EXE, "MEDIA_TYPE_NOT_ALLOWED"),
], ids=["0-byte", "exe"])
async def test_a_refused_file_is_named_file_as_in_the_form_not_chunk(
    rest: httpx.AsyncClient, ingest_stack: IngestService, path: str, form: dict[str, str],
    name: str, content: bytes, reason: str,
) -> None:
    response = await rest.post(path, headers=auth(ingest_stack), data=form,
                               files={"file": (name, content, "application/octet-stream")})
    assert response.status_code == 400, response.text
    assert response.json()["code"] == reason
    assert fields_of(response) == ["file"]
    assert "chunk" not in response.text and "header" not in response.text


async def test_an_unknown_analyzer_in_the_form_is_named_analyzer(
    rest: httpx.AsyncClient, ingest_stack: IngestService,
) -> None:
    response = await rest.post("/v1/jobs", headers=auth(ingest_stack), data={"analyzer": "palmistry"},
                               files={"file": ("a.txt", b"hello", "text/plain")})
    assert response.status_code == 400 and fields_of(response) == ["analyzer"], response.text


async def upload(rest: httpx.AsyncClient, headers: dict[str, str], name: str, content: bytes) -> str:
    response = await rest.post("/v1/files", headers=headers, files={"file": (name, content, "text/csv")})
    assert response.status_code == 201, response.text
    file_id: str = response.json()["id"]
    return file_id


async def finish_with_artifact(ingest_stack: IngestService, tenant: str, job_id: str, artifact_id: str) -> None:
    assert ingest_stack.jobs is not None
    execution, worker = ingest_stack.jobs.execution, ingest_stack.jobs.worker
    capability = ingest_stack.jobs.capability(tenant, job_id)
    started = await execution.StartJob(ex.StartJobRequest(
        id=job_id, tenant_id=tenant, attempt=1, analyzer_version="1.0.0", capability=capability), metadata=worker)
    assert started.decision == ex.StartJobResponse.DECISION_RUN
    await execution.CompleteJob(ex.CompleteJobRequest(
        id=job_id, tenant_id=tenant, attempt=1, capability=capability,
        artifacts=[job_pb2.Artifact(file_id=artifact_id, name="scored.csv", media_type="text/csv")],
    ), metadata=worker)


async def test_the_result_outlives_a_deleted_artifact_which_is_marked_deleted_without_a_link(
    rest: httpx.AsyncClient, ingest_stack: IngestService,
) -> None:
    tenant = new_tenant()
    headers = auth(ingest_stack, tenant)
    input_id = await upload(rest, headers, "reviews.csv", b"text\nI love it\n")
    artifact_id = await upload(rest, headers, "scored.csv", b"text,label\nI love it,positive\n")
    created = await rest.post("/v1/jobs", headers=headers,
                              json={"analyzer": "sentiment", "inputs": {"file_ids": [input_id]}})
    assert created.status_code == 202, created.text
    job_id = created.json()["id"]
    await finish_with_artifact(ingest_stack, tenant, job_id, artifact_id)

    before = await rest.get(f"/v1/jobs/{job_id}/result", headers=headers)
    assert before.status_code == 200, before.text
    [linked] = before.json()["artifacts"]
    assert linked["file_id"] == artifact_id and linked["download_url"] and not linked.get("deleted")

    deleted = await rest.delete(f"/v1/files/{artifact_id}", headers=headers)
    assert deleted.status_code == 204, deleted.text
    after = await rest.get(f"/v1/jobs/{job_id}/result", headers=headers)
    assert after.status_code == 200, after.text
    body: dict[str, Any] = after.json()
    assert body["state"] == "STATE_SUCCEEDED" and body["job_id"] == job_id
    assert body["artifacts"] == [{"file_id": artifact_id, "name": "scored.csv", "media_type": "text/csv",
                                  "deleted": True}]


async def test_a_bank_statement_password_is_accepted_in_the_form_and_never_rendered_back(
    rest: httpx.AsyncClient, ingest_stack: IngestService,
) -> None:
    tenant = new_tenant()
    params = '{"bank_statement": {"password": "s3cret-PW", "bank_hint": "chase"}}'
    created = await rest.post("/v1/jobs", headers=auth(ingest_stack, tenant),
                              data={"analyzer": "bank_statement", "params": params},
                              files={"file": ("march.csv", b"Date,Description,Amount\n2024-03-01,x,1.00\n",
                                              "text/csv")})
    assert created.status_code == 202, created.text
    assert "s3cret-PW" not in created.text
    job_id = created.json()["id"]
    shown = await rest.get(f"/v1/jobs/{job_id}", headers=auth(ingest_stack, tenant))
    # jobs keeps the password out of the job's params (only its worker gets it), so there is nothing to mask
    assert shown.json()["params"]["bank_statement"] == {"password": "", "bank_hint": "chase",
                                                        "category_rules": []}
    listed = await rest.get("/v1/jobs", headers=auth(ingest_stack, tenant))
    assert job_id in listed.text and "s3cret-PW" not in listed.text


async def test_a_multipart_idempotency_key_reused_with_another_file_is_409_and_identical_ones_share_a_job(
    rest: httpx.AsyncClient, ingest_stack: IngestService,
) -> None:
    headers = {**auth(ingest_stack, new_tenant()), "Idempotency-Key": "multipart-1"}

    async def post(content: bytes) -> httpx.Response:
        return await rest.post("/v1/jobs", headers=headers, data={"analyzer": "sentiment"},
                               files={"file": ("reviews.txt", content, "text/plain")})

    identical = await asyncio.gather(*(post(b"lovely\n" * 20000) for _ in range(6)))
    assert [r.status_code for r in identical] == [202] * 6, [r.text for r in identical]
    assert len({r.json()["id"] for r in identical}) == 1
    other = await post(b"awful\n")
    assert other.status_code == 409 and other.json()["code"] == "REQUEST_ID_REUSED", other.text
