"""Background work one replica at a time: a PostgreSQL session advisory lock tried per round, and a
loop that runs a round every so often (the retention sweeps of jobs and ingest)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)


@asynccontextmanager
async def session_lock(engine: AsyncEngine, key: int) -> AsyncIterator[bool]:
    """Try the advisory lock ``key`` on a connection of its own, held for the block: yields whether this
    replica got it (another holds it: False at once, no waiting)."""
    async with engine.connect() as conn:
        held = bool((await conn.execute(_TRY_LOCK, {"key": key})).scalar_one())
        await conn.commit()
        try:
            yield held
        finally:
            if held:
                await conn.execute(_UNLOCK, {"key": key})
                await conn.commit()


async def run_every(interval: float, round_: Callable[[], Awaitable[Any]], name: str,
                    on_failure: Callable[[], None] = lambda: None) -> None:
    """``round_()`` every ``interval`` seconds until cancelled; a failed round is logged (and
    ``on_failure`` called) and the next one runs as planned."""
    while True:
        try:
            await round_()
        except asyncio.CancelledError:
            raise
        except Exception:
            on_failure()
            logger.exception("%s failed", name)
        await asyncio.sleep(interval)


_TRY_LOCK = text("SELECT pg_try_advisory_lock(:key)")
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")
