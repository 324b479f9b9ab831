"""A tenant's usage as clients see it: jobs' quotas (GetUsage) with ingest's bytes stored beside them.

Jobs owns the job quotas and ingest the stored files; ``GET /v1/usage`` and ``assay usage`` ask both
at once and show one list, the bytes stored as the quota ``bytes_stored``. When ingest does not
answer (``UNAVAILABLE``, deadline, an ingest older than the RPC) the job quotas are shown without
it rather than not at all.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import grpc

from assay.v1 import ingest_service_pb2, jobs_service_pb2

logger = logging.getLogger(__name__)

BYTES_STORED = "bytes_stored"
_UNANSWERED = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNIMPLEMENTED)
"""Ingest unreachable, or older than GetStorageUsage (a rolling upgrade): the job quotas alone."""


async def tenant_usage(jobs: Any, ingest: Any, metadata: Any, deadline: float | None = None,
                       ) -> jobs_service_pb2.GetUsageResponse:
    """JobService.GetUsage and IngestService.GetStorageUsage (stubs ``jobs``, ``ingest``; each call's
    gRPC deadline ``deadline`` seconds) in one list."""
    usage, storage = await asyncio.gather(
        jobs.GetUsage(jobs_service_pb2.GetUsageRequest(), metadata=metadata, timeout=deadline),
        _storage(ingest, metadata, deadline))
    merged = jobs_service_pb2.GetUsageResponse()
    merged.CopyFrom(usage)
    if storage is not None:
        merged.quotas.append(jobs_service_pb2.QuotaUsage(quota=BYTES_STORED, used=storage.bytes_stored,
                                                         limit=storage.limit))
    return merged


async def _storage(ingest: Any, metadata: Any,
                   deadline: float | None) -> ingest_service_pb2.GetStorageUsageResponse | None:
    try:
        response: ingest_service_pb2.GetStorageUsageResponse = await ingest.GetStorageUsage(
            ingest_service_pb2.GetStorageUsageRequest(), metadata=metadata, timeout=deadline)
    except grpc.aio.AioRpcError as error:
        if error.code() not in _UNANSWERED:
            raise
        logger.warning("ingest did not answer GetStorageUsage; usage without bytes stored",
                       extra={"code": error.code().name})
        return None
    return response
