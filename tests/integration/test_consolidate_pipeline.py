"""Three annual reports → financial_statements each → consolidate → one workbook, as one pipeline through REST and
through the CLI, with real PostgreSQL, NATS, S3, ingest, jobs and a worker; every formula of the workbook
recomputes to the consolidation's figure."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import httpx
import pytest
from file_job_fixtures import FileStack, download, file_stack  # noqa: F401 - fixture
from fixtures.consolidation import FILING_YEARS, filing_pdf
from fixtures.consolidation_checks import check_consolidation, check_workbook, pipeline_body
from google.protobuf import json_format
from harness import eventually
from ingest_fixtures import new_tenant
from integration.gateway_fixtures import gateway_over
from test_cli_jobs import Cli, write_stack_json

from assay.common.auth import mint_token
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job

pytestmark = pytest.mark.integration


async def test_three_reports_become_one_workbook_through_rest(file_stack: FileStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    headers = {"Authorization": dict(file_stack.jobs.token(tenant=tenant))["authorization"]}
    worker = await file_stack.start_worker(worker_analyzers="financial_statements,consolidate")
    try:
        async with gateway_over(f"127.0.0.1:{file_stack.jobs.server.port}", file_stack.ingest.address) as rest:
            file_ids = []
            for year in FILING_YEARS:
                pdf = filing_pdf(tmp_path / f"{year}.pdf", year).read_bytes()
                uploaded = await rest.post("/v1/files", headers=headers,
                                           files={"file": (f"10-K {year}.pdf", pdf, "application/pdf")})
                assert uploaded.status_code == 201, uploaded.text
                file_ids.append(uploaded.json()["id"])
            created = await rest.post("/v1/pipelines", json=pipeline_body(file_ids),
                                      headers={**headers, "Idempotency-Key": "three-10ks"})
            assert created.status_code == 201, created.text
            pipeline = created.json()

            async def finished() -> dict | None:
                body = (await rest.get(f"/v1/pipelines/{pipeline['id']}", headers=headers)).json()
                return body if body["state"] != "STATE_RUNNING" else None
            done = await eventually(finished, timeout=120)
            assert done["state"] == "STATE_SUCCEEDED", done
            consolidate_id = done["jobs"][-1]["id"]
            view = (await rest.get(f"/v1/jobs/{consolidate_id}/result", headers=headers)).json()
            async with httpx.AsyncClient() as plain:
                links = {a["name"]: a["download_url"] for a in view["artifacts"]}
                workbook = (await plain.get(links["consolidated.xlsx"])).content
            again = await rest.post("/v1/pipelines", json=pipeline_body(file_ids),
                                    headers={**headers, "Idempotency-Key": "three-10ks"})
            assert again.json()["id"] == pipeline["id"]
    finally:
        await worker.stop(2.0)
    result = json_format.ParseDict(view["result"], job_pb2.JobResult()).consolidate
    assert [s.file_id for s in result.sources] == file_ids
    check_consolidation(result)
    assert check_workbook(result, workbook) > 50


async def test_three_reports_become_one_workbook_through_the_cli(file_stack: FileStack, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    tenant = new_tenant()
    token = mint_token(file_stack.jobs.settings, subject="alice", tenant=tenant, roles=["user"])
    write_stack_json(tmp_path / "stack", f"127.0.0.1:{file_stack.jobs.server.port}", file_stack.ingest.address,
                     token)
    cli = Cli(tmp_path / "stack", capsys)
    worker = await file_stack.start_worker(worker_analyzers="financial_statements,consolidate")
    try:
        file_ids = [await upload(file_stack, tenant, filing_pdf(tmp_path / f"{year}.pdf", year))
                    for year in FILING_YEARS]  # the CLI has no upload of its own: a pipeline names stored files
        spec = tmp_path / "pipeline.json"
        spec.write_text(json.dumps(pipeline_body(file_ids)))
        code, out, err = await cli.run("pipeline", "submit", str(spec), "--watch")
        assert code == 0, out + err
        assert out.count("SUCCEEDED") >= 5, out  # the four jobs and the pipeline
        code, out, err = await cli.run("--json", "pipeline", "get", err.split()[0])
        consolidate_id = json.loads(out)["jobs"][-1]["id"]
        job = await file_stack.get(consolidate_id, tenant)
    finally:
        await worker.stop(2.0)
    result = job.result.consolidate
    check_consolidation(result)
    workbook = next(a for a in job.artifacts if a.name == "consolidated.xlsx")
    link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=workbook.file_id),
                                                        metadata=file_stack.ingest.token(tenant=tenant))
    assert check_workbook(result, await download(link.url)) > 50


async def upload(stack: FileStack, tenant: str, path: Path) -> str:
    def requests():
        yield ing.UploadFileRequest(header=ing.FileHeader(display_name=path.name, size_bytes=path.stat().st_size))
        yield ing.UploadFileRequest(chunk=path.read_bytes())
    stored = await stack.ingest.files.UploadFile(requests(), metadata=stack.ingest.token(tenant=tenant))
    return stored.file.id


async def test_a_worker_killed_mid_pipeline_still_yields_exactly_one_workbook(file_stack: FileStack,
                                                                             tmp_path: Path) -> None:
    tenant = new_tenant()
    file_ids = [await upload(file_stack, tenant, filing_pdf(tmp_path / f"{year}.pdf", year)) for year in FILING_YEARS]
    request = json_format.ParseDict(pipeline_body(file_ids), js.CreatePipelineRequest())
    first = file_stack.spawn_worker(tmp_path / "worker-1", worker_analyzers="financial_statements,consolidate")
    try:
        pipeline = (await file_stack.jobs.jobs.CreatePipeline(
            request, metadata=file_stack.jobs.token(tenant=tenant))).pipeline

        async def one_filing_read() -> bool:
            jobs = [await file_stack.get(job.id, tenant) for job in pipeline.jobs[:3]]
            return any(job.state == Job.STATE_SUCCEEDED for job in jobs)
        await eventually(one_filing_read, timeout=90)
        assert first.proc is not None
        first.proc.send_signal(signal.SIGKILL)  # mid-pipeline: the other filings queued or running
        await asyncio.to_thread(first.proc.wait, 5)
        file_stack.spawn_worker(tmp_path / "worker-2", worker_analyzers="financial_statements,consolidate")
        done = await file_stack.settled(pipeline.jobs[-1].id, tenant, Job.STATE_SUCCEEDED, timeout=120)
    finally:
        await asyncio.to_thread(file_stack.stop_spawned)
    assert [a.name for a in done.artifacts].count("consolidated.xlsx") == 1
    check_consolidation(done.result.consolidate)
    link = await file_stack.ingest.files.GetDownloadUrl(
        ing.GetDownloadUrlRequest(id=next(a.file_id for a in done.artifacts if a.name == "consolidated.xlsx")),
        metadata=file_stack.ingest.token(tenant=tenant))
    assert check_workbook(done.result.consolidate, await download(link.url)) > 50
