"""The lease reaper: no job stays RUNNING after its worker vanished and its lease ran out."""

from __future__ import annotations

import asyncio
import logging
import time

from assay.common.db_health import is_database_unavailable
from assay.jobs.metrics import LEASES_REAPED
from assay.jobs.store import JobStore

logger = logging.getLogger(__name__)


async def run_reaper(store: JobStore, interval: float, grace: float, calm: float = 0.0) -> None:
    """Settle expired leases every ``interval`` seconds, ``grace`` seconds after they expired.

    The grace gives JetStream's own redelivery the first chance to take the job over. ``calm``:
    for that long after this process starts and after a pass found the database unreachable, no
    lease is settled. No worker could renew its lease meanwhile (jobs or its database was down),
    so an expired lease then says nothing about the worker: one still running its attempt renews
    it with its next Heartbeat (and reports its outcome); only one that stays silent is settled.
    """
    quiet_until = time.monotonic() + calm
    while True:
        try:
            if time.monotonic() >= quiet_until:
                reaped = await store.reap_expired_leases(grace)
                if reaped:
                    LEASES_REAPED.inc(reaped)
                    logger.warning("settled jobs with expired leases", extra={"count": reaped})
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_database_unavailable(exc):
                quiet_until = time.monotonic() + calm  # leases ran out while nobody could renew them
                logger.warning("lease reaper pass failed: database unreachable", extra={"calm": calm})
            else:
                logger.exception("lease reaper pass failed")
        await asyncio.sleep(interval)
