"""The worker's calls to JobExecutionService, with deadlines and retries of transient failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc

from assay.analysis.batched_calls import BatchedCalls
from assay.analysis.resilience import DEFAULT_BACKOFF, UNREACHABLE, Backoff, CircuitBreaker, retry_while_unreachable
from assay.common.errors import details_from_rpc_error
from assay.common.grpc_client import bearer
from assay.v1 import job_execution_service_pb2 as pb
from assay.v1 import job_execution_service_pb2_grpc

T = TypeVar("T")
TRANSIENT = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                       grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.ABORTED})


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() in TRANSIENT


def _unreachable(exc: BaseException) -> bool:
    return isinstance(exc, grpc.aio.AioRpcError) and exc.code() in UNREACHABLE


def is_superseded(exc: grpc.aio.AioRpcError) -> bool:
    """The attempt is no longer ours (another attempt owns the job, or it ended)."""
    return exc.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND)


def reason_of(exc: grpc.aio.AioRpcError) -> str:
    return details_from_rpc_error(exc).reason or exc.code().name


class JobsClient:
    """StartJob / Heartbeat / CompleteJob / FailJob as the ``worker`` role.

    Every call feeds the ``jobs`` circuit breaker. CompleteJob and FailJob (idempotent for the
    same attempt) are retried with backoff and jitter for up to ``report_budget`` seconds while
    jobs (or its database) is unreachable: a finished attempt is reported through an outage
    instead of being left to lease expiry and run again.
    """

    def __init__(self, channel: grpc.aio.Channel, token: Callable[[], str], timeout: float = 10.0, *,
                 breaker: CircuitBreaker | None = None, report_budget: float = 300.0, start_budget: float = 0.0,
                 backoff: Backoff = DEFAULT_BACKOFF, batch_size: int = 64) -> None:
        """``start_budget``: how long ``start`` with a ``keepalive`` retries while jobs is unreachable;
        ``batch_size``: most StartJob / CompleteJob calls sent together as one StartJobs / CompleteJobs
        (``batched_calls``; 0: every call on its own)."""
        self._stub = job_execution_service_pb2_grpc.JobExecutionServiceStub(channel)
        self._token = token
        self._timeout = timeout
        self.breaker = breaker if breaker is not None else CircuitBreaker("jobs")
        self._report_budget = report_budget
        self._start_budget = start_budget
        self._backoff = backoff
        self._batches = BatchedCalls(self._stub, token, timeout, batch_size) if batch_size > 0 else None
        self._start_call = self._batches.start if self._batches is not None else self._stub.StartJob
        self._complete_call = self._batches.complete if self._batches is not None else self._stub.CompleteJob

    async def _once(self, fn: Callable[..., Awaitable[T]], request: object) -> T:
        try:
            response = await fn(request, metadata=bearer(self._token()), timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in UNREACHABLE:
                self.breaker.failure()
            else:
                self.breaker.success()
            raise
        self.breaker.success()
        return response

    async def _reported(self, fn: Callable[..., Awaitable[T]], request: object, what: str) -> T:
        return await retry_while_unreachable(
            lambda: fn(request, metadata=bearer(self._token()), timeout=self._timeout),
            what=what, budget=self._report_budget, backoff=self._backoff,
            breaker_of=lambda exc: self.breaker if is_transient(exc) else None, reached=(self.breaker,))

    async def start(self, request: pb.StartJobRequest,
                    keepalive: Callable[[], Awaitable[None]] | None = None) -> pb.StartJobResponse:
        """StartJob; with ``keepalive`` (the work message's ``in_progress``, called before each retry)
        retried while jobs is unreachable, so an outage of jobs does not spend the message's
        deliveries. A start whose answer was lost is not repeated blindly: the retry is answered
        RETRY_LATER (the lease is held) and redelivery after lease expiry settles it."""
        if keepalive is None or self._start_budget <= 0:
            return await self._once(self._start_call, request)
        calls = 0

        async def call() -> pb.StartJobResponse:
            nonlocal calls
            if calls:
                await keepalive()
            calls += 1
            return await self._start_call(request, metadata=bearer(self._token()), timeout=self._timeout)

        return await retry_while_unreachable(
            call, what="StartJob", budget=self._start_budget, backoff=self._backoff,
            breaker_of=lambda exc: self.breaker if _unreachable(exc) else None, reached=(self.breaker,))

    async def heartbeat(self, request: pb.HeartbeatRequest) -> pb.HeartbeatResponse:
        return await self._once(self._stub.Heartbeat, request)

    async def complete(self, request: pb.CompleteJobRequest) -> pb.CompleteJobResponse:
        return await self._reported(self._complete_call, request, "CompleteJob")  # idempotent per attempt

    async def fail(self, request: pb.FailJobRequest) -> pb.FailJobResponse:
        return await self._reported(self._stub.FailJob, request, "FailJob")  # idempotent per attempt

    async def release_worker(self, request: pb.ReleaseWorkerAttemptsRequest) -> pb.ReleaseWorkerAttemptsResponse:
        return await self._reported(self._stub.ReleaseWorkerAttempts, request, "ReleaseWorkerAttempts")  # idempotent
