"""The outbox relay: publishes committed events to JetStream in commit order, then deletes them.

Only one relay runs at a time (a PostgreSQL advisory lock elects it), so a job's events keep their
order across replicas. A crash between publish and delete re-publishes the same Nats-Msg-Id, which
JetStream's duplicate window drops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import psycopg
from nats.aio.client import Client
from nats.errors import Error as NatsError
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from psycopg.rows import dict_row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common.db import SYSTEM_SESSION, system_transaction
from assay.common.telemetry import context_from_headers, inject_headers
from assay.jobs.metrics import OUTBOX_LAG, OUTBOX_PUBLISHED

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

RELAY_LOCK_KEY = 0x4153_5341_5930  # "ASSAY0": one relay leader per database
NOTIFY_CHANNEL = "assay_outbox"

_FETCH = """
    SELECT id, subject, msg_id, payload, traceparent,
           EXTRACT(EPOCH FROM now() - created_at) AS age
    FROM jobs.outbox ORDER BY id LIMIT %(limit)s
    FOR UPDATE
"""
"""Locked until the pass ends: a job's deletion deletes its unpublished rows (``deletion``), and that
DELETE must wait for a pass that already read them to publish and end, so the deletion's purge of
the events stream, which follows, removes what the pass published."""
_DELETE = "DELETE FROM jobs.outbox WHERE id = ANY(%(ids)s)"


class OutboxRelay:
    """Moves outbox rows to JetStream. ``run`` loops until cancelled; ``drain_once`` is one pass."""

    def __init__(
        self, engine: AsyncEngine, nc: Client, psycopg_url: str, *, batch_size: int,
        poll_seconds: float,
    ) -> None:
        self._engine = engine
        self._ack_timeout = 5.0
        self._js = nc.jetstream(timeout=self._ack_timeout)
        self._psycopg_url = psycopg_url
        self._batch = batch_size
        self._poll = poll_seconds
        self._wake = asyncio.Event()
        self._conn: psycopg.AsyncConnection[dict[str, Any]] | None = None
        """The leader's own connection (system scope for its session), while it leads."""

    async def drain_once(self) -> int:
        """Publish and delete up to one batch; returns how many rows were relayed.

        A pass is one transaction holding the rows it read (``_FETCH``) until they are published and
        deleted. The leader runs it on its own connection, whose session already has the system
        scope (no tenant setting per pass, never pooled); outside the leader loop (the final drain at
        shutdown) it is a pooled system transaction. A row published but not deleted (a crash between
        them) is published again, dropped by JetStream's duplicate window."""
        if self._conn is not None:
            async with self._conn.transaction():
                return await self._drain(_on_connection(self._conn))
        async with system_transaction(self._engine) as conn:
            return await self._drain(_in_transaction(conn))

    async def _drain(self, execute: _Execute) -> int:
        rows = await execute(_FETCH, {"limit": self._batch})
        if not rows:
            OUTBOX_LAG.set(0)
            return 0
        OUTBOX_LAG.set(float(rows[0]["age"]))
        published = await self._publish(rows)
        if published:
            await execute(_DELETE, {"ids": published})
        OUTBOX_PUBLISHED.inc(len(published))
        return len(published)

    async def _publish(self, rows: Sequence[Any]) -> list[int]:
        """Publish the batch pipelined (in order on one connection), then await the acks together.

        Returns the ids of the longest prefix whose acks all arrived: a failure stops the batch
        there, and everything from it on is published again next pass (JetStream's duplicate
        window drops the repeats), so an unacknowledged event is never deleted.
        """
        pending: list[tuple[int, asyncio.Future[Any], Span]] = []
        for row in rows:
            span = _producer_span(row)
            headers = inject_headers({"Nats-Msg-Id": row["msg_id"]}, trace.set_span_in_context(span))
            try:
                future = await self._js.publish_async(row["subject"], bytes(row["payload"]), headers=headers)
            except (NatsError, ConnectionError) as exc:
                logger.warning("outbox publish failed; will retry", extra={"error": str(exc)})
                _end(span, str(exc))
                break
            pending.append((row["id"], future, span))
        if not pending:
            return []
        await asyncio.wait([f for _, f, _ in pending], timeout=self._ack_timeout)
        done: list[int] = []
        failed = False
        for row_id, future, span in pending:
            if failed or not future.done():
                failed = True
                _end(span, "not acknowledged in time" if not future.done() else "an earlier publish failed")
                continue
            if future.exception() is not None:
                logger.warning("outbox publish failed; will retry", extra={"error": str(future.exception())})
                failed = True
                _end(span, str(future.exception()))
                continue
            _end(span)
            done.append(row_id)
        if failed:
            logger.warning("outbox publish not acknowledged; will retry", extra={"published": len(done)})
        for _, future, _ in pending:
            if future.done():
                future.exception()  # retrieved: no "never retrieved" warning past a failure
            else:
                future.cancel()  # releases the client's pending slot of an ack that never came
        return done

    async def run(self) -> None:
        """Relay forever: wake on NOTIFY, fall back to polling, hold the leader lock throughout."""
        while True:
            try:
                await self._run_as_leader()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox relay failed; restarting")
                await asyncio.sleep(self._poll)

    async def _run_as_leader(self) -> None:
        async with await psycopg.AsyncConnection.connect(self._psycopg_url, autocommit=True) as lock_conn:
            while not await _try_lock(lock_conn):  # noqa: ASYNC110 - a lock held elsewhere has no event
                await asyncio.sleep(self._poll)
            logger.info("outbox relay is the leader")
            await lock_conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
            listener = asyncio.create_task(self._listen(lock_conn))
            try:
                self._conn = await psycopg.AsyncConnection.connect(
                    self._psycopg_url, autocommit=True, row_factory=dict_row)
                await self._conn.execute(SYSTEM_SESSION)  # sees every tenant's rows; never pooled
                while True:
                    self._wake.clear()
                    while await self.drain_once() == self._batch:
                        pass
                    if listener.done():
                        listener.result()  # re-raise: the lock connection broke
                    # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that races a
                    # wake-up, and the relay would then outlive its service's shutdown.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self._poll):
                            await self._wake.wait()
            finally:
                listener.cancel()
                if self._conn is not None:
                    conn, self._conn = self._conn, None
                    await conn.close()

    def wake(self) -> None:
        """Start the next pass now instead of at the next poll."""
        self._wake.set()

    async def _listen(self, conn: psycopg.AsyncConnection[Any]) -> None:
        async for _ in conn.notifies():
            self.wake()


_Execute = Callable[[str, dict[str, Any]], Awaitable[Sequence[Any]]]
"""Runs a statement (psycopg parameters) and answers its rows as mappings (none for a DELETE)."""


def _on_connection(conn: psycopg.AsyncConnection[dict[str, Any]]) -> _Execute:
    async def execute(sql: str, params: dict[str, Any]) -> Sequence[Any]:
        cursor = await conn.execute(sql, params)
        return await cursor.fetchall() if cursor.description else []
    return execute


def _in_transaction(conn: AsyncConnection) -> _Execute:
    async def execute(sql: str, params: dict[str, Any]) -> Sequence[Any]:
        result = await conn.exec_driver_sql(sql, params)
        return result.mappings().all() if result.returns_rows else []
    return execute


def _producer_span(row: Any) -> Span:
    """A PRODUCER span per message, child of the transaction that wrote it (its stored traceparent)."""
    subject: str = row["subject"]
    destination = "assay.work" if subject.startswith("assay.work.") else "assay.events"
    parent = context_from_headers({"traceparent": row["traceparent"]}) if row["traceparent"] else None
    return tracer.start_span(f"publish {destination}", context=parent, kind=SpanKind.PRODUCER, attributes={
        "messaging.system": "nats", "messaging.operation.type": "publish",
        "messaging.destination.name": subject, "messaging.message.id": row["msg_id"],
        "job.id": row["msg_id"].split(".")[0],
    })


def _end(span: Span, error: str | None = None) -> None:
    """End a publish span: ERROR with the reason, or OK once the stream acknowledged the message."""
    span.set_status(Status(StatusCode.ERROR, error) if error is not None else Status(StatusCode.OK))
    span.end()


async def _try_lock(conn: psycopg.AsyncConnection[Any]) -> bool:
    cursor = await conn.execute("SELECT pg_try_advisory_lock(%s)", (RELAY_LOCK_KEY,))
    row = await cursor.fetchone()
    return bool(row and row[0])
