"""The webhook delivery loop: claims due deliveries, signs and sends them, records every attempt.

Every jobs replica runs one. A round claims up to ``ASSAY_WEBHOOK_BATCH_SIZE`` due deliveries of
enabled subscriptions with ``FOR UPDATE SKIP LOCKED`` and leases them by moving their
``next_attempt_at`` past the attempt's deadline (the attempt count is incremented in the same
statement and fences the outcome), so replicas never send one attempt twice, and a replica that
dies mid-send leaves the delivery due again after the lease. The claimed deliveries are sent
concurrently, outside any transaction, on the service's event loop (network waits only: job
processing is not held up); each is signed with ``standardwebhooks`` (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``). A 2xx answer delivers it; anything else — another
status, a timeout, a refused connection, a target now resolving to a forbidden address — is a failed
attempt, retried after an exponential delay with equal jitter until ``ASSAY_WEBHOOK_RETRY_FOR_SECONDS``
after it was queued, then FAILED. A subscription whose attempts have all failed for
``ASSAY_WEBHOOK_DISABLE_AFTER_SECONDS`` is disabled, with an audit record (actor ``system:webhooks``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import prometheus_client
from cryptography.fernet import InvalidToken
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from assay.common.db import system_transaction
from assay.common.telemetry import context_from_headers
from assay.jobs.backoff import retry_delay
from assay.jobs.notified_loop import run_notified
from assay.jobs.webhook_config import WebhookSettings
from assay.jobs.webhook_secrets import SecretBox
from assay.jobs.webhook_store import audit
from assay.jobs.webhook_targets import GuardedBackend

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

SYSTEM_ACTOR = "system:webhooks"
USER_AGENT = "Assay-Webhooks/1"
NOTIFY_CHANNEL = "assay_webhooks"
"""Migration 0009's trigger notifies it when deliveries are queued."""
PRUNE_EVERY_SECONDS = 60.0
LEASE_MARGIN_SECONDS = 5.0
"""A claimed attempt stays leased to the replica sending it for twice its deadline and this margin
(time enough to record the outcome); a replica that died mid-send leaves it due again then."""

ATTEMPTS = prometheus_client.Counter(
    "assay_webhook_attempts_total",
    "Webhook delivery attempts by outcome: delivered (2xx), http_error (another status), network_error "
    "(timeout, connection refused, forbidden address), secret_error (the secret cannot be unsealed).",
    ["outcome"])
ATTEMPT_SECONDS = prometheus_client.Histogram(
    "assay_webhook_attempt_seconds", "Latency of webhook delivery attempts, until the status or the error.",
    ["outcome"], buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
GIVEN_UP = prometheus_client.Counter(
    "assay_webhook_deliveries_failed_total", "Webhook deliveries given up after their retry window.")
DISABLED = prometheus_client.Counter(
    "assay_webhooks_disabled_total", "Webhook subscriptions disabled after failing persistently.")


class WebhookDeliverer:
    """Sends due deliveries. ``run`` loops until cancelled; ``deliver_once`` is one round."""

    def __init__(self, engine: AsyncEngine, settings: WebhookSettings, secrets: SecretBox) -> None:
        self._engine = engine
        self._settings = settings
        self._secrets = secrets
        self._pool = httpcore.AsyncConnectionPool(
            network_backend=GuardedBackend(settings.target_policy()), max_connections=settings.webhook_batch_size,
            keepalive_expiry=30.0, retries=0)
        timeout = settings.webhook_timeout_seconds
        self._timeouts = {"connect": min(5.0, timeout), "read": timeout, "write": timeout, "pool": timeout}
        self._pruned_at = 0.0

    async def run(self, psycopg_url: str) -> None:
        """Deliver until cancelled: a round when a delivery is queued (``NOTIFY assay_webhooks``, from
        any replica), at least every ``ASSAY_WEBHOOK_POLL_SECONDS`` (a retry falling due wakes none)."""
        await run_notified(psycopg_url, NOTIFY_CHANNEL, self._round,
                           poll_seconds=self._settings.webhook_poll_seconds, name="webhook delivery")

    async def _round(self) -> bool:
        if time.monotonic() - self._pruned_at >= min(PRUNE_EVERY_SECONDS, self._settings.webhook_log_retention_seconds):
            await self.prune_log()
            self._pruned_at = time.monotonic()
        return await self.deliver_once() == self._settings.webhook_batch_size

    async def close(self) -> None:
        await self._pool.aclose()

    async def prune_log(self) -> int:
        """Delete finished deliveries older than the log's retention (a bounded batch); how many."""
        async with system_transaction(self._engine) as conn:
            result = await conn.execute(_PRUNE, {"retention": self._settings.webhook_log_retention_seconds})
        return result.rowcount

    async def deliver_once(self) -> int:
        """Claim the due deliveries and send them concurrently; returns how many were claimed."""
        async with system_transaction(self._engine) as conn:
            rows = (await conn.execute(_CLAIM, {
                "limit": self._settings.webhook_batch_size,
                "lease": 2 * self._settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS,
            })).mappings().all()
        if rows:
            await asyncio.gather(*(self._attempt(row) for row in rows))
        return len(rows)

    async def _attempt(self, row: RowMapping) -> None:
        parent = context_from_headers({"traceparent": row["traceparent"]}) if row["traceparent"] else None
        target = urlsplit(row["url"])
        with tracer.start_as_current_span("deliver webhook", context=parent, kind=SpanKind.CLIENT, attributes={
            "webhook.id": str(row["subscription_id"]), "webhook.delivery.id": str(row["id"]),
            "webhook.message.id": row["message_id"], "webhook.event.type": row["event_type"],
            "webhook.attempt": row["attempts"], "tenant": row["tenant_id"], "http.request.method": "POST",
            "server.address": target.hostname or "",
            "server.port": target.port or (443 if target.scheme == "https" else 80),
        }) as span:
            started, at = time.perf_counter(), datetime.now(UTC)
            status, error, outcome = await self._send(row, at)
            latency = time.perf_counter() - started
            span.set_attribute("http.response.status_code", status)
            span.set_attribute("assay.webhook.outcome", outcome)
            span.set_status(Status(StatusCode.OK) if outcome == "delivered" else Status(StatusCode.ERROR, error))
            ATTEMPTS.labels(outcome=outcome).inc()
            ATTEMPT_SECONDS.labels(outcome=outcome).observe(latency)
            await self._record(row, at, status, error, latency)

    async def _send(self, row: RowMapping, at: datetime) -> tuple[int, str, str]:
        """POST the signed payload: (status code or 0, error or "", outcome)."""
        try:
            signature = Webhook(self._secrets.unseal(row["secret_sealed"])).sign(row["message_id"], at, row["payload"])
        except InvalidToken:
            return 0, "the signing secret cannot be unsealed (ASSAY_WEBHOOK_SECRET_KEYS changed?)", "secret_error"
        headers = [("content-type", "application/json"), ("user-agent", USER_AGENT),
                   ("webhook-id", row["message_id"]), ("webhook-timestamp", str(int(at.timestamp()))),
                   ("webhook-signature", signature)]
        try:
            async with asyncio.timeout(self._settings.webhook_timeout_seconds):
                async with self._pool.stream("POST", row["url"], headers=headers, content=row["payload"].encode(),
                                             extensions={"timeout": self._timeouts}) as response:
                    status = response.status  # the body is never read: only the status counts
        except TimeoutError:
            return 0, f"no answer within {self._settings.webhook_timeout_seconds:g} s", "network_error"
        except httpcore.TimeoutException as exc:
            return 0, f"timed out: {exc or type(exc).__name__}", "network_error"
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, OSError) as exc:
            return 0, str(exc) or type(exc).__name__, "network_error"
        if 200 <= status < 300:
            return status, "", "delivered"
        return status, f"HTTP {status}", "http_error"

    async def _record(self, row: RowMapping, at: datetime, status: int, error: str, latency: float) -> None:
        """The attempt in the log, the delivery's next state, the subscription's failure streak."""
        settings = self._settings
        async with system_transaction(self._engine) as conn:
            # The subscription first, as DeleteWebhook's cascade locks them (else the two deadlock).
            subscription = (await conn.execute(_LOCK_SUBSCRIPTION, {"id": row["subscription_id"]})).one_or_none()
            if subscription is None:
                return  # deleted meanwhile (the lock holds a deletion off from here on)
            if (await conn.execute(_LOCK_DELIVERY, {"id": row["id"]})).one_or_none() is None:
                return  # its job was deleted meanwhile (DeleteJob and the retention sweep take its deliveries)
            attempt = {"id": row["id"], "attempt": row["attempts"], "tenant": row["tenant_id"], "at": at,
                       "status": status, "latency": latency * 1000, "error": error}
            if not error:
                await conn.execute(_DELIVERED, attempt)
                if subscription.failing_since is not None:  # most successes follow successes: no write
                    await conn.execute(_SUCCEEDED, {"id": row["subscription_id"]})
                return
            state = (await conn.execute(_FAILED_ATTEMPT, {
                **attempt, "retry_for": settings.webhook_retry_for_seconds,
                "delay": retry_delay(row["attempts"], settings.webhook_retry_base_seconds,
                                     settings.webhook_retry_max_seconds),
            })).scalar_one_or_none()
            if state == "FAILED":
                GIVEN_UP.inc()
            if subscription.failing_since is None:  # the first failure of a streak cannot disable
                await conn.execute(_FAILING, {"id": row["subscription_id"]})
                return
            disabled = (await conn.execute(_DISABLE_IF_PERSISTENT, {
                "id": row["subscription_id"], "after": settings.webhook_disable_after_seconds,
                "reason": f"every attempt failed for {settings.webhook_disable_after_seconds:g} s; last: {error}",
            })).mappings().one_or_none()
            if disabled is not None:
                DISABLED.inc()
                await audit(conn, row["tenant_id"], SYSTEM_ACTOR, "webhook.disable", disabled)
                logger.warning("webhook disabled after persistent failure", extra=_log_fields(disabled, error))


def _log_fields(row: RowMapping, error: str) -> dict[str, Any]:
    return {"tenant": row["tenant_id"], "webhook_id": str(row["id"]), "error": error}


_CLAIM = text("""
    WITH due AS (
        SELECT d.id FROM jobs.webhook_deliveries d
        JOIN jobs.webhook_subscriptions s ON s.id = d.subscription_id
        WHERE d.state = 'PENDING' AND d.next_attempt_at <= now() AND s.enabled
        ORDER BY d.next_attempt_at LIMIT :limit
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE jobs.webhook_deliveries d
    SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => :lease)
    FROM due, jobs.webhook_subscriptions s
    WHERE d.id = due.id AND s.id = d.subscription_id
    RETURNING d.id, d.tenant_id, d.subscription_id, d.message_id, d.event_type, d.payload, d.attempts,
              d.traceparent, s.url, s.secret_sealed
""")
_LOCK_SUBSCRIPTION = text(
    "SELECT failing_since FROM jobs.webhook_subscriptions WHERE id = :id FOR NO KEY UPDATE")
_LOCK_DELIVERY = text("SELECT 1 FROM jobs.webhook_deliveries WHERE id = :id FOR UPDATE")
_INSERT_ATTEMPT = """
    WITH logged AS (
        INSERT INTO jobs.webhook_attempts (delivery_id, attempt, tenant_id, at, status_code, latency_ms, error)
        VALUES (:id, :attempt, :tenant, :at, :status, :latency, :error)
        ON CONFLICT (delivery_id, attempt) DO NOTHING
    )
"""
"""Every outcome's statement logs its attempt in the same round trip."""
_DELIVERED = text(_INSERT_ATTEMPT + """
    UPDATE jobs.webhook_deliveries SET state = 'DELIVERED'
    WHERE id = :id AND attempts = :attempt AND state = 'PENDING'
""")
_SUCCEEDED = text("UPDATE jobs.webhook_subscriptions SET failing_since = NULL WHERE id = :id")
_FAILED_ATTEMPT = text(_INSERT_ATTEMPT + """
    UPDATE jobs.webhook_deliveries SET
        state = CASE WHEN now() - created_at >= make_interval(secs => :retry_for) THEN 'FAILED' ELSE 'PENDING' END,
        next_attempt_at = now() + make_interval(secs => :delay)
    WHERE id = :id AND attempts = :attempt AND state = 'PENDING'
    RETURNING state
""")
_FAILING = text("UPDATE jobs.webhook_subscriptions SET failing_since = now() WHERE id = :id")
_DISABLE_IF_PERSISTENT = text("""
    UPDATE jobs.webhook_subscriptions SET enabled = false, disabled_reason = :reason, updated_at = now()
    WHERE id = :id AND enabled AND now() - failing_since >= make_interval(secs => :after)
    RETURNING id, tenant_id, url, event_types, enabled, disabled_reason
""")
_PRUNE = text("""
    DELETE FROM jobs.webhook_deliveries WHERE id IN (
        SELECT id FROM jobs.webhook_deliveries
        WHERE state <> 'PENDING' AND created_at < now() - make_interval(secs => :retention)
        LIMIT 1000
    )
""")
