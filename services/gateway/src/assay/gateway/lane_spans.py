"""The fast lane's server spans: the span OpenTelemetry's ASGI middleware makes, with less work per request.

A REST job is a create, a few status polls and a result read, each a request on one of the fast
lane's routes (``assay.gateway.fast_lane``). For each, ``OpenTelemetryMiddleware`` also sets every
attribute a second time after starting the span with them, counts the request in and out of an
active-requests counter and records duration and size histograms (no-ops unless an OpenTelemetry
meter provider is set: Assay's metrics are Prometheus's), builds a fresh ``send`` wrapper with
``functools.wraps`` and looks for header capture, hooks and a response propagator on every
request. Here a lane request gets the same span — the library's tracer and instrumentation scope,
name and ``http.route`` (``fast_lane.lane_span_details``), the attributes of the library's own
``collect_request_attributes``, parent (``traceparent``, through the global propagator), status and
status-code attributes (the library's ``set_status_code``), an escaping exception recorded — and
nothing else. The library serves the request as before whenever anything it would add is in use:
a hook, captured headers, receive or send spans, a response propagator, a meter provider, a URL
it excludes, tracing suppressed; and every request that is not the lane's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opentelemetry import context, metrics, trace
from opentelemetry.instrumentation.asgi import (
    OpenTelemetryMiddleware,
    asgi_getter,
    collect_request_attributes,
    get_host_port_url_tuple,
    set_status_code,
)
from opentelemetry.instrumentation.propagators import get_global_response_propagator
from opentelemetry.instrumentation.utils import is_http_instrumentation_enabled
from opentelemetry.propagate import extract
from opentelemetry.trace import SpanKind
from starlette.types import Message, Receive, Scope, Send

LaneDetails = Callable[[Scope], tuple[str, dict[str, str]] | None]


class LaneServerSpans:
    """In front of ``traced`` (the app's OpenTelemetry middleware): the lane's requests (those
    ``lane_details`` names) get their server span here when nothing else of the middleware's is in use
    (see the module docstring), and go on to the layer inside it; every other request goes to ``traced``."""

    def __init__(self, traced: OpenTelemetryMiddleware, lane_details: LaneDetails) -> None:
        self.app = traced  # the next layer, as every middleware names it
        self._traced, self._lane_details = traced, lane_details
        # Read as the library's version names them; any it no longer has leaves every request to it.
        self._mode = getattr(traced, "_sem_conv_opt_in_mode", None)
        hooks = ("server_request_hook", "client_request_hook", "client_response_hook")
        captured = ("http_capture_headers_server_request", "http_capture_headers_server_response")
        unspanned = ("exclude_receive_span", "exclude_send_span")
        self._lean = (self._mode is not None and all(getattr(traced, name, True) is None for name in hooks)
                      and not any(getattr(traced, name, True) for name in captured)
                      and all(getattr(traced, name, False) is True for name in unspanned))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        details = self._lane_details(scope) if self._lean and scope["type"] == "http" else None
        if details is None or not _only_the_span_wanted(self._traced, scope):
            await self._traced(scope, receive, send)
            return
        traced, mode = self._traced, self._mode
        name, route_attributes = details
        attributes = collect_request_attributes(scope, mode)  # type: ignore[no-untyped-call]
        attributes.update(route_attributes)
        # As the library starts it: a SERVER span continuing the caller's traceparent, or an
        # INTERNAL one inside a span already current.
        token = None
        if trace.get_current_span() is trace.INVALID_SPAN:
            parent, kind = extract(scope, getter=asgi_getter), SpanKind.SERVER  # type: ignore[misc]
            token = context.attach(parent)
        else:
            parent, kind = context.get_current(), SpanKind.INTERNAL
        span = traced.tracer.start_span(name, context=parent, kind=kind, attributes=attributes)

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                set_status_code(span, message["status"], None, mode)  # type: ignore[no-untyped-call]
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                span.end()

        try:
            with trace.use_span(span, end_on_exit=False):
                await traced.app(scope, receive, send_traced)
        finally:
            if token:
                context.detach(token)
            if span.is_recording():
                span.end()


def _only_the_span_wanted(traced: OpenTelemetryMiddleware, scope: Scope) -> bool:
    """Nothing the middleware would do for this request besides its span is in use (the per-request
    part: what can change while the app runs)."""
    if not is_http_instrumentation_enabled() or get_global_response_propagator() is not None:  # type: ignore[no-untyped-call]
        return False
    if not _metrics_are_noops():
        return False
    if traced.excluded_urls:
        _, _, url = get_host_port_url_tuple(scope)  # type: ignore[no-untyped-call]
        if traced.excluded_urls.url_disabled(url):
            return False
    return True


def _metrics_are_noops() -> bool:
    """No OpenTelemetry meter provider is set: the middleware's instruments record nothing."""
    provider: Any = metrics.get_meter_provider()
    return isinstance(provider, metrics.NoOpMeterProvider) or type(provider).__name__ == "_ProxyMeterProvider"
