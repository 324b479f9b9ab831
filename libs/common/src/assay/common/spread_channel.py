"""One client channel over several connections to one address, its calls spread over them in turn.

A gRPC channel keeps one HTTP/2 connection per address, and gRPC core shares it between channels
with the same options, so every call a client makes goes over one connection. A server of several
processes on one port (``ASSAY_JOBS_PROCESSES``, ``SO_REUSEPORT``) or a Kubernetes Service in front
of several pods spreads *connections*, never the calls on one: a client with one connection keeps
one process (or pod) busy and leaves the others idle. ``SpreadChannel`` holds ``count`` channels,
each with its own connection (a channel-local subchannel pool), and sends each call on the next
one; the kernel (or the Service) places each connection, so with ``count`` well above the number of
serving processes the calls spread nearly evenly. Each channel keeps its own interceptors (one
client span per call, as before).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any, cast

import grpc

OWN_CONNECTION = ("grpc.use_local_subchannel_pool", 1)
"""The channel option that gives a channel a connection of its own."""


class _InTurn:
    """A multi-callable that hands each call to the next of several (one per channel)."""

    def __init__(self, callables: Sequence[Callable[..., Any]]) -> None:
        self._next = itertools.cycle(callables).__next__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._next()(*args, **kwargs)


class SpreadChannel(grpc.aio.Channel):
    """``channels`` (each opened with ``OWN_CONNECTION``) used in turn, call by call."""

    def __init__(self, channels: Sequence[grpc.aio.Channel]) -> None:
        if not channels:
            raise ValueError("at least one channel")
        self._channels = list(channels)

    async def __aenter__(self) -> SpreadChannel:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def close(self, grace: float | None = None) -> None:
        for channel in self._channels:
            await channel.close(grace)

    def get_state(self, try_to_connect: bool = False) -> grpc.ChannelConnectivity:
        """READY when any connection is (a call can go), else the first one's state."""
        states = [channel.get_state(try_to_connect) for channel in self._channels]
        return grpc.ChannelConnectivity.READY if grpc.ChannelConnectivity.READY in states else states[0]

    async def wait_for_state_change(self, last_observed_state: grpc.ChannelConnectivity) -> None:
        await self._channels[0].wait_for_state_change(last_observed_state)

    async def channel_ready(self) -> None:
        for channel in self._channels:
            await channel.channel_ready()

    def _in_turn(self, kind: str, method: str, request_serializer: Callable[[Any], bytes] | None,
                 response_deserializer: Callable[[bytes], Any] | None, registered: bool | None) -> Any:
        """``kind``'s multi-callable on every channel, used in turn (the generated stubs also pass
        ``_registered_method``, which grpc's type stubs do not declare)."""
        return _InTurn([getattr(channel, kind)(method, request_serializer, response_deserializer, registered)
                        for channel in self._channels])

    def unary_unary(self, method: str, request_serializer: Callable[[Any], bytes] | None = None,
                    response_deserializer: Callable[[bytes], Any] | None = None,
                    _registered_method: bool | None = False) -> grpc.aio.UnaryUnaryMultiCallable[Any, Any]:
        return cast(grpc.aio.UnaryUnaryMultiCallable[Any, Any],
                    self._in_turn("unary_unary", method, request_serializer, response_deserializer, _registered_method))

    def unary_stream(self, method: str, request_serializer: Callable[[Any], bytes] | None = None,
                     response_deserializer: Callable[[bytes], Any] | None = None,
                     _registered_method: bool | None = False) -> grpc.aio.UnaryStreamMultiCallable[Any, Any]:
        return cast(grpc.aio.UnaryStreamMultiCallable[Any, Any],
                    self._in_turn("unary_stream", method, request_serializer, response_deserializer,
                                  _registered_method))

    def stream_unary(self, method: str, request_serializer: Callable[[Any], bytes] | None = None,
                     response_deserializer: Callable[[bytes], Any] | None = None,
                     _registered_method: bool | None = False) -> grpc.aio.StreamUnaryMultiCallable[Any, Any]:
        return cast(grpc.aio.StreamUnaryMultiCallable[Any, Any],
                    self._in_turn("stream_unary", method, request_serializer, response_deserializer,
                                  _registered_method))

    def stream_stream(self, method: str, request_serializer: Callable[[Any], bytes] | None = None,
                      response_deserializer: Callable[[bytes], Any] | None = None,
                      _registered_method: bool | None = False) -> grpc.aio.StreamStreamMultiCallable[Any, Any]:
        return cast(grpc.aio.StreamStreamMultiCallable[Any, Any],
                    self._in_turn("stream_stream", method, request_serializer, response_deserializer,
                                  _registered_method))
