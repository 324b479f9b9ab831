"""The bucket, through the synchronous ``minio`` SDK run in worker threads."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import IO, BinaryIO, cast

from minio import Minio
from minio.error import S3Error

from assay.common.errors import NotFound, Unavailable
from assay.common.storage import storage_span

logger = logging.getLogger(__name__)

_MISSING = ("NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound")


class ObjectStore:
    """Put, stat, delete and presign objects in one bucket; every call leaves the event loop."""

    def __init__(self, client: Minio, bucket: str, *, part_size: int, parallelism: int) -> None:
        self._client = client
        self._bucket = bucket
        self._part_size = part_size
        self._parallelism = parallelism

    @property
    def bucket(self) -> str:
        return self._bucket

    async def put(self, key: str, source: IO[bytes], size: int, media_type: str) -> None:
        """Store ``size`` bytes of ``source`` from its start (multipart above the part size).

        The SDK aborts its multipart upload when a part fails, so a failed put leaves nothing.
        """
        source.seek(0)
        try:
            with storage_span("PutObject", self._bucket, key) as span:
                span.set_attribute("assay.size_bytes", size)
                await asyncio.to_thread(
                    self._client.put_object, self._bucket, key, cast(BinaryIO, source), size,
                    content_type=media_type, part_size=self._part_size, num_parallel_uploads=self._parallelism,
                )
        except Exception as exc:
            logger.warning("object put failed", extra={"object_key": key, "error": str(exc)})
            raise Unavailable("STORAGE_UNAVAILABLE", "the object store refused the upload; retry later") from exc

    async def size_of(self, key: str) -> int:
        """The stored object's size; NOT_FOUND when there is no object at ``key``."""
        try:
            with storage_span("HeadObject", self._bucket, key):
                stat = await asyncio.to_thread(self._client.stat_object, self._bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                raise NotFound("OBJECT_NOT_FOUND", "no object was written for this file id") from None
            raise Unavailable("STORAGE_UNAVAILABLE", f"could not stat the object: {exc.code}") from exc
        return int(stat.size or 0)

    async def list_objects(self, prefix: str) -> list[tuple[str, datetime]]:
        """Every object under ``prefix`` with its last-modified time."""
        def listing() -> list[tuple[str, datetime]]:
            return [(str(o.object_name), o.last_modified or datetime.now(UTC))
                    for o in self._client.list_objects(self._bucket, prefix=prefix, recursive=True)]
        try:
            with storage_span("ListObjects", self._bucket, prefix):
                return await asyncio.to_thread(listing)
        except Exception as exc:
            raise Unavailable("STORAGE_UNAVAILABLE", "could not list the objects") from exc

    async def remove(self, key: str) -> None:
        """Delete ``key``; deleting a missing object is not an error."""
        try:
            with storage_span("DeleteObject", self._bucket, key):
                await asyncio.to_thread(self._client.remove_object, self._bucket, key)
        except S3Error as exc:
            if exc.code in _MISSING:
                return
            raise Unavailable("STORAGE_UNAVAILABLE", f"could not delete the object: {exc.code}") from exc
        except Exception as exc:
            raise Unavailable("STORAGE_UNAVAILABLE", "could not delete the object") from exc

    async def remove_quietly(self, key: str) -> None:
        """Best-effort cleanup after a failure; a leftover is logged, never raised."""
        try:
            await self.remove(key)
        except Exception:
            logger.exception("could not remove an orphaned object", extra={"object_key": key})

    def presign_get(self, key: str, lifetime: timedelta, content_disposition: str, media_type: str) -> str:
        """A presigned GET URL; computed locally (the region is configured), no network call."""
        return self._client.presigned_get_object(
            self._bucket, key, expires=lifetime,
            response_headers={
                "response-content-disposition": content_disposition,
                "response-content-type": media_type,
            },
        )
