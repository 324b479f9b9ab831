"""The lease reaper: no job stays RUNNING after its worker vanished and its lease ran out."""

from __future__ import annotations

import asyncio
import logging

from assay.jobs.metrics import LEASES_REAPED
from assay.jobs.store import JobStore

logger = logging.getLogger(__name__)


async def run_reaper(store: JobStore, interval: float, grace: float) -> None:
    """Settle expired leases every ``interval`` seconds, ``grace`` seconds after they expired.

    The grace gives JetStream's own redelivery the first chance to take the job over.
    """
    while True:
        try:
            reaped = await store.reap_expired_leases(grace)
            if reaped:
                LEASES_REAPED.inc(reaped)
                logger.warning("settled jobs with expired leases", extra={"count": reaped})
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("lease reaper pass failed")
        await asyncio.sleep(interval)
