"""Async SQLAlchemy (psycopg 3) engines and tenant-scoped transactions backed by row-level security."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.utils import suppress_instrumentation, unwrap
from sqlalchemy import Engine, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from assay.common.config import DatabaseSettings

TENANT_SETTING = "assay.tenant_id"
"""The transaction-local setting the RLS policies compare ``tenant_id`` with."""
SYSTEM_SETTING = "assay.system"
"""Set to ``on`` by cross-tenant system tasks (relay, reaper); RLS policies admit them."""

_SET_TENANT = text(f"SELECT set_config('{TENANT_SETTING}', :tenant, true)")
_SET_SYSTEM = text(f"SELECT set_config('{SYSTEM_SETTING}', 'on', true)")
SYSTEM_SESSION = f"SELECT set_config('{SYSTEM_SETTING}', 'on', false)"
"""The system scope for a whole session: only for a service's own connections that are never pooled
(the outbox relay's, the dispatcher's probe), never for one a tenant's transaction could get."""


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    """A pooled engine; a span per statement only with ``ASSAY_DATABASE_STATEMENT_SPANS`` (they were
    about a quarter of the jobs service's CPU: five or more statements per transition, each a span
    recorded and exported).

    No ``pool_pre_ping``: it cost one extra round trip per transaction. SQLAlchemy still
    invalidates a connection (and the pool) on a disconnect error, so a database restart fails at
    most the requests in flight on the dead connections; the next checkout reconnects.
    """
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    if settings.database_statement_spans:
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False)
        # Statements keep their spans; the instrumentor's "connect" span around every pool checkout
        # (one per transaction, as many spans as all statements together, and no information) goes.
        unwrap(Engine, "connect")
    return engine


@asynccontextmanager
async def tenant_transaction(engine: AsyncEngine, tenant: str) -> AsyncIterator[AsyncConnection]:
    """A transaction in which RLS only shows ``tenant``'s rows; commits on success."""
    async with engine.begin() as conn:
        with suppress_instrumentation():  # no span for the set_config statement of every transaction
            await conn.execute(_SET_TENANT, {"tenant": tenant})
        yield conn


@asynccontextmanager
async def system_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A transaction for cross-tenant system work (outbox relay, lease reaper)."""
    async with engine.begin() as conn:
        with suppress_instrumentation():
            await conn.execute(_SET_SYSTEM)
        yield conn


def rls_policy_sql(table: str) -> list[str]:
    """Statements that enable and force the tenant policy on ``table`` (used by migrations)."""
    predicate = (
        f"tenant_id = current_setting('{TENANT_SETTING}', true) "
        f"OR current_setting('{SYSTEM_SETTING}', true) = 'on'"
    )
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})",
    ]
