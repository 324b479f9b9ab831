"""/v1/webhooks: a tenant's webhook subscriptions and their delivery log (the jobs service's
WebhookService; the tenant's admin role only). The signing secret is in the create answer only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from assay.gateway import json_body, schemas
from assay.gateway.json import input_schema, to_json
from assay.gateway.upstream import call_metadata, rpc_timeout, stubs
from assay.v1 import webhooks_service_pb2 as wh

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

WEBHOOK = schemas.registry.add(wh.Webhook.DESCRIPTOR)
CREATED = schemas.registry.add(wh.CreateWebhookResponse.DESCRIPTOR)
LIST_WEBHOOKS = schemas.registry.add(wh.ListWebhooksResponse.DESCRIPTOR)
DELIVERY = schemas.registry.add(wh.WebhookDelivery.DESCRIPTOR)
LIST_DELIVERIES = schemas.registry.add(wh.ListWebhookDeliveriesResponse.DESCRIPTOR)
CREATE_BODY: dict[str, Any] = input_schema(schemas.registry, wh.CreateWebhookRequest.DESCRIPTOR)
PAGE_SIZE = Annotated[int, Query(ge=0, le=1000)]


@router.post(
    "", status_code=201, summary="Subscribe a URL to event types (admin); the answer holds the secret, once",
    openapi_extra={"requestBody": {"required": True, "content": schemas.json_content(CREATE_BODY)}},
    responses={**schemas.ok(201, "the subscription and its signing secret", CREATED), **schemas.problems()},
)
async def create_webhook(request: Request) -> Response:
    """JSON CreateWebhookRequest → WebhookService.CreateWebhook."""
    create = wh.CreateWebhookRequest()
    await json_body.read_message(request, create)
    response = await stubs(request).webhooks.CreateWebhook(create, metadata=call_metadata(request),
                                                           timeout=rpc_timeout(request))
    return JSONResponse(to_json(response), status_code=201, headers={
        "Location": f"/v1/webhooks/{response.webhook.id}", "Cache-Control": "no-store"})


@router.get("", summary="List the tenant's webhooks, newest first (admin)",
            responses={**schemas.ok(200, "one page of webhooks", LIST_WEBHOOKS), **schemas.problems()})
async def list_webhooks(request: Request, page_size: PAGE_SIZE = 0, page_token: str = "") -> Response:
    """WebhookService.ListWebhooks."""
    response = await stubs(request).webhooks.ListWebhooks(
        wh.ListWebhooksRequest(page_size=page_size, page_token=page_token), metadata=call_metadata(request),
        timeout=rpc_timeout(request))
    return JSONResponse(to_json(response))


@router.get("/{webhook_id}", summary="Get a webhook (admin; never its secret)",
            responses={**schemas.ok(200, "the webhook", WEBHOOK), **schemas.problems(404)})
async def get_webhook(request: Request, webhook_id: str) -> Response:
    """WebhookService.GetWebhook."""
    response = await stubs(request).webhooks.GetWebhook(wh.GetWebhookRequest(id=webhook_id),
                                                        metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.webhook))


@router.delete("/{webhook_id}", status_code=204, summary="Delete a webhook with its deliveries (admin)",
               responses={204: {"description": "deleted"}, **schemas.problems(404)})
async def delete_webhook(request: Request, webhook_id: str) -> Response:
    """WebhookService.DeleteWebhook."""
    await stubs(request).webhooks.DeleteWebhook(wh.DeleteWebhookRequest(id=webhook_id),
                                                metadata=call_metadata(request), timeout=rpc_timeout(request))
    return Response(status_code=204)


@router.post("/{webhook_id}:enable", summary="Enable a webhook again (admin)",
             responses={**schemas.ok(200, "the webhook", WEBHOOK), **schemas.problems(404)})
async def enable_webhook(request: Request, webhook_id: str) -> Response:
    """WebhookService.EnableWebhook."""
    response = await stubs(request).webhooks.EnableWebhook(
        wh.EnableWebhookRequest(id=webhook_id), metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.webhook))


@router.post("/{webhook_id}:disable", summary="Disable a webhook (admin)",
             responses={**schemas.ok(200, "the webhook", WEBHOOK), **schemas.problems(404)})
async def disable_webhook(request: Request, webhook_id: str) -> Response:
    """WebhookService.DisableWebhook."""
    response = await stubs(request).webhooks.DisableWebhook(
        wh.DisableWebhookRequest(id=webhook_id), metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.webhook))


@router.get("/{webhook_id}/deliveries", summary="A webhook's deliveries with their attempts, newest first (admin)",
            responses={**schemas.ok(200, "one page of deliveries", LIST_DELIVERIES), **schemas.problems(404)})
async def list_deliveries(request: Request, webhook_id: str, page_size: PAGE_SIZE = 0,
                          page_token: str = "") -> Response:
    """WebhookService.ListWebhookDeliveries."""
    response = await stubs(request).webhooks.ListWebhookDeliveries(
        wh.ListWebhookDeliveriesRequest(webhook_id=webhook_id, page_size=page_size, page_token=page_token),
        metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response))


@router.post("/{webhook_id}/deliveries/{delivery_id}:redeliver", status_code=202,
             summary="Send a delivery's message again (admin): same webhook-id, new signature",
             responses={**schemas.ok(202, "the new delivery, due now", DELIVERY), **schemas.problems(404, 409)})
async def redeliver(request: Request, webhook_id: str, delivery_id: str) -> Response:
    """WebhookService.RedeliverWebhook."""
    response = await stubs(request).webhooks.RedeliverWebhook(
        wh.RedeliverWebhookRequest(webhook_id=webhook_id, delivery_id=delivery_id),
        metadata=call_metadata(request), timeout=rpc_timeout(request))
    return JSONResponse(to_json(response.delivery), status_code=202)
