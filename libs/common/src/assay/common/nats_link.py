"""A NATS connection made in the background, so a service starts while NATS is down.

The client's first connection retries for ever (``max_reconnect_attempts=-1``): a service that
awaited it before serving stayed down for the whole of a NATS outage once it was restarted during
one, although most of what it does needs no NATS (the jobs service accepts jobs into its outbox and
relays them once NATS is back). A ``NatsLink`` connects (and provisions the streams) in a task of its
own; what needs NATS asks ``client()`` (UNAVAILABLE until connected) or runs as a ``when_connected``
hook. Once connected, the client rides out later outages by itself (unbounded reconnects). A hook
that fails leaves the link unconnected, logged as an error (the jobs service and the gateway's job
view both use it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from nats.aio.client import Client
from nats.errors import Error as NatsError

from assay.common.config import NatsSettings
from assay.common.errors import Unavailable
from assay.common.nats import connect, provision_streams

logger = logging.getLogger(__name__)

PROVISION_RETRY_SECONDS = 1.0
"""Pause between attempts to provision the streams (JetStream may still be starting)."""

Hook = Callable[[Client], Awaitable[object]]


class NatsLink:
    """Connects in the background; ``client()`` once connected, ``when_connected`` hooks run once, in order."""

    def __init__(self, settings: NatsSettings, name: str, *, provision: bool = True, **callbacks: Any) -> None:
        """``callbacks`` (``error_cb``, ``disconnected_cb``, ``reconnected_cb``) go to the client."""
        self._settings = settings
        self._name = name
        self._provision = provision
        self._callbacks = callbacks
        self._hooks: list[Hook] = []
        self._nc: Client | None = None
        self._connected = asyncio.Event()
        self._connecting: asyncio.Task[None] | None = None

    def when_connected(self, hook: Hook) -> None:
        """Run ``hook(client)`` once connected; register every hook before ``start``."""
        assert self._connecting is None, "register hooks before start()"
        self._hooks.append(hook)

    def start(self) -> None:
        self._connecting = asyncio.create_task(self._connect(), name=f"{self._name}-nats-connect")

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def client(self) -> Client:
        """The connected client, or UNAVAILABLE ``NATS_UNAVAILABLE`` while the first connection is pending."""
        if self._nc is None:
            raise Unavailable("NATS_UNAVAILABLE", "the event bus is not reachable yet; retry later")
        return self._nc

    async def wait_connected(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the first connection (a service starting beside a running NATS
        starts as before, its streams provisioned); False if NATS is still unreachable."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._connected.wait()
        return self.connected

    async def wait(self) -> Client:
        await self._connected.wait()
        assert self._nc is not None
        return self._nc

    async def _connect(self) -> None:
        nc = await connect(self._settings, self._name, **self._callbacks)
        try:
            while self._provision:
                try:
                    await provision_streams(nc, self._settings.nats_stream_replicas)
                    break
                except (NatsError, TimeoutError) as error:
                    logger.warning("stream provisioning failed; retrying", extra={"error": repr(error)})
                    await asyncio.sleep(PROVISION_RETRY_SECONDS)  # a pause between attempts, not synchronisation
            for hook in self._hooks:
                await hook(nc)
        except asyncio.CancelledError:
            await nc.close()
            raise
        except Exception as error:  # nothing awaits this task: say it, and stay unconnected
            logger.error("NATS connection set-up failed; staying unconnected",
                         extra={"client": self._name, "error": repr(error)})
            await nc.close()
            return
        self._nc = nc
        self._connected.set()
        logger.info("connected to NATS", extra={"client": self._name})

    async def stop_connecting(self) -> None:
        """Give up a first connection still pending (its hooks will not run)."""
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connecting

    async def close(self) -> None:
        """Stop connecting, then drain the connection (just close it while NATS is unreachable:
        draining a reconnecting client raises)."""
        await self.stop_connecting()
        if self._nc is not None:
            nc, self._nc = self._nc, None
            if nc.is_connected:
                await nc.drain()
            else:
                await nc.close()
