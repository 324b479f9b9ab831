"""/healthz (the process answers) and /readyz (jobs and ingest answer grpc.health.v1 SERVING)."""

from __future__ import annotations

import asyncio

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from grpc_health.v1 import health_pb2, health_pb2_grpc

from assay.gateway.upstream import Channels, settings_of

router = APIRouter(tags=["health"])

REQUIRED = ("jobs", "ingest")
"""The upstreams the gateway cannot serve its API without. Analysis is reported, not required: its
workers read NOT_SERVING while they wait out an ingest or S3 outage (their breakers pause fetching),
which must not take the gateway out of the load balancer while status reads and creates still work."""

_HEALTH = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}}}


@router.get("/healthz", summary="Liveness", responses={200: {"description": "alive", **_HEALTH}})
async def healthz() -> Response:
    """Always ok while the process serves HTTP."""
    return JSONResponse({"status": "ok"})


async def _check(channel: grpc.aio.Channel, deadline: float) -> str:
    stub = health_pb2_grpc.HealthStub(channel)
    try:
        response = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=deadline)
    except grpc.aio.AioRpcError as error:
        return error.code().name
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


@router.get("/readyz", summary="Readiness: jobs and ingest answer their gRPC health checks",
            responses={200: {"description": "ready", **_HEALTH}, 503: {"description": "not ready", **_HEALTH}})
async def readyz(request: Request) -> Response:
    """Ready when jobs and ingest report SERVING; every upstream's status is listed."""
    channels: Channels = request.app.state.channels
    timeout = settings_of(request).readiness_timeout_seconds
    names = list(channels.named())
    statuses = await asyncio.gather(*(_check(channel, timeout) for channel in channels.named().values()))
    upstreams = dict(zip(names, statuses, strict=True))
    ready = all(upstreams[name] == "SERVING" for name in REQUIRED)
    return JSONResponse({"status": "ready" if ready else "not_ready", "upstreams": upstreams},
                        status_code=200 if ready else 503)
