"""Input files' metadata for the caller's tenant (existence, media type, size), from ingest (never its tables)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import grpc

from assay.common.errors import FieldViolation, InvalidArgument, Unavailable
from assay.common.grpc_client import bearer
from assay.v1 import ingest_service_pb2, ingest_service_pb2_grpc


class FileCatalog(Protocol):
    """Answers whether files exist for the caller (whose token is passed through)."""

    async def require(self, file_ids: Sequence[str], caller_token: str) -> Sequence[ingest_service_pb2.File]:
        """Every file's metadata when all exist for the caller's tenant; else INVALID_ARGUMENT."""


class IngestFileCatalog:
    """``FileCatalog`` backed by ``IngestService.BatchGetFiles`` with the caller's own token."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float) -> None:
        self._stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
        self._timeout = timeout

    async def require(self, file_ids: Sequence[str], caller_token: str) -> Sequence[ingest_service_pb2.File]:
        if not file_ids:
            return []
        try:
            found = await self._stub.BatchGetFiles(
                ingest_service_pb2.BatchGetFilesRequest(ids=list(file_ids)),
                metadata=bearer(caller_token), timeout=self._timeout,
            )
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise InvalidArgument(
                    "FILE_NOT_FOUND", "inputs.file_ids: a named file does not exist",
                    violations=[FieldViolation("inputs.file_ids", error.details() or "file not found")],
                ) from None
            raise Unavailable("INGEST_UNAVAILABLE", f"could not verify input files: {error.details()}") from None
        return list(found.files)
