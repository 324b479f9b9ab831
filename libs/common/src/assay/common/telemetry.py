"""OpenTelemetry helpers: W3C trace context in and out of message headers."""

from __future__ import annotations

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject


def current_traceparent() -> str:
    """The W3C ``traceparent`` of the active span, or "" when there is none."""
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent", "")


def current_trace_id() -> str:
    """The active trace id as 32 hex digits, or "" when there is none."""
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else ""


def context_from_headers(headers: dict[str, str] | None) -> otel_context.Context:
    """The remote context carried in message headers (``traceparent``/``tracestate``)."""
    return extract(headers or {})
