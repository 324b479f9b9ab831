"""A local webhook receiver on 127.0.0.1 and the jobs service configured to reach it.

The receiver is a minimal HTTP/1.1 server (asyncio streams): it records each request's headers and
body and answers the status its ``statuses`` queue gives next (then ``default_status``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from harness import Postgres
from harness.jobs import JobsService, jobs_on_fresh_database

from assay.v1 import webhooks_service_pb2 as wh
from assay.v1 import webhooks_service_pb2_grpc

ADMIN = ("user", "admin")
FAST_DELIVERY = {
    "webhook_allow_targets": "127.0.0.1/32", "webhook_poll_seconds": 0.05, "webhook_retry_base_seconds": 0.05,
    "webhook_retry_max_seconds": 0.2, "webhook_timeout_seconds": 2.0,
}
"""Jobs settings of these tests: the receiver's loopback address allowed, short delays."""


@dataclass
class Received:
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 204
    hold: asyncio.Event | None = None
    """When set, each answer waits for it (an attempt in flight for as long as a test needs)."""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            headers = {name.strip().lower(): value.strip()
                       for name, _, value in (line.partition(":") for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(headers, body.decode()))
            if self.hold is not None:
                await self.hold.wait()
            status = self.statuses.pop(0) if self.statuses else self.default_status
            writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def receiver(path: str = "/hooks") -> AsyncIterator[Receiver]:
    found = Receiver(url="")
    server = await asyncio.start_server(found.handle, "127.0.0.1", 0)
    found.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}{path}"
    try:
        yield found
    finally:
        server.close()
        await server.wait_closed()


def webhooks(service: JobsService) -> webhooks_service_pb2_grpc.WebhookServiceStub:
    return webhooks_service_pb2_grpc.WebhookServiceStub(service.channel)


async def subscribe(service: JobsService, tenant: str, url: str, *types: str) -> wh.CreateWebhookResponse:
    request = wh.CreateWebhookRequest(url=url, event_types=list(types or ("job.succeeded", "job.cancelled")))
    response: wh.CreateWebhookResponse = await webhooks(service).CreateWebhook(
        request, metadata=service.token(tenant=tenant, roles=ADMIN))
    return response


@asynccontextmanager
async def webhook_jobs(postgres: Postgres, nats_url: str, **overrides: Any) -> AsyncIterator[JobsService]:
    async with jobs_on_fresh_database(postgres, nats_url, "webhooks", **{**FAST_DELIVERY, **overrides}) as service:
        yield service
