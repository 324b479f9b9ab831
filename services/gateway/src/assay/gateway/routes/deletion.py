"""`DELETE /v1/jobs/{job_id}`: a finished job deleted for good (JobService.DeleteJob)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from assay.gateway import schemas
from assay.gateway.routes.jobs import job_view_of
from assay.gateway.upstream import call_metadata, rpc_timeout, stubs
from assay.v1 import jobs_service_pb2

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.delete("/{job_id}", status_code=204, summary="Delete a finished job with its result, events and artifacts",
               responses={204: {"description": "deleted"}, **schemas.problems(404, 409)})
async def delete_job(request: Request, job_id: str) -> Response:
    """JobService.DeleteJob: 409 ``JOB_NOT_FINISHED`` for a waiting, queued or running job (cancel it
    first), 409 ``JOB_HAS_DEPENDENTS`` while another job reads its results."""
    await stubs(request).jobs.DeleteJob(jobs_service_pb2.DeleteJobRequest(id=job_id),
                                        metadata=call_metadata(request), timeout=rpc_timeout(request))
    job_view_of(request).forget(job_id)
    return Response(status_code=204)
