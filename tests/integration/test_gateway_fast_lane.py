"""The fast lane (assay.gateway.fast_lane): POST /v1/jobs and GET /v1/jobs/{job_id} answered past the
router, with the same responses, headers, problems, server spans and access-log routes as through it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from gateway_fixtures import Gateway, drive_to_success, gateway, gateway_settings  # noqa: F401 - fixture
from opentelemetry.instrumentation import fastapi as fastapi_instrumentation
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.propagators import TraceResponsePropagator, set_global_response_propagator
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.types import Receive, Scope, Send
from test_worker_tracing import span_exporter, spans  # noqa: F401 - fixtures

from assay.gateway.app import create_app
from assay.gateway.fast_lane import FastLane

VOLATILE_HEADERS = {"date", "server"}
VOLATILE_ATTRIBUTES = {"net.peer.port", "client.port", "net.host.port", "server.port"}


@pytest.fixture
def routed_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The route templates the router handed a request to, in order."""
    calls: list[str] = []
    handle: Callable[[APIRoute, Scope, Receive, Send], Awaitable[None]] = APIRoute.handle

    async def counted(route: APIRoute, scope: Scope, receive: Receive, send: Send) -> None:
        calls.append(route.path)
        await handle(route, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", counted)
    yield calls


def without_fast_lane(app: FastAPI) -> FastAPI:
    app.user_middleware = [layer for layer in app.user_middleware if layer.cls is not FastLane]
    return app


TRACE_ID, CALLER_SPAN_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{CALLER_SPAN_ID}-01"


def server_span(spans: InMemorySpanExporter) -> tuple[Any, ...]:  # noqa: F811 - the fixture
    """The gateway's server span of the request: name, kind, parent, status and attributes."""
    (span,) = [s for s in spans.get_finished_spans()
               if s.kind == SpanKind.SERVER and not (s.attributes or {}).get("rpc.system")]  # not jobs' own
    spans.clear()
    attributes = {key: value for key, value in (span.attributes or {}).items() if key not in VOLATILE_ATTRIBUTES}
    assert span.parent is not None and span.parent.is_remote, "the span continues the caller's traceparent"
    assert (format(span.context.trace_id, "032x"), format(span.parent.span_id, "016x")) == (TRACE_ID, CALLER_SPAN_ID)
    return span.name, span.kind, span.status.status_code, attributes


def access_routes(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int]]:
    found = [(r.http_route, r.http_status) for r in caplog.records  # type: ignore[attr-defined]
             if r.name == "assay.gateway.access"]
    caplog.clear()
    return found


Call = tuple[str, str, dict[str, Any]]


async def answer(client: httpx.AsyncClient, request: Call) -> tuple[int, dict[str, str], bytes]:
    method, path, options = request
    response = await client.request(method, path, **options)
    return response.status_code, {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}, \
        response.content


async def test_the_hot_routes_answer_as_through_the_router_without_it(
    gateway: Gateway, spans: InMemorySpanExporter, routed_calls: list[str],  # noqa: F811 - fixtures
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="assay.gateway.access")
    fast = gateway.client_for(create_app(gateway_settings(), gateway.channels))
    routed = gateway.client_for(without_fast_lane(create_app(gateway_settings(), gateway.channels)))
    auth, other = gateway.auth(), gateway.auth(tenant="other")
    body = {"analyzer": "sentiment", "inputs": {"text": "fine"}}
    created = await gateway.client.post("/v1/jobs", json=body, headers=auth)
    job_id = created.json()["id"]
    spans.clear()
    caplog.clear()

    def call(method: str, path: str, **options: Any) -> Call:
        options["headers"] = {"X-Request-ID": "req-fast-lane", "traceparent": TRACEPARENT, **options.get("headers", {})}
        return method, path, options

    requests = [
        call("POST", "/v1/jobs", json=body, headers={**auth, "Idempotency-Key": "fast-1"}),  # 202, then the same job
        call("POST", "/v1/jobs", content=b"{", headers={**auth, "Content-Type": "application/json"}),  # 400
        call("POST", "/v1/jobs", json={**body, "request_id": "x"}, headers=auth),  # 400 naming the field
        call("POST", "/v1/jobs", content=b"x", headers={**auth, "Content-Type": "text/plain"}),  # 415
        call("POST", "/v1/jobs", json=body),  # 401
        call("GET", f"/v1/jobs/{job_id}", headers=auth),
        call("GET", f"/v1/jobs/{job_id}?view=BASIC", headers=auth),
        call("GET", f"/v1/jobs/{job_id}?view=nope", headers=auth),  # 400
        call("GET", f"/v1/jobs/{job_id}", headers=other),  # 404: another tenant's
        call("GET", "/v1/jobs/not-a-job", headers=auth),  # 404 (jobs' INVALID_ARGUMENT or NOT_FOUND)
        call("GET", f"/v1/jobs/{job_id}", headers={"Authorization": "Basic eA=="}),  # 401
        call("GET", f"/v1/jobs/{job_id}/result", headers=auth),  # 409 while it runs
        call("GET", f"/v1/jobs/{job_id}/result", headers=other),  # 404
    ]
    statuses = []
    for request in [*requests, "succeed", call("GET", f"/v1/jobs/{job_id}", headers=auth),
                    call("GET", f"/v1/jobs/{job_id}/result", headers=auth)]:
        if request == "succeed":
            await drive_to_success(gateway, job_id)
            continue
        assert not isinstance(request, str)
        routed_answer = await answer(routed, request)
        routed_span, routed_log = server_span(spans), access_routes(caplog)
        assert routed_calls, "the router served the app without the fast lane"
        routed_calls.clear()

        fast_answer = await answer(fast, request)
        assert routed_calls == [], f"{request[0]} {request[1]} went past the router"
        assert fast_answer == routed_answer, request
        assert server_span(spans) == routed_span, "the same server span: name, kind, parent, status, attributes"
        assert access_routes(caplog) == routed_log
        statuses.append(fast_answer[0])
    assert statuses == [202, 400, 400, 415, 401, 200, 200, 400, 404, 400, 401, 409, 404, 200, 200]


async def test_other_requests_still_take_the_router(gateway: Gateway, routed_calls: list[str]) -> None:  # noqa: F811
    fast = gateway.client_for(create_app(gateway_settings(), gateway.channels))
    auth = gateway.auth()
    job_id = (await fast.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "ok"}},
                              headers=auth)).json()["id"]
    await fast.get(f"/v1/jobs/{job_id}?view=BASIC&view=FULL", headers=auth)  # a repeated query parameter
    await fast.head(f"/v1/jobs/{job_id}", headers=auth)
    await fast.get("/v1/jobs", headers=auth)
    await fast.post(f"/v1/jobs/{job_id}/events:ticket", headers=auth)
    assert routed_calls == ["/v1/jobs/{job_id}", "/v1/jobs/{job_id}", "/v1/jobs", "/v1/jobs/{job_id}/events:ticket"]


async def test_the_server_span_of_a_hot_route_is_named_without_a_route_lookup_and_made_in_front_of_the_middleware(
    gateway: Gateway, spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch,  # noqa: F811 - fixtures
    traced_paths: list[str],
) -> None:
    """The fast lane's spans are named without matching each request against every route
    (fast_lane.lane_span_details) and made by lane_spans.LaneServerSpans in front of OpenTelemetry's
    middleware (the same spans: the first test compares them with the middleware's own); other
    requests are still looked up and served by the middleware."""
    looked_up: list[str] = []
    lookup = fastapi_instrumentation._get_route_details

    def counted(scope: Scope) -> str | None:
        looked_up.append(scope["path"])
        return lookup(scope)

    monkeypatch.setattr(fastapi_instrumentation, "_get_route_details", counted)
    fast = gateway.client_for(create_app(gateway_settings(), gateway.channels))
    auth = gateway.auth()
    created = await fast.post("/v1/jobs", json={"analyzer": "sentiment", "inputs": {"text": "ok"}}, headers=auth)
    job_id = created.json()["id"]
    await fast.get(f"/v1/jobs/{job_id}?view=BASIC", headers=auth)
    await fast.get(f"/v1/jobs/{job_id}/result", headers=auth)
    assert looked_up == [] and traced_paths == []
    await fast.get("/v1/jobs", headers=auth)
    assert looked_up == ["/v1/jobs"] and traced_paths == ["/v1/jobs"]
    names = [s.name for s in spans.get_finished_spans()
             if s.kind == SpanKind.SERVER and not (s.attributes or {}).get("rpc.system")]
    assert names == ["POST /v1/jobs", "GET /v1/jobs/{job_id}", "GET /v1/jobs/{job_id}/result", "GET /v1/jobs"]


@pytest.fixture
def traced_paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths of the requests OpenTelemetry's ASGI middleware itself served."""
    paths: list[str] = []
    library = OpenTelemetryMiddleware.__call__

    async def counted(self: OpenTelemetryMiddleware, scope: Any, receive: Any, send: Any) -> None:
        paths.append(scope["path"])
        await library(self, scope, receive, send)

    monkeypatch.setattr(OpenTelemetryMiddleware, "__call__", counted)
    yield paths


async def test_with_a_response_propagator_set_the_middleware_serves_the_hot_routes_again(
    gateway: Gateway, spans: InMemorySpanExporter, traced_paths: list[str],  # noqa: F811 - fixtures
) -> None:
    """Anything the lean span does not do (here: a traceresponse header) leaves the request to the library."""
    fast = gateway.client_for(create_app(gateway_settings(), gateway.channels))
    set_global_response_propagator(TraceResponsePropagator())
    try:
        read = await fast.get("/v1/jobs/not-a-job", headers=gateway.auth())
    finally:
        set_global_response_propagator(None)  # type: ignore[arg-type]
    assert traced_paths == ["/v1/jobs/not-a-job"] and "traceresponse" in read.headers
