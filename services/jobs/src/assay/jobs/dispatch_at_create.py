"""Dispatch at create: a CreateJob batch runs the dispatch round itself, at the end of its transaction.

A new QUEUED job is held (``dispatcher.hold``) and a dispatch round, woken by ``NOTIFY`` once the
create has committed, writes its work message when its turn comes: a hop of a round's round trips on
a busy event loop. Here the CreateJob batch's transaction, as its last step before the commit, runs
that round itself (``Dispatcher.dispatch_within``: the same rule — fair share across tenants, each
tenant's jobs by priority then age, its concurrency limits, the backlog's room, a newcomer tenant's
job ahead of the backlog on the analyzer's top-priority subject — over every held job, its own new
ones included), so the jobs a round would dispatch now go with their create, in the same commit:

- only if it takes the dispatch lock without waiting (``pg_try_advisory_xact_lock``, held to its
  commit): no other round — the dispatcher's, or another create's, in any replica — runs beside it,
  so nothing is dispatched twice and no backlog is counted twice; if the lock is taken, the jobs stay
  held for that round, as before. The lock is taken last, so it is held for the round and the commit
  only, and the next create batch (two may be in flight) seldom finds it taken;
- only while at most ``held_at_most`` jobs are held in all (counted in the same statement, the lock
  not even tried past it): under a burst or a flood the rounds are the dispatcher's, not one in every
  create batch (a round over hundreds of held jobs per create had cost a burst a third more jobs CPU,
  stop 30).

Before (stop 30-31) a create dispatched its own jobs only while nothing of their analyzer was held,
and under a steady load such as ``make bench`` c1 (50 clients, one tenant) something nearly always
was — a create that met a running round held its jobs, and every later create then held its own
behind them — so 96 % of the jobs waited for a dispatcher round: CreateJob → ``dispatch job`` p50
60-80 ms on a quiet machine, the longest hop of a job (bench/README.md, "Issue 21, stop 32").

The round reads every tenant's held jobs, so it runs in the system scope, set with the lock for its
statements only and reset before the commit. The work messages are written in the create's
transaction as a round writes them in its own: the outbox relays them after the commit, so
at-least-once and crash safety are unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from opentelemetry import trace
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assay.common.db import SYSTEM_SETTING
from assay.jobs.dispatcher import DISPATCH_LOCK_KEY

Round = Callable[[AsyncConnection], Awaitable[int]]
"""A dispatch round in the given transaction (lock held, system scope): ``Dispatcher.dispatch_within``."""


class DispatchAtCreate:
    """``dispatch`` is the last step of a CreateJob batch's transaction, after its jobs are held."""

    def __init__(self, run_round: Round, *, held_at_most: int) -> None:
        if held_at_most < 1:
            raise ValueError("held_at_most must be at least 1")
        self._round = run_round
        self._held_at_most = held_at_most

    async def dispatch(self, conn: AsyncConnection) -> int:
        """A dispatch round in ``conn``'s transaction (a tenant's) if few jobs are held and no other round
        is running; how many jobs it dispatched (0 otherwise: the jobs wait for the dispatcher's round)."""
        locked = (await conn.execute(_TRY_LOCK_IF_FEW_HELD, {
            "key": DISPATCH_LOCK_KEY, "most": self._held_at_most})).scalar_one()
        dispatched = await self._round(conn) if locked else 0
        await conn.execute(_TENANT_SCOPE)
        span = trace.get_current_span()
        span.set_attribute("assay.dispatch.at_create", dispatched)
        if locked is None:
            span.set_attribute("assay.dispatch.at_create_skipped", "held")
        elif not locked:
            span.set_attribute("assay.dispatch.at_create_skipped", "lock")
        return dispatched


_TRY_LOCK_IF_FEW_HELD = text(f"""
    SELECT CASE WHEN (SELECT count(*) FROM (SELECT 1 FROM jobs.dispatch_queue LIMIT :most + 1) q) <= :most
                THEN pg_try_advisory_xact_lock(:key) END
    FROM set_config('{SYSTEM_SETTING}', 'on', true)
""")
"""The dispatch lock, tried (true/false) only while at most ``:most`` jobs are held (else NULL), in the
system scope (the held jobs are every tenant's), which stays set for the round."""
_TENANT_SCOPE = text(f"SELECT set_config('{SYSTEM_SETTING}', '', true)")
"""Back to the transaction's tenant scope (its ``assay.tenant_id`` was never changed)."""
