"""The gateway's long-lived gRPC channels and the metadata each call carries."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from fastapi import Request

from assay.common.grpc_client import open_channel
from assay.gateway.config import GatewaySettings
from assay.gateway.problems import Problem
from assay.v1 import (
    analysis_service_pb2_grpc,
    index_pb2_grpc,
    ingest_service_pb2_grpc,
    jobs_service_pb2_grpc,
    webhooks_service_pb2_grpc,
)

PASSED_THROUGH = ("authorization",)
"""Request headers forwarded verbatim as gRPC metadata (besides x-request-id). The trace context is
not copied: the gateway's server span continues an incoming ``traceparent`` and the gRPC client
instrumentation sends the child context upstream."""


@dataclass
class Channels:
    """One channel per upstream, opened at startup and closed at shutdown."""

    jobs: grpc.aio.Channel
    ingest: grpc.aio.Channel
    analysis: grpc.aio.Channel

    @classmethod
    def open(cls, settings: GatewaySettings) -> Channels:
        """Open channels to the configured addresses (connections are made lazily)."""
        return cls(open_channel(settings.jobs_addr, settings.jobs_connections), open_channel(settings.ingest_addr),
                   open_channel(settings.analysis_addr))

    async def close(self) -> None:
        """Close every channel."""
        for channel in (self.jobs, self.ingest, self.analysis):
            await channel.close()

    def named(self) -> dict[str, grpc.aio.Channel]:
        """The channels by upstream name."""
        return {"jobs": self.jobs, "ingest": self.ingest, "analysis": self.analysis}


@dataclass
class Stubs:
    """Client stubs over the channels."""

    jobs: jobs_service_pb2_grpc.JobServiceAsyncStub
    ingest: ingest_service_pb2_grpc.IngestServiceAsyncStub
    analysis: analysis_service_pb2_grpc.AnalysisServiceAsyncStub
    index: index_pb2_grpc.IndexServiceAsyncStub
    webhooks: webhooks_service_pb2_grpc.WebhookServiceAsyncStub

    @classmethod
    def over(cls, channels: Channels) -> Stubs:
        return cls(
            jobs_service_pb2_grpc.JobServiceStub(channels.jobs),
            ingest_service_pb2_grpc.IngestServiceStub(channels.ingest),
            analysis_service_pb2_grpc.AnalysisServiceStub(channels.analysis),
            index_pb2_grpc.IndexServiceStub(channels.analysis),
            webhooks_service_pb2_grpc.WebhookServiceStub(channels.jobs),
        )


def stubs(request: Request) -> Stubs:
    """The app's stubs."""
    found: Stubs = request.app.state.stubs
    return found


def settings_of(request: Request) -> GatewaySettings:
    """The app's settings."""
    found: GatewaySettings = request.app.state.settings
    return found


def call_metadata(request: Request) -> tuple[tuple[str, str], ...]:
    """gRPC metadata for an upstream call made on behalf of ``request``; 401 without a bearer token.

    Every upstream call needs one, so a missing or non-Bearer Authorization header (Basic
    credentials, say) is refused here in the REST API's words, before any upstream is called.
    """
    bearer_token(request)
    metadata = [(name, value) for name in PASSED_THROUGH if (value := request.headers.get(name))]
    request_id = getattr(request.state, "request_id", None)
    if request_id:
        metadata.append(("x-request-id", request_id))
    if request.client is not None:  # the caller's address, for the audit log (the services see the gateway's)
        metadata.append(("x-forwarded-for", request.client.host))
    return tuple(metadata)


def bearer_token(request: Request) -> str:
    """The token of the request's ``Authorization: Bearer`` header, or a 401 problem."""
    scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if scheme:
        detail = f"the Authorization header must be 'Bearer <token>'; {scheme!r} credentials are not accepted"
    else:
        detail = "send the token in an 'Authorization: Bearer <token>' header"
    raise Problem(401, "UNAUTHENTICATED", detail, grpc_code=grpc.StatusCode.UNAUTHENTICATED,
                  headers={"WWW-Authenticate": 'Bearer realm="assay"'})


def declared_length(request: Request) -> int | None:
    """The request's Content-Length, when it sent a valid one."""
    declared = request.headers.get("content-length", "").strip()
    return int(declared) if declared.isdigit() else None


def rpc_timeout(request: Request) -> float:
    """The deadline of one call to a service (``ASSAY_RPC_TIMEOUT_SECONDS``)."""
    return settings_of(request).rpc_timeout_seconds


def idempotency_key(request: Request) -> str:
    """The Idempotency-Key header (the RPC's request_id), or empty; the upstream validates it."""
    return request.headers.get("idempotency-key", "").strip()
