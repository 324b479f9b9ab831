"""``NatsLink`` against a real NATS server: the client's callbacks are the caller's, and a set-up
hook that fails leaves the link unconnected with an error logged instead of a task dying unseen."""

from __future__ import annotations

import asyncio
import logging

import pytest
from nats.aio.client import Client

from assay.common.config import NatsSettings
from assay.common.errors import Unavailable
from assay.common.nats_link import NatsLink


async def test_hooks_run_in_order_with_the_callers_callbacks(nats_server) -> None:  # type: ignore[no-untyped-def]
    ran: list[str] = []
    disconnected = asyncio.Event()

    async def on_disconnect() -> None:
        disconnected.set()

    async def first(nc: Client) -> None:
        ran.append("first")

    async def second(nc: Client) -> None:
        ran.append("second")

    link = NatsLink(NatsSettings(nats_url=nats_server.url), "test-link", provision=False,
                    disconnected_cb=on_disconnect)
    link.when_connected(first)
    link.when_connected(second)
    link.start()
    nc = await asyncio.wait_for(link.wait(), timeout=10)
    assert ran == ["first", "second"] and link.client() is nc
    await link.close()
    assert disconnected.is_set()  # the callback given to the link is the client's


async def test_a_failing_hook_leaves_the_link_unconnected_and_says_so(
        nats_server, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    clients: list[Client] = []

    async def broken(nc: Client) -> None:
        clients.append(nc)
        raise RuntimeError("subscription refused")

    link = NatsLink(NatsSettings(nats_url=nats_server.url), "test-link", provision=False)
    link.when_connected(broken)
    with caplog.at_level(logging.ERROR, logger="assay.common.nats_link"):
        link.start()
        assert link._connecting is not None
        await asyncio.wait_for(link._connecting, timeout=10)  # ends instead of raising into nothing
    assert not link.connected
    with pytest.raises(Unavailable):
        link.client()
    assert clients and clients[0].is_closed  # the half-set-up connection is not left open
    assert any("set-up failed" in record.getMessage() and "subscription refused" in str(record.__dict__.get("error"))
               for record in caplog.records)
    await link.close()
