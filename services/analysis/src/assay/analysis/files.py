"""Inputs and artifacts: behind two small protocols so text-only jobs and tests need no ingest."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC
from pathlib import Path
from typing import Protocol

import grpc
from minio import Minio
from minio.error import InvalidResponseError, S3Error, ServerError

from assay.analysis.plugin import ArtifactFile, InputDocument
from assay.analysis.resilience import UNREACHABLE
from assay.common.grpc_client import bearer
from assay.common.storage import object_key, storage_span
from assay.v1 import job_pb2, worker_file_service_pb2, worker_file_service_pb2_grpc

CHUNK_BYTES = 1024 * 1024
RESOLVE_BATCH = 100
"""Ids per ResolveInputs call (the contract's limit); a job's dependencies may have more artifacts."""


class InputsUnavailable(Exception):
    """Inputs could not be read right now (a retry may help)."""


class ArtifactsUnavailable(Exception):
    """An artifact could not be stored or registered right now (a retry may help)."""


class DependencyDown(InputsUnavailable, ArtifactsUnavailable):
    """``dependency`` (ingest, s3) could not be reached: not the job's fault, waiting may help."""

    def __init__(self, dependency: str, message: str) -> None:
        super().__init__(message)
        self.dependency = dependency


def _unreachable_s3(exc: Exception) -> bool:
    """A connection failure (urllib3, socket), not an answer of the S3 server (S3Error)."""
    return not isinstance(exc, S3Error | ServerError | InvalidResponseError)


class InputsMissing(Exception):
    """An input file does not exist for the job's tenant (no retry helps)."""


class InputStore(Protocol):
    """Streams a job's input files to local disk."""

    async def fetch(self, tenant: str, file_ids: Sequence[str], dest: Path, *, job_id: str,
                    capability: str) -> list[InputDocument]: ...


class ArtifactSink(Protocol):
    """Stores an artifact file and registers it as a file of the tenant."""

    async def store(self, tenant: str, job_id: str, artifact: ArtifactFile, *,
                    capability: str) -> job_pb2.Artifact: ...


class NoFiles:
    """For workers without ingest: file inputs and artifacts are refused (retryably)."""

    async def fetch(self, tenant: str, file_ids: Sequence[str], dest: Path, *, job_id: str,
                    capability: str) -> list[InputDocument]:
        if file_ids:
            raise InputsUnavailable("this worker has no file storage configured (ASSAY_INGEST_ADDR)")
        return []

    async def store(self, tenant: str, job_id: str, artifact: ArtifactFile, *,
                    capability: str) -> job_pb2.Artifact:
        raise ArtifactsUnavailable("this worker has no file storage configured (ASSAY_INGEST_ADDR)")


class ObjectStorageFiles:
    """Resolves through ingest's WorkerFileService and streams bytes straight from/to S3."""

    def __init__(self, channel: grpc.aio.Channel, client: Minio, bucket: str, token: Callable[[], str],
                 timeout: float = 10.0) -> None:
        self._stub = worker_file_service_pb2_grpc.WorkerFileServiceStub(channel)
        self._client = client
        self._bucket = bucket
        self._token = token
        self._timeout = timeout

    async def fetch(self, tenant: str, file_ids: Sequence[str], dest: Path, *, job_id: str,
                    capability: str) -> list[InputDocument]:
        resolved: list[worker_file_service_pb2.ResolvedInput] = []
        for start in range(0, len(file_ids), RESOLVE_BATCH):
            batch = list(file_ids[start:start + RESOLVE_BATCH])
            try:
                response = await self._stub.ResolveInputs(
                    worker_file_service_pb2.ResolveInputsRequest(
                        tenant_id=tenant, ids=batch, job_id=job_id, capability=capability),
                    metadata=bearer(self._token()), timeout=self._timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.NOT_FOUND:
                    raise InputsMissing(exc.details() or "an input file does not exist") from None
                if exc.code() in UNREACHABLE:
                    raise DependencyDown("ingest", f"ResolveInputs failed: {exc.code().name}") from None
                raise InputsUnavailable(f"ResolveInputs failed: {exc.code().name}") from None
            resolved.extend(response.inputs)
        documents = []
        for index, item in enumerate(resolved):
            path = dest / f"input-{index}"
            with storage_span("GetObject", self._bucket, item.object_key):
                await asyncio.to_thread(self._download, item.object_key, path)
            uploaded = item.file.create_time.ToDatetime(tzinfo=UTC) if item.file.HasField("create_time") else None
            documents.append(InputDocument(
                file_id=item.file.id, path=path, media_type=item.file.media_type,
                display_name=item.file.display_name, size_bytes=path.stat().st_size, uploaded_at=uploaded))
        return documents

    def _download(self, key: str, path: Path) -> None:
        try:
            response = self._client.get_object(self._bucket, key)
        except Exception as exc:
            if _unreachable_s3(exc):
                raise DependencyDown("s3", f"reading {key} failed: {exc}") from None
            raise InputsUnavailable(f"reading {key} failed: {exc}") from None
        try:
            with path.open("wb") as out:
                for chunk in response.stream(CHUNK_BYTES):
                    out.write(chunk)
        finally:
            response.close()
            response.release_conn()

    async def store(self, tenant: str, job_id: str, artifact: ArtifactFile, *,
                    capability: str) -> job_pb2.Artifact:
        file_id = str(uuid.uuid4())
        with storage_span("PutObject", self._bucket, object_key(tenant, file_id)):
            digest = await asyncio.to_thread(self._upload, tenant, file_id, artifact)
        try:
            response = await self._stub.RegisterArtifact(worker_file_service_pb2.RegisterArtifactRequest(
                tenant_id=tenant, file_id=file_id, display_name=artifact.name,
                media_type=artifact.media_type, sha256=digest, job_id=job_id,
                capability=capability,
            ), metadata=bearer(self._token()), timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in UNREACHABLE:
                raise DependencyDown("ingest", f"RegisterArtifact failed: {exc.code().name}") from None
            raise ArtifactsUnavailable(f"RegisterArtifact failed: {exc.code().name}") from None
        return job_pb2.Artifact(file_id=response.file.id or file_id, name=artifact.name,
                                media_type=artifact.media_type)

    def _upload(self, tenant: str, file_id: str, artifact: ArtifactFile) -> str:
        sha = hashlib.sha256()
        with artifact.path.open("rb") as source:
            for chunk in iter(lambda: source.read(CHUNK_BYTES), b""):
                sha.update(chunk)
        try:
            self._client.fput_object(self._bucket, object_key(tenant, file_id), str(artifact.path),
                                     content_type=artifact.media_type)
        except Exception as exc:
            if _unreachable_s3(exc):
                raise DependencyDown("s3", f"writing artifact {artifact.name} failed: {exc}") from None
            raise ArtifactsUnavailable(f"writing artifact {artifact.name} failed: {exc}") from None
        return sha.hexdigest()
