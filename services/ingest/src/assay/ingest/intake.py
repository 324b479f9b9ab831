"""Storing one upload: received and validated, then its object and its row, or nothing at all."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

from assay.common.auth import Principal
from assay.common.storage import object_key
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore, NewFile
from assay.ingest.upload import AcceptedUpload, CheckedHeader, Limits, receive, spooled
from assay.v1 import ingest_service_pb2


class FileIntake:
    """Receives uploads into the object store and the files table for UploadFile and SubmitDocument."""

    def __init__(self, store: FileStore, objects: ObjectStore, limits: Limits) -> None:
        self._store = store
        self._objects = objects
        self.limits = limits
        self._background: set[asyncio.Future[Any]] = set()

    async def store(
        self, caller: Principal, header: CheckedHeader, chunks: AsyncIterator[bytes], file_id: uuid.UUID
    ) -> ingest_service_pb2.File:
        """Receive, validate, then store object and row; a rejection stores nothing at all."""
        with spooled(header, self.limits) as receiving:
            accepted = await receive(receiving, chunks)
            # Once everything is checked, finish storing even if the client goes away meanwhile:
            # a put cut off half-way would leave an object without a row.
            commit = asyncio.ensure_future(self._commit(caller, accepted, file_id))
            self._background.add(commit)
            commit.add_done_callback(self._background.discard)
            try:
                return await asyncio.shield(commit)
            except asyncio.CancelledError:
                await asyncio.wait([commit])  # the spool must outlive the put
                raise

    async def _commit(self, caller: Principal, accepted: AcceptedUpload, file_id: uuid.UUID) -> ingest_service_pb2.File:
        key = object_key(caller.tenant, file_id)
        await self._objects.put(key, accepted.spool, accepted.size, accepted.media_type)
        try:
            return await self._store.insert(NewFile(
                id=file_id, tenant=caller.tenant, created_by=caller.subject, display_name=accepted.display_name,
                media_type=accepted.media_type, size_bytes=accepted.size, sha256=accepted.sha256,
                scan_status=accepted.scan_status,
            ))
        except BaseException:
            await self._objects.remove_quietly(key)
            raise

    async def wait_background(self) -> None:
        """Let stores that outlived their RPC finish (called on shutdown)."""
        if self._background:
            await asyncio.wait(list(self._background))
