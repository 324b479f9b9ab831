"""DeleteJob and DeleteFile(cascade): a finished job, or every job derived from a file, removed from
PostgreSQL, the bucket and the events stream; unfinished jobs refused; an interrupted deletion
completed by a repeat."""

# ruff: noqa: F811
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc
import psycopg
import pytest
from file_job_fixtures import (
    FileStack,
    file_stack,  # noqa: F401 - fixture
    reviews_csv,
)
from gateway_fixtures import gateway_over
from harness import eventually
from harness.jobs import start_jobs
from ingest_fixtures import new_tenant
from lifecycle_fixtures import events_of, refusal, rows, succeeded_csv_job, system_url

from assay.cli.__main__ import EXIT_API_ERROR, EXIT_OK, main
from assay.common.auth import mint_token
from assay.common.errors import details_from_rpc_error
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


async def test_a_finished_job_is_deleted_with_its_artifacts_events_and_outbox_rows(file_stack: FileStack) -> None:
    tenant = new_tenant()
    done = await succeeded_csv_job(file_stack, tenant)
    assert len(done.artifacts) == 1 and await events_of(file_stack, tenant, done.id) >= 3
    artifact = done.artifacts[0].file_id
    input_file = done.inputs.file_ids[0]
    jobs, token = file_stack.jobs, file_stack.jobs.token(tenant=tenant)
    keys_before = file_stack.ingest.object_keys(tenant)
    assert any(key.endswith(artifact) for key in keys_before)

    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=done.id), metadata=token)

    missing = await refusal(jobs.jobs.GetJob(js.GetJobRequest(id=done.id), metadata=token))
    assert missing.code() == grpc.StatusCode.NOT_FOUND
    gone = await refusal(file_stack.ingest.files.GetFile(ing.GetFileRequest(id=artifact), metadata=token))
    assert gone.code() == grpc.StatusCode.NOT_FOUND
    assert not any(key.endswith(artifact) for key in file_stack.ingest.object_keys(tenant))
    assert any(key.endswith(input_file) for key in file_stack.ingest.object_keys(tenant))  # the input stays
    assert await events_of(file_stack, tenant, done.id) == 0
    db = jobs.settings.database_url
    assert await rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", done.id) == []
    assert await rows(db, "SELECT 1 FROM jobs.outbox WHERE msg_id LIKE %s", f"{done.id}.%") == []
    assert await rows(db, "SELECT 1 FROM jobs.dispatch_queue WHERE job_id = %s", done.id) == []
    audit = await rows(db, "SELECT action, resource, outcome, roles FROM jobs.audit_log WHERE job_id = %s "
                            "ORDER BY id", done.id)
    assert audit[-1] == ("delete", f"jobs/{done.id}", "OK", ["user"])

    again = await refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=done.id), metadata=token))
    assert again.code() == grpc.StatusCode.NOT_FOUND


async def test_an_unfinished_job_is_refused_and_another_tenants_is_not_found(file_stack: FileStack) -> None:
    tenant = new_tenant()
    queued = await file_stack.submit(reviews_csv(3), tenant=tenant)  # no worker: it stays queued
    jobs = file_stack.jobs
    refused = await refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id),
                                                 metadata=jobs.token(tenant=tenant)))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details_from_rpc_error(refused).reason == "JOB_NOT_FINISHED"
    other = await refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id),
                                               metadata=jobs.token(tenant=new_tenant())))
    assert other.code() == grpc.StatusCode.NOT_FOUND
    await file_stack.cancel(queued.job.id, tenant)
    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id), metadata=jobs.token(tenant=tenant))
    assert await rows(jobs.settings.database_url, "SELECT 1 FROM jobs.jobs WHERE id = %s", queued.job.id) == []


async def test_a_deletion_interrupted_after_marking_is_completed_by_a_repeat_and_blocks_retry(
    file_stack: FileStack,
) -> None:
    tenant = new_tenant()
    queued = await file_stack.submit(reviews_csv(3), tenant=tenant)
    await file_stack.cancel(queued.job.id, tenant)
    db, jobs = file_stack.jobs.settings.database_url, file_stack.jobs
    async with await psycopg.AsyncConnection.connect(system_url(db)) as conn:  # what a crash after step 1 leaves
        await conn.execute("SELECT set_config('assay.system', 'on', false)")
        await conn.execute("UPDATE jobs.jobs SET deleting_at = now() WHERE id = %s", (queued.job.id,))
        await conn.commit()
    admin = jobs.token(tenant=tenant, roles=("user", "admin"))
    retry = await refusal(jobs.jobs.RetryJob(js.RetryJobRequest(id=queued.job.id), metadata=admin))
    assert details_from_rpc_error(retry).reason == "JOB_DELETING"

    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id), metadata=admin)
    assert await rows(db, "SELECT 1 FROM jobs.jobs WHERE id = %s", queued.job.id) == []


async def test_rest_and_cli_delete_jobs_and_erase_files(
    file_stack: FileStack, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    tenant = new_tenant()
    jobs, ingest = file_stack.jobs, file_stack.ingest
    first = await file_stack.submit(reviews_csv(3), tenant=tenant, name="a.csv")
    second = await file_stack.submit(reviews_csv(4), tenant=tenant, name="b.csv")
    async with gateway_over(f"127.0.0.1:{jobs.server.port}", ingest.address) as client:
        auth = {"Authorization": jobs.token(tenant=tenant)[0][1]}
        queued = await client.delete(f"/v1/jobs/{first.job.id}", headers=auth)
        assert queued.status_code == 409 and queued.json()["code"] == "JOB_NOT_FINISHED"
        await file_stack.cancel(first.job.id, tenant)
        assert (await client.delete(f"/v1/jobs/{first.job.id}", headers=auth)).status_code == 204
        assert (await client.get(f"/v1/jobs/{first.job.id}", headers=auth)).status_code == 404
        await file_stack.cancel(second.job.id, tenant)
        erased = await client.delete(f"/v1/files/{second.file.id}", params={"cascade": "true"}, headers=auth)
        assert erased.status_code == 204
        assert (await client.get(f"/v1/jobs/{second.job.id}", headers=auth)).status_code == 404

    third = await file_stack.submit(reviews_csv(3), tenant=tenant, name="c.csv")
    await file_stack.cancel(third.job.id, tenant)
    token = mint_token(jobs.settings, subject="alice", tenant=tenant, roles=["user"])
    (tmp_path / "stack.json").write_text(json.dumps({"endpoints": {
        "jobs": f"127.0.0.1:{jobs.server.port}", "ingest": ingest.address, "analysis": "127.0.0.1:1"},
        "token": token}))

    def cli(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--data-dir", str(tmp_path), *argv])
        return code, capsys.readouterr().out

    assert await asyncio.to_thread(cli, "jobs", "delete", third.job.id) == (EXIT_OK, f"job {third.job.id} deleted\n")
    code, out = await asyncio.to_thread(cli, "files", "delete", "--cascade", third.file.id)
    assert code == EXIT_OK and out == f"file {third.file.id} deleted with every job derived from it\n"
    assert await asyncio.to_thread(cli, "jobs", "delete", third.job.id) == (EXIT_API_ERROR, "")


async def test_a_job_another_reads_is_refused_until_the_reader_goes_and_an_emptied_pipeline_goes_too(
    file_stack: FileStack,
) -> None:
    tenant = new_tenant()
    jobs, token = file_stack.jobs, file_stack.jobs.token(tenant=tenant)
    text = job_pb2.JobInputs(text="fine")
    pipeline = (await jobs.jobs.CreatePipeline(js.CreatePipelineRequest(jobs=[
        js.PipelineJob(key="first", job=js.CreateJobRequest(analyzer="sentiment", inputs=text)),
        js.PipelineJob(key="reader", after=["first"], job=js.CreateJobRequest(analyzer="sentiment", inputs=text)),
    ]), metadata=token)).pipeline
    first, reader = (job.id for job in pipeline.jobs)
    await jobs.jobs.CancelPipeline(js.CancelPipelineRequest(id=pipeline.id), metadata=token)

    refused = await refusal(jobs.jobs.DeleteJob(js.DeleteJobRequest(id=first), metadata=token))
    assert refused.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert details_from_rpc_error(refused).reason == "JOB_HAS_DEPENDENTS" and reader in refused.details()

    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=reader), metadata=token)
    db = jobs.settings.database_url
    assert await rows(db, "SELECT 1 FROM jobs.pipelines WHERE id = %s", pipeline.id) != []  # first is still there
    await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=first), metadata=token)
    assert await rows(db, "SELECT 1 FROM jobs.pipelines WHERE id = %s", pipeline.id) == []
    gone = await refusal(jobs.jobs.GetPipeline(js.GetPipelineRequest(id=pipeline.id), metadata=token))
    assert gone.code() == grpc.StatusCode.NOT_FOUND


async def test_another_jobs_replica_drops_a_deleted_job_from_its_cache_at_once(file_stack: FileStack) -> None:
    tenant = new_tenant()
    queued = await file_stack.submit(reviews_csv(3), tenant=tenant)
    await file_stack.cancel(queued.job.id, tenant)
    jobs, token = file_stack.jobs, file_stack.jobs.token(tenant=tenant)
    other = await start_jobs(jobs.settings.model_copy(update={"job_cache_finished_seconds": 600.0}))
    try:
        read = await other.jobs.GetJob(js.GetJobRequest(id=queued.job.id), metadata=token)  # now in its cache
        assert read.job.state == Job.STATE_CANCELLED
        await jobs.jobs.DeleteJob(js.DeleteJobRequest(id=queued.job.id), metadata=token)

        async def gone() -> bool:
            try:
                await other.jobs.GetJob(js.GetJobRequest(id=queued.job.id), metadata=token)
            except grpc.aio.AioRpcError as error:
                return error.code() == grpc.StatusCode.NOT_FOUND
            return False

        await eventually(gone, timeout=10)
    finally:
        await other.channel.close()
        await other.server.stop(1.0)
