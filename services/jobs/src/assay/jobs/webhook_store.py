"""Webhook subscriptions and their delivery log in the ``jobs`` schema, scoped by tenant.

Every method is one short tenant transaction (row-level security backs the ``tenant_id``
conditions). Changes are audited (``webhook.create``, ``webhook.delete``, ``webhook.enable``,
``webhook.disable``), without the secret. Listings are newest first, paged with the shared keyset
tokens (``assay.common.paging``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import timestamp_pb2
from sqlalchemy import RowMapping, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from assay.common import paging
from assay.common.db import tenant_transaction
from assay.common.errors import FailedPrecondition, NotFound
from assay.jobs.audit_record import AuditEntry, record
from assay.v1 import webhooks_service_pb2 as wh


@dataclass(frozen=True)
class NewWebhook:
    """A validated CreateWebhook request, its secret sealed."""

    url: str
    event_types: tuple[str, ...]
    description: str
    secret_sealed: str


def _time(moment: Any) -> timestamp_pb2.Timestamp | None:
    if moment is None:
        return None
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def webhook_message(row: RowMapping) -> wh.Webhook:
    return wh.Webhook(
        id=str(row["id"]), tenant_id=row["tenant_id"], url=row["url"], event_types=list(row["event_types"]),
        description=row["description"], enabled=row["enabled"], disabled_reason=row["disabled_reason"],
        create_time=_time(row["created_at"]), update_time=_time(row["updated_at"]),
        failing_since=_time(row["failing_since"]))


def delivery_message(row: RowMapping, attempts: Sequence[RowMapping]) -> wh.WebhookDelivery:
    state = wh.WebhookDelivery.State.Value(f"STATE_{row['state']}")
    return wh.WebhookDelivery(
        id=str(row["id"]), webhook_id=str(row["subscription_id"]), message_id=row["message_id"],
        event_type=row["event_type"], state=state, attempt_count=row["attempts"],
        next_attempt_time=_time(row["next_attempt_at"]) if row["state"] == "PENDING" else None,
        create_time=_time(row["created_at"]),
        redelivery_of=str(row["redelivery_of"] or ""), job_id=str(row["job_id"] or ""),
        pipeline_id=str(row["pipeline_id"] or ""),
        attempts=[wh.WebhookAttempt(attempt=a["attempt"], time=_time(a["at"]), status_code=a["status_code"],
                                    latency_ms=a["latency_ms"], error=a["error"]) for a in attempts])


def _not_found(webhook_id: uuid.UUID) -> NotFound:
    return NotFound("WEBHOOK_NOT_FOUND", f"webhook {webhook_id} not found")


class WebhookStore:
    """Subscriptions, deliveries and attempts of one tenant at a time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def create(self, tenant: str, actor: str, new: NewWebhook) -> wh.Webhook:
        async with tenant_transaction(self._engine, tenant) as conn:
            row = (await conn.execute(_INSERT, {
                "id": uuid.uuid4(), "tenant": tenant, "url": new.url, "types": list(new.event_types),
                "description": new.description, "secret": new.secret_sealed, "actor": actor,
            })).mappings().one()
            await audit(conn, tenant, actor, "webhook.create", row)
        return webhook_message(row)

    async def get(self, tenant: str, webhook_id: uuid.UUID) -> wh.Webhook:
        async with tenant_transaction(self._engine, tenant) as conn:
            row = await _load(conn, tenant, webhook_id)
        return webhook_message(row)

    async def page(self, tenant: str, size: int, token: str) -> tuple[list[wh.Webhook], str]:
        cursor = paging.decode(token, "webhooks")
        async with tenant_transaction(self._engine, tenant) as conn:
            rows = (await conn.execute(_LIST, {
                "tenant": tenant, "limit": size + 1, **_after(cursor)})).mappings().all()
        page = rows[:size]
        return [webhook_message(row) for row in page], _next(page, len(rows) > size, "webhooks")

    async def delete(self, tenant: str, actor: str, webhook_id: uuid.UUID) -> None:
        async with tenant_transaction(self._engine, tenant) as conn:
            row = (await conn.execute(_DELETE, {"id": webhook_id, "tenant": tenant})).mappings().one_or_none()
            if row is None:
                raise _not_found(webhook_id)
            await audit(conn, tenant, actor, "webhook.delete", row)

    async def set_enabled(self, tenant: str, actor: str, webhook_id: uuid.UUID, enabled: bool) -> wh.Webhook:
        """Enable (clearing the failure streak) or disable a subscription, audited."""
        async with tenant_transaction(self._engine, tenant) as conn:
            row = (await conn.execute(_SET_ENABLED, {
                "id": webhook_id, "tenant": tenant, "enabled": enabled,
                "reason": "" if enabled else f"disabled by {actor}"})).mappings().one_or_none()
            if row is None:
                raise _not_found(webhook_id)
            await audit(conn, tenant, actor, "webhook.enable" if enabled else "webhook.disable", row)
        return webhook_message(row)

    async def deliveries(self, tenant: str, webhook_id: uuid.UUID, size: int,
                         token: str) -> tuple[list[wh.WebhookDelivery], str]:
        filters = f"deliveries|{webhook_id}"
        cursor = paging.decode(token, filters)
        async with tenant_transaction(self._engine, tenant) as conn:
            await _load(conn, tenant, webhook_id)
            rows = (await conn.execute(_DELIVERIES, {
                "subscription": webhook_id, "limit": size + 1, **_after(cursor)})).mappings().all()
            page = rows[:size]
            attempts = (await conn.execute(_ATTEMPTS, {"ids": [row["id"] for row in page]})).mappings().all()
        by_delivery: dict[uuid.UUID, list[RowMapping]] = {}
        for attempt in attempts:
            by_delivery.setdefault(attempt["delivery_id"], []).append(attempt)
        return ([delivery_message(row, by_delivery.get(row["id"], [])) for row in page],
                _next(page, len(rows) > size, filters))

    async def redeliver(self, tenant: str, actor: str, webhook_id: uuid.UUID,
                        delivery_id: uuid.UUID) -> wh.WebhookDelivery:
        """A new delivery of the same message (webhook-id and payload), due now."""
        async with tenant_transaction(self._engine, tenant) as conn:
            subscription = await _load(conn, tenant, webhook_id)
            if not subscription["enabled"]:
                raise FailedPrecondition("WEBHOOK_DISABLED", f"webhook {webhook_id} is disabled; enable it first")
            row = (await conn.execute(_REDELIVER, {
                "id": uuid.uuid4(), "of": delivery_id, "subscription": webhook_id})).mappings().one_or_none()
            if row is None:
                raise NotFound("WEBHOOK_DELIVERY_NOT_FOUND",
                               f"delivery {delivery_id} of webhook {webhook_id} not found")
            await audit(conn, tenant, actor, "webhook.redeliver", subscription, delivery_id=str(delivery_id))
        return delivery_message(row, [])


async def _load(conn: AsyncConnection, tenant: str, webhook_id: uuid.UUID) -> RowMapping:
    row = (await conn.execute(_LOAD, {"id": webhook_id, "tenant": tenant})).mappings().one_or_none()
    if row is None:
        raise _not_found(webhook_id)
    return row


async def audit(conn: AsyncConnection, tenant: str, actor: str, action: str, row: RowMapping, **more: str) -> None:
    """An audit record of a change to a subscription (never its secret), with the caller's roles, peer
    and request id (``audit_record``); ``actor`` names the system outside a call."""
    await record(conn, AuditEntry(tenant=tenant, action=action, resource=f"webhooks/{row['id']}", actor=actor,
                                  details={"webhook_id": str(row["id"]), "url": row["url"],
                                           "event_types": list(row["event_types"]), "enabled": row["enabled"],
                                           "disabled_reason": row["disabled_reason"], **more}))


def _after(cursor: paging.Cursor | None) -> dict[str, Any]:
    return {"after_time": None if cursor is None else cursor.created_at,
            "after_id": None if cursor is None else cursor.id}


def _next(page: Sequence[RowMapping], more: bool, filters: str) -> str:
    if not more:
        return ""
    return paging.encode(paging.Cursor(page[-1]["created_at"], page[-1]["id"]), filters)


_COLUMNS = "id, tenant_id, url, event_types, description, enabled, disabled_reason, failing_since, " \
           "created_at, updated_at"
_KEYSET = "(CAST(:after_time AS timestamptz) IS NULL OR (created_at, id) < (:after_time, :after_id))"

_INSERT = text(f"""
    INSERT INTO jobs.webhook_subscriptions (id, tenant_id, url, event_types, description, secret_sealed, created_by)
    VALUES (:id, :tenant, :url, :types, :description, :secret, :actor)
    RETURNING {_COLUMNS}
""")
_LOAD = text(f"SELECT {_COLUMNS} FROM jobs.webhook_subscriptions WHERE id = :id AND tenant_id = :tenant")
_LIST = text(f"""
    SELECT {_COLUMNS} FROM jobs.webhook_subscriptions WHERE tenant_id = :tenant AND {_KEYSET}
    ORDER BY created_at DESC, id DESC LIMIT :limit
""")
_DELETE = text(f"""
    DELETE FROM jobs.webhook_subscriptions WHERE id = :id AND tenant_id = :tenant RETURNING {_COLUMNS}
""")
_SET_ENABLED = text(f"""
    UPDATE jobs.webhook_subscriptions SET enabled = :enabled, disabled_reason = :reason, updated_at = now(),
        failing_since = CASE WHEN :enabled THEN NULL ELSE failing_since END
    WHERE id = :id AND tenant_id = :tenant
    RETURNING {_COLUMNS}
""")
_DELIVERIES = text(f"""
    SELECT * FROM jobs.webhook_deliveries WHERE subscription_id = :subscription AND {_KEYSET}
    ORDER BY created_at DESC, id DESC LIMIT :limit
""")
_ATTEMPTS = text("SELECT * FROM jobs.webhook_attempts WHERE delivery_id = ANY(:ids) ORDER BY delivery_id, attempt")
_REDELIVER = text("""
    INSERT INTO jobs.webhook_deliveries (id, tenant_id, subscription_id, message_id, event_type, payload,
                                         job_id, pipeline_id, redelivery_of, traceparent)
    SELECT :id, tenant_id, subscription_id, message_id, event_type, payload, job_id, pipeline_id, id, traceparent
    FROM jobs.webhook_deliveries WHERE id = :of AND subscription_id = :subscription
    RETURNING *
""")
