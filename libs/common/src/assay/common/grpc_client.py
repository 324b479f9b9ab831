"""Client channels to peer services, carrying the caller's or the service's bearer token."""

from __future__ import annotations

import time
from collections.abc import Callable

import grpc
import jwt
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from assay.common.grpc_limits import MESSAGE_SIZE_OPTIONS
from assay.common.spread_channel import OWN_CONNECTION, SpreadChannel


class RefreshingToken:
    """A bearer token source that calls ``mint`` again shortly before the token expires."""

    def __init__(self, mint: Callable[[], str], refresh_margin_seconds: float = 300.0) -> None:
        self._mint = mint
        self._margin = refresh_margin_seconds
        self._token = ""
        self._expires_at = 0.0

    def __call__(self) -> str:
        if time.time() > self._expires_at - self._margin:
            self._token = self._mint()
            claims = jwt.decode(self._token, options={"verify_signature": False})
            self._expires_at = float(claims.get("exp", time.time() + 3600))
        return self._token


def open_channel(address: str, connections: int = 1) -> grpc.aio.Channel:
    """An insecure channel (mTLS is the mesh's job) with Assay's message-size limits; with
    ``connections`` > 1 a ``SpreadChannel`` over that many connections of its own, calls in turn (so
    a server of several processes or pods behind one address gets all of them busy)."""
    if connections > 1:
        return SpreadChannel([_channel(address, OWN_CONNECTION) for _ in range(connections)])
    return _channel(address)


def _channel(address: str, *extra: tuple[str, int]) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(address, interceptors=aio_client_interceptors(), options=[  # type: ignore[no-untyped-call]
        *MESSAGE_SIZE_OPTIONS,
        ("grpc.keepalive_time_ms", 30_000),
        # After an outage of the server, reconnect within 5 s (gRPC's default backoff grows to 120 s).
        ("grpc.max_reconnect_backoff_ms", 5_000),
        *extra,
    ])


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """Call metadata presenting ``token``."""
    return (("authorization", f"Bearer {token}"),)
