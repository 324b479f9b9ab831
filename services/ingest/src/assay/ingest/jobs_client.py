"""Calls to the jobs service, always with the caller's own bearer token."""

from __future__ import annotations

import grpc

from assay.common.errors import AssayError, FieldViolation, Unavailable, details_from_rpc_error
from assay.common.grpc_client import bearer, open_channel
from assay.v1 import job_pb2, jobs_service_pb2, jobs_service_pb2_grpc


class ForwardedError(AssayError):
    """An error the jobs service returned, passed on to our caller with its code and details."""

    def __init__(self, error: grpc.aio.AioRpcError) -> None:
        details = details_from_rpc_error(error)
        super().__init__(details.reason or error.code().name, details.message,
                         violations=[FieldViolation(v.field, v.description) for v in details.violations])
        self.code = error.code()


class JobsClient:
    """A lazily connected JobService client; ``connect`` may be called after the server starts."""

    def __init__(self, address: str | None = None, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._channel: grpc.aio.Channel | None = None
        self._stub: jobs_service_pb2_grpc.JobServiceAsyncStub | None = None
        if address:
            self.connect(address)

    def connect(self, address: str) -> None:
        """Point the client at the jobs service at ``address``."""
        self._channel = open_channel(address)
        self._stub = jobs_service_pb2_grpc.JobServiceStub(self._channel)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()

    def _jobs(self) -> jobs_service_pb2_grpc.JobServiceAsyncStub:
        if self._stub is None:
            raise Unavailable("JOBS_UNAVAILABLE", "the jobs service address is not configured")
        return self._stub

    async def create_job(self, request: jobs_service_pb2.CreateJobRequest, token: str) -> job_pb2.Job:
        try:
            response = await self._jobs().CreateJob(request, metadata=bearer(token), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _translate(error) from None
        return response.job

    async def get_job(self, job_id: str, token: str) -> job_pb2.Job:
        try:
            response = await self._jobs().GetJob(
                jobs_service_pb2.GetJobRequest(id=job_id), metadata=bearer(token), timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _translate(error) from None
        return response.job

    async def release_file(self, file_id: str, token: str, *, cascade: bool = False) -> None:
        """Have jobs release the file for deletion; FAILED_PRECONDITION FILE_IN_USE while a queued or
        running job names it (jobs decides, under the same lock as CreateJob). With ``cascade``, jobs
        also deletes every finished job derived from the file (their artifacts through our DeleteFile),
        which takes a deadline per job, not one call's."""
        try:
            await self._jobs().ReleaseFile(jobs_service_pb2.ReleaseFileRequest(file_id=file_id, cascade=cascade),
                                           metadata=bearer(token), timeout=self._timeout * (6 if cascade else 1))
        except grpc.aio.AioRpcError as error:
            raise _translate(error) from None


_UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
                grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNIMPLEMENTED)


def _translate(error: grpc.aio.AioRpcError) -> AssayError:
    if error.code() in _UNAVAILABLE:
        return Unavailable("JOBS_UNAVAILABLE", f"the jobs service did not answer: {error.code().name}")
    return ForwardedError(error)
