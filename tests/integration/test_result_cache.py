"""The result cache: a job identical to a succeeded one of its tenant (analyzer, analyzer version, params,
input content) is answered SUCCEEDED by CreateJob itself, marked cached_from, sharing the artifacts by
reference (deleting one job keeps them for the other); no_cache, other params, another tenant and a new
analyzer version all run."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from file_job_fixtures import (
    FileStack,
    chunked,
    file_stack,  # noqa: F401 - fixture
    reviews_csv,
    sentiment_params,
)
from gateway_fixtures import gateway_over
from ingest_fixtures import new_tenant
from lifecycle_fixtures import rows, system_url

from assay.cli.__main__ import EXIT_OK, main
from assay.common.auth import mint_token
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2, sentiment_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


async def _create(stack: FileStack, tenant: str, **fields: object) -> Job:
    request = js.CreateJobRequest(analyzer="sentiment", **fields)  # type: ignore[arg-type]
    return (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token(tenant=tenant))).job


async def test_an_identical_text_job_is_answered_at_once_and_anything_different_runs(file_stack: FileStack) -> None:
    tenant = new_tenant()
    text = job_pb2.JobInputs(text="The battery died after a day. Awful.")
    worker = await file_stack.start_worker()
    try:
        first = await _create(file_stack, tenant, inputs=text)
        source = await file_stack.settled(first.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)

    started = time.perf_counter()
    again = await _create(file_stack, tenant, inputs=text)  # one round trip: CreateJob answers SUCCEEDED
    elapsed = time.perf_counter() - started
    assert again.state == Job.STATE_SUCCEEDED and again.cached_from == source.id and again.id != source.id
    assert again.result == source.result and again.progress == 100 and again.HasField("end_time")
    assert (await file_stack.get(again.id, tenant)).cached_from == source.id
    print(f"cached CreateJob answered SUCCEEDED in {elapsed * 1000:.1f} ms")

    no_cache = await _create(file_stack, tenant, inputs=text, no_cache=True)
    other_params = await _create(file_stack, tenant, inputs=text,
                                 params=job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(aspects=True)))
    other_tenant = await _create(file_stack, new_tenant(), inputs=text)
    other_text = await _create(file_stack, tenant, inputs=job_pb2.JobInputs(text="Lovely screen."))
    for job in (no_cache, other_params, other_tenant, other_text):
        assert job.state == Job.STATE_QUEUED and not job.cached_from

    db = file_stack.jobs.settings.database_url  # as if the analyzer had been upgraded since the source ran
    async with await psycopg.AsyncConnection.connect(system_url(db), autocommit=True) as conn:
        await conn.execute("SELECT set_config('assay.system', 'on', false)")
        await conn.execute("UPDATE jobs.jobs SET analyzer_version = '0.0.1' WHERE id = ANY(%s::uuid[])",
                           ([source.id, again.id],))
    assert (await _create(file_stack, tenant, inputs=text)).state == Job.STATE_QUEUED
    for job in (no_cache, other_params, other_tenant, other_text):
        await file_stack.cancel(job.id, job.tenant_id)


async def test_a_file_job_shares_its_sources_artifacts_until_both_are_deleted(file_stack: FileStack) -> None:
    tenant = new_tenant()
    data = reviews_csv(20)
    worker = await file_stack.start_worker()
    try:
        submitted = await file_stack.submit(data, tenant=tenant)
        source = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)
    artifact = source.artifacts[0].file_id
    copy = await file_stack.ingest.upload(chunked(data), name="again.csv",
                                          metadata=file_stack.ingest.token(tenant=tenant))

    answered = await _create(file_stack, tenant, inputs=job_pb2.JobInputs(file_ids=[copy.id]),
                             params=sentiment_params())
    assert answered.state == Job.STATE_SUCCEEDED and answered.cached_from == source.id
    assert [a.file_id for a in answered.artifacts] == [artifact]
    assert answered.result.sentiment.statistics == source.result.sentiment.statistics

    jobs, token = file_stack.jobs, file_stack.jobs.token(tenant=tenant)
    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=source.id), metadata=token)
    assert any(key.endswith(artifact) for key in file_stack.ingest.object_keys(tenant))  # still referenced
    assert (await file_stack.ingest.files.GetFile(ing.GetFileRequest(id=artifact), metadata=token)).file.id == artifact
    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=answered.id), metadata=token)
    assert not any(key.endswith(artifact) for key in file_stack.ingest.object_keys(tenant))
    assert await rows(jobs.settings.database_url, "SELECT 1 FROM jobs.jobs WHERE id = ANY(%s::uuid[])",
                      [source.id, answered.id]) == []


async def test_rest_answers_from_the_cache_and_a_form_field_or_cli_flag_opts_out(
    file_stack: FileStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = new_tenant()
    worker = await file_stack.start_worker()
    try:
        submitted = await file_stack.submit(reviews_csv(4), tenant=tenant, name="r.csv")
        source = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
    finally:
        await worker.stop(2.0)
    jobs, ingest = file_stack.jobs, file_stack.ingest
    async with gateway_over(f"127.0.0.1:{jobs.server.port}", ingest.address) as client:
        auth = {"Authorization": jobs.token(tenant=tenant)[0][1]}
        cached = await client.post("/v1/jobs", headers=auth, files={"file": ("same.csv", reviews_csv(4))},
                                   data={"analyzer": "sentiment"})
        assert cached.status_code == 202
        assert cached.json()["state"] == "STATE_SUCCEEDED" and cached.json()["cached_from"] == source.id
        fresh = await client.post("/v1/jobs", headers=auth, files={"file": ("same.csv", reviews_csv(4))},
                                  data={"analyzer": "sentiment", "no_cache": "true"})
        assert fresh.status_code == 202 and fresh.json()["state"] == "STATE_QUEUED"
        bad = await client.post("/v1/jobs", headers=auth, files={"file": ("same.csv", reviews_csv(4))},
                                data={"analyzer": "sentiment", "no_cache": "maybe"})
        assert bad.status_code == 400 and bad.json()["violations"][0]["field"] == "no_cache"

    token = mint_token(jobs.settings, subject="alice", tenant=tenant, roles=["user"])
    (tmp_path / "stack.json").write_text(json.dumps({"endpoints": {
        "jobs": f"127.0.0.1:{jobs.server.port}", "ingest": ingest.address, "analysis": "127.0.0.1:1"},
        "token": token}))
    (tmp_path / "r.csv").write_bytes(reviews_csv(4))

    def submit(*flags: str) -> dict[str, Any]:
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path), "--json", "submit", "--analyzer", "sentiment",
                     str(tmp_path / "r.csv"), *flags]) == EXIT_OK
        result: dict[str, Any] = json.loads(capsys.readouterr().out)
        return result

    assert (await asyncio.to_thread(submit))["cached_from"] == source.id
    assert (await asyncio.to_thread(submit, "--no-cache"))["state"] == "STATE_QUEUED"
