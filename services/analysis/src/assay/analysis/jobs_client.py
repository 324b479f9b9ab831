"""The worker's calls to JobExecutionService, with deadlines and retries of transient failures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from assay.common.errors import details_from_rpc_error
from assay.common.grpc_client import bearer
from assay.v1 import job_execution_service_pb2 as pb
from assay.v1 import job_execution_service_pb2_grpc

T = TypeVar("T")
TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                       grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED})
RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)


def is_superseded(exc: grpc.aio.AioRpcError) -> bool:
    """The attempt is no longer ours (another attempt owns the job, or it ended)."""
    return exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND)


def reason_of(exc: grpc.aio.AioRpcError) -> str:
    return details_from_rpc_error(exc).reason or exc.code().name


class JobsClient:
    """StartJob / Heartbeat / CompleteJob / FailJob as the ``worker`` role."""

    def __init__(self, channel: grpc.aio.Channel, token: Callable[[], str], timeout: float = 10.0) -> None:
        self._stub = job_execution_service_pb2_grpc.JobExecutionServiceStub(channel)
        self._token = token
        self._timeout = timeout

    async def _call(self, fn: Callable[..., Awaitable[T]], request: object, retries: bool = True) -> T:
        delays = RETRY_DELAYS if retries else ()
        for delay in (*delays, None):
            try:
                return await fn(request, metadata=bearer(self._token()), timeout=self._timeout)
            except grpc.aio.AioRpcError as exc:
                if delay is None or exc.code() not in TRANSIENT:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def start(self, request: pb.StartJobRequest) -> pb.StartJobResponse:
        # Not retried here: a lost answer would hold a lease nobody heartbeats (redelivery fixes it).
        return await self._call(self._stub.StartJob, request, retries=False)

    async def heartbeat(self, request: pb.HeartbeatRequest) -> pb.HeartbeatResponse:
        return await self._call(self._stub.Heartbeat, request, retries=False)

    async def complete(self, request: pb.CompleteJobRequest) -> pb.CompleteJobResponse:
        return await self._call(self._stub.CompleteJob, request)  # idempotent for the same attempt

    async def fail(self, request: pb.FailJobRequest) -> pb.FailJobResponse:
        return await self._call(self._stub.FailJob, request)  # idempotent for the same attempt
