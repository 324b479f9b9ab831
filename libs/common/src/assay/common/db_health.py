"""Database connectivity: which errors mean "PostgreSQL is unreachable", and a cheap readiness probe.

A servicer that hits a dead database raises SQLAlchemy's ``OperationalError`` / ``InterfaceError``
(psycopg's ``OperationalError`` underneath). The shared interceptor turns those into UNAVAILABLE
``DATABASE_UNAVAILABLE`` (the gateway answers 503 with ``Retry-After``) instead of UNKNOWN, and
:class:`DatabaseReadiness` reports the services' gRPC health NOT_SERVING while the database does
not answer ``SELECT 1``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import psycopg
from opentelemetry.instrumentation.utils import suppress_instrumentation
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from assay.common.errors import Unavailable
from assay.common.schema_revision import SchemaRevision

logger = logging.getLogger(__name__)

DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
"""The ErrorInfo reason of an RPC refused because PostgreSQL could not be reached."""

_PROBE = text("SELECT 1")


def is_database_unavailable(error: BaseException) -> bool:
    """True for a failure to reach PostgreSQL (not for a bad statement or a constraint violation)."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return True
    cause = error.__cause__
    return cause is not None and cause is not error and is_database_unavailable(cause)


def database_unavailable() -> Unavailable:
    """The domain error sent instead of the driver's exception."""
    return Unavailable(DATABASE_UNAVAILABLE, "the database is unreachable; retry shortly")


class DatabaseReadiness:
    """Probes the database every ``interval`` seconds and calls ``report(ready)`` when that changes.

    The probe is ``SELECT 1`` on a pooled connection with a timeout: one round trip per interval.
    With ``schema`` it reads the schema's Alembic revision instead (still one round trip), and a
    database lacking a migration the code needs is not ready either (``assay.common.schema_revision``).
    """

    def __init__(self, engine: AsyncEngine, report: Callable[[bool], Awaitable[None]],
                 interval: float, timeout: float, schema: SchemaRevision | None = None) -> None:
        self._engine = engine
        self._schema = schema
        self._report = report
        self._interval = interval
        self._timeout = timeout
        self.ready = True

    async def probe(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                with suppress_instrumentation():
                    async with self._engine.connect() as conn:
                        if self._schema is not None:
                            return await self._schema.check(conn) is None
                        await conn.execute(_PROBE)
        except (TimeoutError, sa_exc.SQLAlchemyError, psycopg.Error, OSError) as exc:
            logger.debug("database probe failed", extra={"error": repr(exc)})
            return False
        return True

    async def run(self) -> None:
        """Probe until cancelled."""
        while True:
            ready = await self.probe()
            if ready != self.ready:
                self.ready = ready
                logger.warning("database reachable" if ready else "database unreachable: NOT_SERVING")
                with contextlib.suppress(Exception):
                    await self._report(ready)
            await asyncio.sleep(self._interval)
