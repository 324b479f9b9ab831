"""A submission whose CreateJob answer was lost is retried into the job jobs created (found by bench/chaos.py).

Jobs SIGKILLed after committing a SubmitDocument's job, before answering: ingest saw UNAVAILABLE and gave
up its claim. The client's retry with the same Idempotency-Key used to store the document again under a
new file id, so jobs saw the request_id reused for a different request and answered 409
REQUEST_ID_REUSED to every retry, for ever. Now the retry adopts the stored file and gets the job back.
"""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import grpc
import pytest
from harness import S3Endpoint
from ingest_fixtures import (  # noqa: F401 - ingest_stack is a fixture
    IngestService,
    ingest_settings,
    ingest_stack,
    new_tenant,
    start_ingest,
    stop_ingest,
    submit_requests,
)

from assay.common.errors import Unavailable
from assay.ingest.jobs_client import JobsClient
from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

pytestmark = pytest.mark.integration


class AnswerLostOnce(JobsClient):
    """The real jobs service, whose first CreateJob answer never arrives (as when jobs dies after its commit)."""

    created: job_pb2.Job | None = None

    async def create_job(self, request: js.CreateJobRequest, token: str) -> job_pb2.Job:
        job = await super().create_job(request, token)
        if self.created is None:
            self.created = job
            raise Unavailable("JOBS_UNAVAILABLE", "the jobs service did not answer: UNAVAILABLE")
        return job


async def test_a_retry_after_createjobs_lost_answer_gets_the_created_job(
    ingest_stack: IngestService, s3_server: S3Endpoint,
) -> None:
    assert ingest_stack.jobs is not None
    jobs = AnswerLostOnce()
    jobs.connect(f"127.0.0.1:{ingest_stack.jobs.server.port}")
    base = ingest_stack.settings
    ingest = await start_ingest(ingest_settings(base.database_url, s3_server, base.s3_bucket), s3_server, jobs)
    try:
        tenant = new_tenant()
        token = ingest.token(tenant=tenant)
        body = [b"text\nGreat value\nBroke after a day\n"]
        with pytest.raises(grpc.aio.AioRpcError) as lost:
            await ingest.files.SubmitDocument(submit_requests(body, request_id="lost-answer-1"), metadata=token)
        assert lost.value.code() == grpc.StatusCode.UNAVAILABLE
        assert jobs.created is not None

        retried = await ingest.files.SubmitDocument(submit_requests(body, request_id="lost-answer-1"), metadata=token)

        assert retried.job.id == jobs.created.id
        assert list(retried.job.inputs.file_ids) == [retried.file.id]
        assert await ingest.file_ids(token) == {retried.file.id}
    finally:
        await stop_ingest(ingest)
