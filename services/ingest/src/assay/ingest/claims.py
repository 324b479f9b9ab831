"""The lease on a SubmitDocument claim: kept alive while the upload progresses, lost when it stops.

While chunks arrive the lease is renewed (at most every third of its length); once the whole body
has arrived, a heartbeat renews it until the submission ends, since storing and CreateJob are the
server's own work. A claim not renewed for a whole lease (the client stalled, or ingest was killed)
can be taken over by a retry; the old holder notices at its next renewal and gives up.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from assay.common.errors import Aborted
from assay.ingest.store import FileStore

logger = logging.getLogger(__name__)


def taken_over(request_id: str) -> Aborted:
    return Aborted("SUBMISSION_TAKEN_OVER",
                   f"the submission with request_id {request_id!r} stalled and was taken over by a retry")


class ClaimLease:
    """Renews one claim's lease in ``ingest.submissions``."""

    def __init__(self, store: FileStore, tenant: str, request_id: str, claim_id: uuid.UUID, seconds: float) -> None:
        self._store = store
        self._tenant = tenant
        self._request_id = request_id
        self.claim_id = claim_id
        self._lease = timedelta(seconds=seconds)
        self._every = seconds / 3
        self._renewed_at = time.monotonic()
        self._heartbeat: asyncio.Task[None] | None = None
        self.lost = False

    async def renew(self) -> None:
        """Extend the lease now; raises ABORTED ``SUBMISSION_TAKEN_OVER`` when the claim is no longer ours."""
        if self.lost or not await self._store.renew_claim(self._tenant, self._request_id, self.claim_id, self._lease):
            self.lost = True
            raise taken_over(self._request_id)
        self._renewed_at = time.monotonic()

    async def renewing(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Pass ``chunks`` through, renewing on progress; start the heartbeat once they end."""
        async for chunk in chunks:
            if time.monotonic() - self._renewed_at >= self._every:
                await self.renew()
            yield chunk
        await self.renew()
        self._heartbeat = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.renew()
            except Exception:
                logger.warning("could not renew a submission claim", extra={"request_id": self._request_id})
                return

    async def stop(self) -> None:
        """Stop the heartbeat (the submission ended one way or another)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
