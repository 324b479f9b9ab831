"""Pure-ASGI middleware: request ids, security headers, metrics and the access log in one layer
(streaming responses pass untouched)."""

from __future__ import annotations

import functools
import logging
import time
import uuid
from typing import Any

import prometheus_client
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assay.common.fields import REQUEST_ID_PATTERN

logger = logging.getLogger("assay.gateway.access")
SLOW_SECONDS = 1.0
TOO_MANY_REQUESTS = 429
"""A request at least this slow is logged at INFO even when it succeeded."""

DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
"""Pages that render HTML and need scripts (and inline ones); everything else is API JSON or the console."""
CONSOLE_PREFIX = "/console"

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_CSP = (  # the assets are served by the gateway itself (assay.gateway.docs): nothing from elsewhere
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
CONSOLE_CSP = (  # the console's own module, stylesheet and API calls only; no inline script or style
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)


class _HttpMiddleware:
    """Pure-ASGI middleware for HTTP requests (``handle``); lifespan and other scopes pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


HTTP_LATENCY = prometheus_client.Histogram(
    "assay_http_request_duration_seconds", "Gateway request latency by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

class FrontMiddleware(_HttpMiddleware):
    """What every response gets, in one layer (one wrapped ``send`` instead of three):

    - **the request id**: X-Request-ID from the request when it is a valid one, else a generated
      UUID; in ``scope["state"]["request_id"]`` for the routes and echoed on the response;
    - **security headers**: nosniff, DENY, no-referrer, same-origin opener, a Content-Security-
      Policy (the docs pages get one that lets them render, the console its own) and, except on
      the docs pages, ``Cache-Control: no-store`` unless the response set its own;
    - **the access log and latency metric**: every request timed and logged; labels use the route
      template, never the raw path (bounded cardinality). The log follows the services' RPC log:
      server errors at WARNING, client errors and requests slower than a second at INFO, the rest
      at DEBUG (so a status poll costs no log line at INFO); rate-limit refusals (429) at DEBUG
      too, so a flood does not become a log flood (the latency metric counts them).
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started, status = time.perf_counter(), 500
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1").strip()
                break
        request_id = incoming if REQUEST_ID_PATTERN.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope["path"]
        docs = path in DOCS_PATHS
        policy = DOCS_CSP if docs else CONSOLE_CSP if path.startswith(CONSOLE_PREFIX) else API_CSP

        async def send_framed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Content-Security-Policy"] = policy
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if not docs and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_framed)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            _latency(scope["method"], route, status).observe(elapsed)
            _log(scope, route, status, elapsed)


@functools.cache
def _latency(method: str, route: str, status: int) -> Any:
    """The latency histogram's child for these labels, looked up once (labels are bounded: the
    route template, never the raw path; methods and statuses as they come)."""
    return HTTP_LATENCY.labels(method=method, route=route, status=str(status))


def _log(scope: Scope, route: str, status: int, elapsed: float) -> None:
    level = logging.DEBUG
    if status >= 500:
        level = logging.WARNING
    elif (status >= 400 and status != TOO_MANY_REQUESTS) or elapsed >= SLOW_SECONDS:
        level = logging.INFO
    if logger.isEnabledFor(level):
        logger.log(level, "http request finished", extra={
            "http_method": scope["method"], "http_route": route, "http_status": status,
            "duration_ms": round(elapsed * 1000, 2), "request_id": scope.get("state", {}).get("request_id", ""),
        })
