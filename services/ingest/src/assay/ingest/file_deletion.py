"""Deleting one file: DeleteFile's steps, shared by the RPC and the retention sweep.

Jobs releases the file first (refused FILE_IN_USE while a job that has not finished names it, and
from then on it refuses new jobs on it; with ``cascade`` it first deletes every job derived from the
file, their artifacts through our own DeleteFile); analysis forgets the file's search-index chunks;
then the row goes, its object deleted before the row's deletion commits. A crash between the steps
leaves the file released and still stored, and a repeat finishes it.
"""

from __future__ import annotations

import uuid

from assay.ingest.index_client import IndexClient
from assay.ingest.jobs_client import JobsClient
from assay.ingest.objects import ObjectStore
from assay.ingest.store import FileStore


class FileDeletion:
    """Releases, forgets and deletes files with the given tenant token."""

    def __init__(self, store: FileStore, objects: ObjectStore, jobs: JobsClient, index: IndexClient) -> None:
        self._store = store
        self._objects = objects
        self._jobs = jobs
        self._index = index

    async def delete(self, tenant: str, file_id: uuid.UUID, token: str, *, cascade: bool = False) -> None:
        await self._store.get_row(tenant, file_id)  # NOT_FOUND before asking jobs anything
        await self._jobs.release_file(str(file_id), token, cascade=cascade)
        # Nothing of a deleted document stays searchable: its chunks go before its bytes.
        await self._index.forget_file(str(file_id), token)
        await self._store.delete(tenant, file_id, self._objects.remove, with_submissions=cascade)
