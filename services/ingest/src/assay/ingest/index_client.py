"""Calls to the analysis service's IndexService (ForgetFile before DeleteFile), with the caller's token."""

from __future__ import annotations

import grpc

from assay.common.errors import AssayError, Unavailable
from assay.common.grpc_client import bearer, open_channel
from assay.ingest.jobs_client import ForwardedError
from assay.v1 import index_pb2, index_pb2_grpc

_UNAVAILABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
                grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNIMPLEMENTED)


class IndexClient:
    """An IndexService client; without an address there is no index to clean and ``forget_file`` does nothing."""

    def __init__(self, address: str = "", timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._channel = open_channel(address) if address else None
        self._stub = index_pb2_grpc.IndexServiceStub(self._channel) if self._channel is not None else None

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()

    async def forget_file(self, file_id: str, token: str) -> None:
        """Remove the file from every collection of the caller's tenant; UNAVAILABLE when analysis does
        not answer (the file is then not deleted: its chunks must not outlive it)."""
        if self._stub is None:
            return
        try:
            await self._stub.ForgetFile(index_pb2.ForgetFileRequest(file_id=file_id), metadata=bearer(token),
                                        timeout=self._timeout)
        except grpc.aio.AioRpcError as error:
            raise _translate(error) from None


def _translate(error: grpc.aio.AioRpcError) -> AssayError:
    if error.code() in _UNAVAILABLE:
        return Unavailable("INDEX_UNAVAILABLE", f"the analysis service did not answer: {error.code().name}")
    return ForwardedError(error)
