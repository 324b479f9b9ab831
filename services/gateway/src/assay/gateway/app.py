"""The FastAPI application: routes, problem handlers, middleware and the OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import grpc
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from assay.common.fields import REQUEST_ID_REGEX
from assay.gateway import problems, schemas
from assay.gateway.config import GatewaySettings
from assay.gateway.console import add_console
from assay.gateway.docs import add_docs
from assay.gateway.fast_lane import FastLane, lane_route_details, lane_span_details
from assay.gateway.job_view import EventFeed, job_view
from assay.gateway.json import RenderCache
from assay.gateway.lane_spans import LaneServerSpans
from assay.gateway.middleware import FrontMiddleware
from assay.gateway.rate_limit import add_rate_limits, tenant_verifier
from assay.gateway.routes import (
    analyzers,
    audit,
    collections,
    deletion,
    files,
    health,
    job_streams,
    jobs,
    pipelines,
    redrive,
    traces,
    usage,
    webhooks,
)
from assay.gateway.tickets import TicketBox
from assay.gateway.upstream import Channels, Stubs

DESCRIPTION = """\
The REST face of Assay for web clients. Every route is one or a few gRPC calls; JSON field names
are the proto field names, enums their proto value names (`STATE_SUCCEEDED`), 64-bit integers
numbers up to 2^53 (decimal strings beyond). Errors are RFC 7807 `application/problem+json`
documents carrying the gRPC code (`grpc_code`), a stable reason (`code`) and field `violations`.
Job lists default to `view=BASIC`. Browsers follow a job with `EventSource` on the `events_url` of
`POST /v1/jobs/{job_id}/events:ticket` (`event: end` closes it; `Last-Event-ID` resumes).

`Authorization: Bearer <JWT>`, `traceparent` and `X-Request-ID` pass through to the services;
`Idempotency-Key` becomes the create request's `request_id`.
"""

CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID", "X-Request-ID", "traceparent",
                "tracestate"]


def create_app(settings: GatewaySettings, channels: Channels | None = None) -> FastAPI:
    """Build the app; without ``channels`` it opens them at startup and closes them at shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        feed = EventFeed(app.state.job_view)
        await feed.start(settings)
        try:
            if channels is not None:
                yield
                return
            opened = Channels.open(settings)
            app.state.channels, app.state.stubs = opened, Stubs.over(opened)
            try:
                yield
            finally:
                await opened.close()
        finally:
            await feed.close()

    outer = outer_middleware(settings)
    app = FastAPI(title="Assay", version="1.0.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served offline by add_docs
                  middleware=outer)
    app.state.settings = settings
    app.state.job_bodies = RenderCache()  # status polls mostly see a job unchanged since the last read
    verifier = tenant_verifier(settings)
    app.state.job_view = job_view(settings, verifier)  # recent jobs fed by their events: polls answered here
    app.state.tickets = TicketBox(settings.stream_ticket_secret, settings.stream_ticket_seconds)
    if channels is not None:
        app.state.channels, app.state.stubs = channels, Stubs.over(channels)
    for router in (jobs.router, job_streams.router, traces.router, pipelines.router, files.router, analyzers.router,
                   collections.router, redrive.router, usage.router, audit.router, webhooks.router, health.router,
                   deletion.router):
        app.include_router(router)

    add_docs(app)
    add_console(app)
    app.add_exception_handler(problems.Problem, problems.handle_problem)
    app.add_exception_handler(grpc.aio.AioRpcError, problems.handle_rpc_error)
    app.add_exception_handler(RequestValidationError, problems.handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.handle_http_exception)
    app.add_exception_handler(Exception, problems.handle_unexpected)
    # Innermost: POST /v1/jobs and GET /v1/jobs/{job_id} served past the router (assay.gateway.fast_lane).
    app.user_middleware.append(Middleware(FastLane, handlers=app.exception_handlers))

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    # Around the whole stack: one server span per request, continuing an incoming traceparent.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,docs,redoc,openapi.json,console",
                                       exclude_spans=["receive", "send"])
    _name_lane_spans_up_front(app)
    # In front of everything, tracing included: a request over its rate limit answered at once.
    add_rate_limits(app, settings, verifier, lambda inner: wrapped(inner, outer))
    return app


def _name_lane_spans_up_front(app: FastAPI) -> None:
    """While the fast lane serves its routes, the OpenTelemetry middleware takes their span names
    and ``http.route`` from it instead of matching each request against every route
    (``fast_lane.lane_span_details``), and their server spans are made in front of it with less
    work (``lane_spans.LaneServerSpans``): the same span, less CPU per request."""
    instrumented = app.build_middleware_stack

    def build() -> ASGIApp:
        stack = instrumented()
        layers = _layers(stack)
        at = [index for index, layer in enumerate(layers) if isinstance(layer, OpenTelemetryMiddleware)]
        # Without the lane, or if the instrumentation changed its stack: spans still right, only slower.
        if at and at[0] > 0 and any(isinstance(layer, FastLane) for layer in layers):
            tracing = layers[at[0]]
            assert isinstance(tracing, OpenTelemetryMiddleware)
            tracing.default_span_details = lane_span_details(tracing.default_span_details)  # type: ignore[arg-type]
            layers[at[0] - 1].app = LaneServerSpans(tracing, lane_route_details())  # type: ignore[attr-defined]
        return stack

    app.build_middleware_stack = build  # type: ignore[method-assign]


def _layers(stack: ASGIApp) -> list[object]:
    """The middleware layers of a built stack, outermost first (each holds the next as ``app``)."""
    found: list[object] = []
    layer: object = stack
    while layer is not None and len(found) < 100:
        found.append(layer)
        layer = getattr(layer, "app", None)
    return found


def outer_middleware(settings: GatewaySettings) -> list[Middleware]:
    """The pure-ASGI middleware every response passes through, outermost first: metrics, the access
    log, security headers and the request id in one layer, then CORS (preflights and problem
    responses get ids and security headers too)."""
    found = [Middleware(FrontMiddleware)]
    if settings.cors_origin_list:
        found.append(Middleware(
            CORSMiddleware, allow_origins=settings.cors_origin_list, allow_credentials=False,
            allow_methods=["GET", "POST", "DELETE"], allow_headers=CORS_HEADERS,
            expose_headers=["Location", "X-Request-ID", "Retry-After", "RateLimit", "RateLimit-Policy"], max_age=600))
    return found


def wrapped(app: ASGIApp, middleware: list[Middleware]) -> ASGIApp:
    """``app`` inside ``middleware`` (outermost first), as Starlette builds its stack."""
    for cls, args, kwargs in reversed(middleware):
        app = cls(app, *args, **kwargs)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi

    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = document.setdefault("components", {})
    schemas_ = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas_.pop(unused, None)
    schemas_.update(schemas.all_components())
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    for path, operations in document.get("paths", {}).items():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
            if not path.startswith(("/healthz", "/readyz")):
                operation["security"] = [{"bearer": []}]
                operation.setdefault("parameters", []).extend(_COMMON_HEADERS)
    app.openapi_schema = document
    return document


_COMMON_HEADERS = [
    {"name": "X-Request-ID", "in": "header", "required": False,
     "description": "echoed on the response (generated when absent) and passed to the services",
     "schema": {"type": "string", "pattern": REQUEST_ID_REGEX}},
]
