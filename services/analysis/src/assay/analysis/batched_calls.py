"""StartJob and CompleteJob calls made together: the worker's concurrent attempts share one
StartJobs / CompleteJobs call (``assay.common.group_commit``), and each caller still sees exactly
what its single call would have answered — the response, or an ``AioRpcError`` with the single
call's code and rich status (reason, message), so every acknowledgement rule of the runtime holds.

A batch is sent at once when none is in flight; attempts that start or end meanwhile go in the
next one. Each item carries its caller's traceparent (the delivery's ``process`` span), so jobs
records the transition in the job's own trace. A jobs service without the batch calls
(UNIMPLEMENTED: an older version during a rolling update) is called one by one from then on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import grpc
from google.rpc import error_details_pb2, status_pb2

from assay.common.errors import ERROR_DOMAIN
from assay.common.group_commit import GroupCommitter
from assay.common.grpc_client import bearer
from assay.common.telemetry import current_traceparent
from assay.v1 import job_execution_service_pb2 as pb
from assay.v1 import job_execution_service_pb2_grpc

Response = TypeVar("Response")
_CODES = {code.value[0]: code for code in grpc.StatusCode}
_STATUS_DETAILS_KEY = "grpc-status-details-bin"


def item_rpc_error(error: pb.JobItemError) -> grpc.aio.AioRpcError:
    """The error the single call would have raised for this item (code, message, ErrorInfo reason)."""
    status = status_pb2.Status(code=error.code, message=error.message)
    status.details.add().Pack(error_details_pb2.ErrorInfo(
        reason=error.reason, domain=ERROR_DOMAIN, metadata=dict(error.metadata)))
    return grpc.aio.AioRpcError(
        _CODES.get(error.code, grpc.StatusCode.UNKNOWN), grpc.aio.Metadata(),
        grpc.aio.Metadata((_STATUS_DETAILS_KEY, status.SerializeToString())), details=error.message)


class BatchedCalls:
    """``start`` and ``complete``: StartJob / CompleteJob's signatures, batched underneath."""

    def __init__(self, stub: job_execution_service_pb2_grpc.JobExecutionServiceAsyncStub, token: Callable[[], str],
                 timeout: float, batch_size: int) -> None:
        self._stub = stub
        self._token = token
        self._timeout = timeout
        self._supported = True
        self._starts: GroupCommitter[tuple[pb.StartJobRequest, str], pb.StartJobResponse] = GroupCommitter(
            "start_jobs", self._start_batch, max_size=batch_size)
        self._completes: GroupCommitter[tuple[pb.CompleteJobRequest, str], pb.CompleteJobResponse] = GroupCommitter(
            "complete_jobs", self._complete_batch, max_size=batch_size)

    async def start(self, request: pb.StartJobRequest, **_call_options: object) -> pb.StartJobResponse:
        """StartJob's answer for ``request`` (the single call's metadata and timeout are the batch call's own)."""
        if not self._supported:
            return await self._stub.StartJob(request, metadata=bearer(self._token()), timeout=self._timeout)
        return await self._starts.submit((request, current_traceparent()))

    async def complete(self, request: pb.CompleteJobRequest, **_call_options: object) -> pb.CompleteJobResponse:
        """CompleteJob's answer for ``request``."""
        if not self._supported:
            return await self._stub.CompleteJob(request, metadata=bearer(self._token()), timeout=self._timeout)
        return await self._completes.submit((request, current_traceparent()))

    async def _start_batch(
        self, items: Sequence[tuple[pb.StartJobRequest, str]],
    ) -> Sequence[pb.StartJobResponse | BaseException]:
        request = pb.StartJobsRequest(items=[
            pb.StartJobsItem(request=single, traceparent=traceparent) for single, traceparent in items])
        return await self._send(self._stub.StartJobs, request, self.start, [single for single, _ in items])

    async def _complete_batch(
        self, items: Sequence[tuple[pb.CompleteJobRequest, str]],
    ) -> Sequence[pb.CompleteJobResponse | BaseException]:
        request = pb.CompleteJobsRequest(items=[
            pb.CompleteJobsItem(request=single, traceparent=traceparent) for single, traceparent in items])
        return await self._send(self._stub.CompleteJobs, request, self.complete, [single for single, _ in items])

    async def _send(self, batch_call: Callable[..., Awaitable[Any]], request: Any,
                    one_by_one: Callable[[Any], Awaitable[Response]], singles: Sequence[Any],
                    ) -> Sequence[Response | BaseException]:
        """Each item's answer from the batch call, or from single calls when jobs lacks the batch call."""
        try:
            response = await batch_call(request, metadata=bearer(self._token()), timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise
            self._supported = False
            return await asyncio.gather(*(one_by_one(single) for single in singles), return_exceptions=True)
        return [result.response if result.HasField("response") else item_rpc_error(result.error)
                for result in response.results]
