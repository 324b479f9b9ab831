"""A dependent job's analyzer reads its dependencies' results (RunContext.dependencies), which the
worker receives from StartJob: real NATS, PostgreSQL, jobs service and worker."""

from __future__ import annotations

from worker_fixtures import Stack, stack  # noqa: F401 - fixture

from assay.v1 import job_pb2
from assay.v1 import jobs_service_pb2 as js

Job = job_pb2.Job


async def test_the_analyzer_of_a_dependent_job_reads_its_dependencies_results(stack: Stack) -> None:  # noqa: F811
    worker = await stack.start_worker()
    try:
        first, second = await stack.create("ok"), await stack.create("ok")
        request = js.CreateJobRequest(analyzer="sentiment", inputs=job_pb2.JobInputs(
            text="sum-dependencies", jobs=[first.id, second.id]))
        dependent = (await stack.jobs.jobs.CreateJob(request, metadata=stack.jobs.token())).job
        done = await stack.reaches(dependent.id, Job.STATE_SUCCEEDED)
        assert done.result.sentiment.statistics.rows_total == 2, "one row from each dependency"
    finally:
        await worker.stop(2.0)
