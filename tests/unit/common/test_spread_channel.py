"""``open_channel(address, connections)``: each call goes over the next of that many connections."""

from __future__ import annotations

from collections import Counter

import grpc

from assay.common.grpc_client import open_channel
from assay.common.spread_channel import SpreadChannel


async def _peer(_request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    return context.peer().encode()


async def _peers(connections: int, calls: int) -> Counter[str]:
    server = grpc.aio.server()
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "test.Peer", {"Who": grpc.unary_unary_rpc_method_handler(_peer)})])
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        channel = open_channel(f"127.0.0.1:{port}", connections)
        try:
            who = channel.unary_unary("/test.Peer/Who")
            return Counter([(await who(b"")).decode() for _ in range(calls)])
        finally:
            await channel.close()
    finally:
        await server.stop(None)


async def test_calls_go_over_each_connection_in_turn() -> None:
    peers = await _peers(connections=3, calls=9)
    assert len(peers) == 3  # three client ports: three connections
    assert set(peers.values()) == {3}


async def test_one_connection_is_a_plain_channel() -> None:
    assert len(await _peers(connections=1, calls=4)) == 1
    channel = open_channel("127.0.0.1:1")
    assert not isinstance(channel, SpreadChannel)
    await channel.close()
