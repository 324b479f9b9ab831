"""Reading the rest of a client stream that is about to be refused.

When a server answers a client stream while the client is still writing, grpc's asyncio client
fails the pending write and records it as INTERNAL "Internal error from Core"
(``_AioCall.set_internal_error``), overwriting the status the server sent: the client sees the
real refusal or that INTERNAL depending on which completion it handles last (8 of 15 60 MB
uploads through the gateway answered 500 instead of 413). Reading what is still in flight lets
every write succeed, so the client half-closes and reads the real status.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from google.protobuf.message import Message

DRAIN_IDLE_SECONDS = 1.0
"""A client that sends nothing for this long has stopped: it is answered without waiting further.
(A write can only race the refusal while it is in flight, and a drained stream has none.)"""


async def discard(requests: AsyncIterator[Message], max_bytes: int) -> tuple[int, bool]:
    """Read and drop the rest of a request stream; give up after ``max_bytes`` of messages or when
    the client has sent nothing for :data:`DRAIN_IDLE_SECONDS`. Returns the bytes dropped and
    whether the client finished its stream."""
    iterator, dropped = aiter(requests), 0
    while dropped <= max_bytes:
        try:
            message = await asyncio.wait_for(anext(iterator), DRAIN_IDLE_SECONDS)
        except StopAsyncIteration:
            return dropped, True
        except TimeoutError:
            break
        dropped += message.ByteSize()
    return dropped, False
