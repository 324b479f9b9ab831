"""WebhookService: a tenant's admins manage webhook subscriptions and read their delivery log."""

from __future__ import annotations

import grpc

from assay.common.auth import ADMIN, require_role
from assay.common.errors import FieldViolation, InvalidArgument, invalid_fields
from assay.common.fields import parse_uuid
from assay.common.paging import page_size
from assay.jobs.audit_record import AuditLog, audit_refusals
from assay.jobs.webhook_events import EVENT_TYPES
from assay.jobs.webhook_secrets import SecretBox, new_secret
from assay.jobs.webhook_store import NewWebhook, WebhookStore
from assay.jobs.webhook_targets import TargetPolicy, check_target
from assay.v1 import webhooks_service_pb2 as wh
from assay.v1 import webhooks_service_pb2_grpc

MAX_DESCRIPTION_CHARS = 500


def _event_types(requested: list[str]) -> tuple[tuple[str, ...], list[FieldViolation]]:
    known = ", ".join(EVENT_TYPES)
    violations = [FieldViolation(f"event_types[{index}]", f"unknown event type {name!r}; one of {known}")
                  for index, name in enumerate(requested) if name not in EVENT_TYPES]
    if not requested:
        violations.append(FieldViolation("event_types", f"name at least one of {known}"))
    return tuple(dict.fromkeys(requested)), violations


class WebhookServicer(webhooks_service_pb2_grpc.WebhookServiceServicer):
    """Every method needs the tenant's admin role and acts in the caller's tenant only."""

    def __init__(self, store: WebhookStore, secrets: SecretBox, targets: TargetPolicy, refusals: AuditLog) -> None:
        self.refusals = refusals
        """Where refusals by role are recorded (``audit_refusals``)."""
        self._store = store
        self._secrets = secrets
        self._targets = targets

    @audit_refusals("webhook.create", lambda request: "webhooks")
    async def CreateWebhook(
        self, request: wh.CreateWebhookRequest, context: grpc.aio.ServicerContext,
    ) -> wh.CreateWebhookResponse:
        caller = require_role(ADMIN)
        event_types, violations = _event_types(list(request.event_types))
        if len(request.description) > MAX_DESCRIPTION_CHARS:
            violations.append(FieldViolation("description", f"is longer than {MAX_DESCRIPTION_CHARS} characters"))
        try:
            await check_target(self._targets, request.url)
        except InvalidArgument as bad_url:
            if not violations:
                raise
            violations[:0] = bad_url.violations  # every violation at once
        if violations:
            raise invalid_fields(violations)
        secret = new_secret()
        webhook = await self._store.create(caller.tenant, caller.subject, NewWebhook(
            url=request.url, event_types=event_types, description=request.description,
            secret_sealed=self._secrets.seal(secret)))
        return wh.CreateWebhookResponse(webhook=webhook, secret=secret)

    async def GetWebhook(
        self, request: wh.GetWebhookRequest, context: grpc.aio.ServicerContext,
    ) -> wh.GetWebhookResponse:
        caller = require_role(ADMIN)
        return wh.GetWebhookResponse(webhook=await self._store.get(caller.tenant, parse_uuid(request.id, "id")))

    async def ListWebhooks(
        self, request: wh.ListWebhooksRequest, context: grpc.aio.ServicerContext,
    ) -> wh.ListWebhooksResponse:
        caller = require_role(ADMIN)
        webhooks, token = await self._store.page(caller.tenant, page_size(request.page_size), request.page_token)
        return wh.ListWebhooksResponse(webhooks=webhooks, next_page_token=token)

    @audit_refusals("webhook.delete", lambda request: f"webhooks/{request.id}")
    async def DeleteWebhook(
        self, request: wh.DeleteWebhookRequest, context: grpc.aio.ServicerContext,
    ) -> wh.DeleteWebhookResponse:
        caller = require_role(ADMIN)
        await self._store.delete(caller.tenant, caller.subject, parse_uuid(request.id, "id"))
        return wh.DeleteWebhookResponse()

    @audit_refusals("webhook.enable", lambda request: f"webhooks/{request.id}")
    async def EnableWebhook(
        self, request: wh.EnableWebhookRequest, context: grpc.aio.ServicerContext,
    ) -> wh.EnableWebhookResponse:
        caller = require_role(ADMIN)
        webhook = await self._store.set_enabled(caller.tenant, caller.subject, parse_uuid(request.id, "id"), True)
        return wh.EnableWebhookResponse(webhook=webhook)

    @audit_refusals("webhook.disable", lambda request: f"webhooks/{request.id}")
    async def DisableWebhook(
        self, request: wh.DisableWebhookRequest, context: grpc.aio.ServicerContext,
    ) -> wh.DisableWebhookResponse:
        caller = require_role(ADMIN)
        webhook = await self._store.set_enabled(caller.tenant, caller.subject, parse_uuid(request.id, "id"), False)
        return wh.DisableWebhookResponse(webhook=webhook)

    async def ListWebhookDeliveries(
        self, request: wh.ListWebhookDeliveriesRequest, context: grpc.aio.ServicerContext,
    ) -> wh.ListWebhookDeliveriesResponse:
        caller = require_role(ADMIN)
        deliveries, token = await self._store.deliveries(
            caller.tenant, parse_uuid(request.webhook_id, "webhook_id"), page_size(request.page_size),
            request.page_token)
        return wh.ListWebhookDeliveriesResponse(deliveries=deliveries, next_page_token=token)

    @audit_refusals("webhook.redeliver", lambda request: f"webhooks/{request.webhook_id}")
    async def RedeliverWebhook(
        self, request: wh.RedeliverWebhookRequest, context: grpc.aio.ServicerContext,
    ) -> wh.RedeliverWebhookResponse:
        caller = require_role(ADMIN)
        delivery = await self._store.redeliver(
            caller.tenant, caller.subject, parse_uuid(request.webhook_id, "webhook_id"),
            parse_uuid(request.delivery_id, "delivery_id"))
        return wh.RedeliverWebhookResponse(delivery=delivery)


__all__ = ["WebhookServicer"]
