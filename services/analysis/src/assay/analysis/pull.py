"""A pull of a durable JetStream consumer that never lingers: what is there now, or nothing.

nats.py's ``fetch`` always leaves a lingering pull request behind when the consumer is empty
(it waits for the next message up to its timeout), which would make a worker that tries its
priority levels one after another wait on every empty level. This sends the JetStream pull
request with ``no_wait`` on a reply inbox of its own; the server answers with up to ``batch``
messages and a ``404 No Messages`` status when it has fewer. The delivered messages are ordinary
JetStream messages: ack, nak(delay), in_progress and term work as with ``fetch``.
"""

from __future__ import annotations

import contextlib
import json

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext


class NoWaitPull:
    """Pulls from one consumer; one pull at a time (the caller serialises them)."""

    def __init__(self, nc: Client, stream: str, consumer: str, timeout: float) -> None:
        self._nc = nc
        self._next = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._timeout = timeout
        self._inbox: Subscription | None = None

    async def pull(self, batch: int) -> list[Msg]:
        """Up to ``batch`` messages available now (possibly none)."""
        inbox = self._inbox
        if inbox is None:
            inbox = self._inbox = await self._nc.subscribe(self._nc.new_inbox())
        request = json.dumps({"batch": batch, "no_wait": True}).encode()
        await self._nc.publish(self._next, request, reply=inbox.subject)
        messages: list[Msg] = []
        try:
            while len(messages) < batch:
                msg = await inbox.next_msg(timeout=self._timeout)
                if JetStreamContext.is_status_msg(msg):
                    break  # 404 No Messages (or 408): the answer ends here
                messages.append(msg)
        except TimeoutError:
            # An answer cut short: a late rest must not be mistaken for the next pull's answer.
            # Messages it still delivers are redelivered after AckWait, as after any lost pull.
            await self.close()
            if not messages:
                raise
        return messages

    async def close(self) -> None:
        inbox, self._inbox = self._inbox, None
        if inbox is not None:
            with contextlib.suppress(Exception):
                await inbox.unsubscribe()
