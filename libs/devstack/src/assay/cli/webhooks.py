"""``assay webhooks``: the tenant's webhook subscriptions and their delivery log (admin)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence

from assay.cli import output
from assay.cli.client import Connection
from assay.common.proto_json import to_json
from assay.v1 import webhooks_service_pb2 as wh

EVENT_TYPES = ("job.succeeded", "job.failed", "job.cancelled", "job.dead_lettered", "pipeline.finished")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser],
               common: list[argparse.ArgumentParser]) -> None:
    hooks = commands.add_parser("webhooks", parents=common, help="webhook subscriptions and deliveries (admin)")
    actions = hooks.add_subparsers(dest="webhooks_command", required=True)
    create = actions.add_parser("create", parents=common, help="subscribe a URL; prints the signing secret once")
    create.add_argument("url")
    create.add_argument("--event", action="append", required=True, dest="events", metavar="TYPE",
                        help=f"an event type to send (repeatable): {', '.join(EVENT_TYPES)}")
    create.add_argument("--description", default="")
    listing = actions.add_parser("list", parents=common, help="the tenant's webhooks, newest first")
    for name in ("get", "delete", "enable", "disable"):
        actions.add_parser(name, parents=common, help=f"{name} a webhook").add_argument("id")
    deliveries = actions.add_parser("deliveries", parents=common, help="a webhook's deliveries and attempts")
    deliveries.add_argument("id")
    for paged in (listing, deliveries):
        paged.add_argument("--limit", type=int, default=50, help="per page (1-1000)")
        paged.add_argument("--page-token", help="continue a listing (printed after a page that has more)")
    redeliver = actions.add_parser("redeliver", parents=common, help="send a delivery's message again")
    redeliver.add_argument("id")
    redeliver.add_argument("delivery_id")


async def cmd_webhooks(args: argparse.Namespace, conn: Connection) -> int:
    stub, md = conn.webhooks(), conn.metadata
    command = args.webhooks_command
    if command == "create":
        created = await stub.CreateWebhook(wh.CreateWebhookRequest(
            url=args.url, event_types=args.events, description=args.description), metadata=md)
        if args.json:
            output.print_json(to_json(created))
        else:
            print(render([created.webhook]), end="")
            print(f"secret: {created.secret}\n(shown this once: keep it to verify the signatures)")
        return 0
    if command in ("list", "deliveries"):
        if command == "list":
            page: wh.ListWebhooksResponse | wh.ListWebhookDeliveriesResponse = await stub.ListWebhooks(
                wh.ListWebhooksRequest(page_size=args.limit, page_token=args.page_token or ""), metadata=md)
        else:
            page = await stub.ListWebhookDeliveries(wh.ListWebhookDeliveriesRequest(
                webhook_id=args.id, page_size=args.limit, page_token=args.page_token or ""), metadata=md)
        if args.json:
            output.print_json(to_json(page))
            return 0
        if isinstance(page, wh.ListWebhooksResponse):
            print(render(page.webhooks), end="")
        else:
            print(render_deliveries(page.deliveries), end="")
        if page.next_page_token:
            print(f"more: --page-token {page.next_page_token}")
        return 0
    if command == "redeliver":
        again = await stub.RedeliverWebhook(wh.RedeliverWebhookRequest(
            webhook_id=args.id, delivery_id=args.delivery_id), metadata=md)
        if args.json:
            output.print_json(to_json(again.delivery))
        else:
            print(f"queued delivery {again.delivery.id} (webhook-id {again.delivery.message_id})")
        return 0
    if command == "delete":
        await stub.DeleteWebhook(wh.DeleteWebhookRequest(id=args.id), metadata=md)
        if not args.json:
            print(f"deleted webhook {args.id}")
        return 0
    if command == "get":
        webhook = (await stub.GetWebhook(wh.GetWebhookRequest(id=args.id), metadata=md)).webhook
    elif command == "enable":
        webhook = (await stub.EnableWebhook(wh.EnableWebhookRequest(id=args.id), metadata=md)).webhook
    else:
        webhook = (await stub.DisableWebhook(wh.DisableWebhookRequest(id=args.id), metadata=md)).webhook
    if args.json:
        output.print_json(to_json(webhook))
    else:
        print(render([webhook]), end="")
        if webhook.disabled_reason:
            print(f"disabled: {webhook.disabled_reason}")
    return 0


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip() + "\n"
                   for row in rows)


def render(webhooks: Iterable[wh.Webhook]) -> str:
    """One row per webhook: id, enabled, event types, URL."""
    rows = [("ID", "ENABLED", "EVENTS", "URL")]
    rows += [(w.id, "yes" if w.enabled else "no", ",".join(w.event_types), w.url) for w in webhooks]
    return _table(rows)


def render_deliveries(deliveries: Iterable[wh.WebhookDelivery]) -> str:
    """One row per delivery: id, event, state, attempts, the last attempt's status and error."""
    rows = [("DELIVERY", "EVENT", "STATE", "ATTEMPTS", "LAST")]
    for d in deliveries:
        last = d.attempts[-1] if d.attempts else None
        shown = "" if last is None else (f"{last.status_code or '-'} {last.latency_ms:.0f} ms {last.error}").strip()
        rows.append((d.id, d.event_type, wh.WebhookDelivery.State.Name(d.state).removeprefix("STATE_"),
                     str(d.attempt_count), shown))
    return _table(rows)
