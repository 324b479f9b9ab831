"""The hot routes — ``POST /v1/jobs``, ``GET /v1/jobs/{job_id}`` and ``GET /v1/jobs/{job_id}/result``
— served past Starlette's router and FastAPI's request handling.

A REST job is a create, a few status polls and a result read; a status read answered from the job view spends
under a tenth of its gateway CPU in the route itself, and about half in the layers between the
middleware and the route: the exception middleware, the router's match over every route, the
included router's route contexts, FastAPI's request/response wrapper and its dependency solving
(bench/README.md, "Issue 21: the gateway's CPU per request"). This innermost middleware recognises
the three routes by their own compiled path patterns and calls their endpoint functions
(``assay.gateway.routes.jobs``) directly, with the scope the router would have given them
(``route``, ``endpoint``, ``path_params``), and turns what they raise into responses through the
application's own exception handlers, as the exception middleware would. Everything outside it —
rate limits, the server span and its attributes, the access log and latency metric, security
headers, request ids, CORS — runs as for every other request; every other request (and a HEAD, or a
query the route does not declare twice) goes on to the router unchanged.

The server span's name and ``http.route`` come from ``lane_span_details``: the OpenTelemetry
middleware, outside every layer, otherwise looks each request's route up again by matching it
against every route of the app (about a tenth of an in-process status read's CPU).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from assay.gateway.routes import jobs

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
SpanDetails = Callable[[Scope], tuple[str, dict[str, str]]]


def lane_span_details(fallback: SpanDetails) -> SpanDetails:
    """The OpenTelemetry middleware's span name and extra attributes for a request: for the fast
    lane's routes (the method and path it serves, whatever the query), the ones ``fallback`` (the
    FastAPI instrumentation's lookup over every route) gives them, precomputed; for every other
    request, ``fallback``'s. The attributes returned are shared: the middleware only reads them."""
    lane = lane_route_details()

    def span_details(scope: Scope) -> tuple[str, dict[str, str]]:
        return lane(scope) or fallback(scope)

    return span_details


def lane_route_details() -> Callable[[Scope], tuple[str, dict[str, str]] | None]:
    """For a request on one of the lane's routes (its method and path, whatever the query) its
    server span's name and ``http.route``, precomputed; None for any other request."""
    create = _route(jobs.router.routes, jobs.create_job)
    created = f"POST {create.path}", {HTTP_ROUTE: create.path}
    reads = [(route.path_regex, (f"GET {route.path}", {HTTP_ROUTE: route.path}))
             for route in (_route(jobs.router.routes, endpoint) for endpoint in (jobs.get_job, jobs.get_result))]

    def details(scope: Scope) -> tuple[str, dict[str, str]] | None:
        method, path = scope.get("method"), scope.get("path", "")
        if method == "POST" and path == create.path:
            return created
        if method == "GET":
            for path_regex, read in reads:
                if path_regex.match(path) is not None:
                    return read
        return None

    return details


class FastLane:
    """Serves the hot routes itself (see the module docstring); ``handlers`` are the application's
    exception handlers by exception class (the 500 handler excluded: an unexpected error goes on up
    to the server-error middleware, as from the router)."""

    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Handler]) -> None:
        self.app = app
        self._handlers = {key: handler for key, handler in handlers.items()
                          if isinstance(key, type) and key is not Exception}
        self._create = _route(jobs.router.routes, jobs.create_job)
        self._read = _route(jobs.router.routes, jobs.get_job)
        self._result = _route(jobs.router.routes, jobs.get_result)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == self._create.path:
            await self._serve(scope, receive, send, self._create, {}, jobs.create_job)
            return
        if method == "GET" and (found := self._read.path_regex.match(path)) is not None:
            views = _query_values(scope["query_string"], "view")
            if len(views) <= 1:  # a repeated one: the router's request handling decides which counts
                params, view = found.groupdict(), views[0] if views else None
                await self._serve(scope, receive, send, self._read, params,
                                  lambda request: jobs.get_job(request, params["job_id"], view))
                return
        if method == "GET" and (found := self._result.path_regex.match(path)) is not None:
            params = found.groupdict()
            await self._serve(scope, receive, send, self._result, params,
                              lambda request: jobs.get_result(request, params["job_id"]))
            return
        await self.app(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, route: APIRoute, params: dict[str, str],
                     endpoint: Callable[[Request], Awaitable[Response]]) -> None:
        scope["route"], scope["endpoint"], scope["path_params"] = route, route.endpoint, params
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as error:
            handler = self._handler_for(error)
            if handler is None:
                raise
            handled = handler(request, error)
            response = await handled if inspect.isawaitable(handled) else handled
        await response(scope, receive, send)

    def _handler_for(self, error: Exception) -> Handler | None:
        for kind in type(error).__mro__:
            if kind in self._handlers:
                return self._handlers[kind]
        return None


def _route(routes: list[BaseRoute], endpoint: Callable[..., Any]) -> APIRoute:
    for route in routes:
        if isinstance(route, APIRoute) and route.endpoint is endpoint:
            return route
    raise LookupError(f"no route serves {endpoint.__qualname__}")


def _query_values(query_string: bytes, name: str) -> list[str]:
    """The values of ``name`` in the query, decoded as the router's query parameters are."""
    if not query_string:
        return []
    return [value for key, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True) if key == name]
