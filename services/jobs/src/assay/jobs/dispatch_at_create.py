"""Dispatch at create: a CreateJob batch runs the dispatch round itself, in its own transaction.

A new QUEUED job is held (``dispatcher.hold``) and a dispatch round, woken by ``NOTIFY`` once the
create has committed, writes its work message when its turn comes: a hop of a round's round trips
on a busy event loop (CreateJob → ``dispatch job`` p50 ~140-200 ms in ``bench/trace_hops.py``), even
for an analyzer with room in its backlog. Here the CreateJob batch's transaction, once it has held
its jobs, runs that round itself (``Dispatcher.dispatch_once(within=…)``: the same rule, fair share,
priorities, limits, the ahead-of-backlog rule, over every held job including its own), so the jobs
the round would dispatch at once are dispatched with their create, in the same commit:

- only if it takes the dispatch lock without waiting (``pg_try_advisory_xact_lock``, held to its
  commit): no other round — the dispatcher's, or another replica's create — runs beside it, so
  nothing is dispatched twice and no backlog is counted twice; if the lock is taken, the jobs stay
  held for that round, as before;
- the round reads and releases every tenant's held jobs, so it runs in the system scope, set for
  its statements only and reset before the transaction goes on in the tenant's scope.

The work messages are written in the create's transaction as a round writes them in its own: the
outbox relays them after the commit, so at-least-once and crash safety are unchanged.
"""

from __future__ import annotations

from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.db import SYSTEM_SETTING
from assay.jobs.dispatcher import DISPATCH_LOCK_KEY, Dispatcher
from assay.jobs.metrics import JOBS_DISPATCHED_AT_CREATE


class DispatchAtCreate:
    """``dispatch`` runs in a CreateJob batch's transaction after its jobs are held."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    async def dispatch(self, conn: AsyncConnection) -> int:
        """A dispatch round in ``conn``'s transaction (a tenant's) if no other round is running; how many
        jobs it dispatched (0 when the lock was taken: the jobs wait for that round, as before)."""
        locked = (await conn.execute(_TRY_LOCK_IN_SYSTEM_SCOPE, {"key": DISPATCH_LOCK_KEY})).scalar_one()
        dispatched = await self._dispatcher.dispatch_once(within=conn) if locked else 0
        await conn.execute(_TENANT_SCOPE)
        trace.get_current_span().set_attribute("assay.dispatch.at_create", dispatched)
        JOBS_DISPATCHED_AT_CREATE.inc(dispatched)
        return dispatched


_TRY_LOCK_IN_SYSTEM_SCOPE = text(
    f"SELECT pg_try_advisory_xact_lock(:key) FROM set_config('{SYSTEM_SETTING}', 'on', true)")
_TENANT_SCOPE = text(f"SELECT set_config('{SYSTEM_SETTING}', '', true)")
"""Back to the transaction's tenant scope (its ``assay.tenant_id`` was never changed)."""
