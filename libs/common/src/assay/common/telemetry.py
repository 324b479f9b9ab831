"""OpenTelemetry: one set-up function for every process, and W3C context in message headers."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from assay.common.config import TelemetrySettings
from assay.common.db_spans import DbSpanNames


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per finished span to a file that several processes share."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = [json.dumps(_span_record(span)) + "\n" for span in spans]
        with self._lock, self._path.open("a") as handle:
            handle.write("".join(lines))  # one write: lines from concurrent processes don't interleave
        return SpanExportResult.SUCCESS


def _span_record(span: ReadableSpan) -> dict[str, object]:
    ctx = span.get_span_context()
    return {
        "trace_id": format(ctx.trace_id, "032x") if ctx else "",
        "span_id": format(ctx.span_id, "016x") if ctx else "",
        "parent_id": format(span.parent.span_id, "016x") if span.parent else "",
        "links": [format(link.context.span_id, "016x") for link in span.links],
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name", ""),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "status_message": span.status.description or "",
        "attributes": _plain(span.attributes),
        "events": [{"name": event.name, "time_ns": event.timestamp, "attributes": _plain(event.attributes)}
                   for event in span.events],
    }


def _plain(attributes: Mapping[str, object] | None) -> dict[str, object]:
    return {k: v if isinstance(v, str | int | float | bool) else str(v) for k, v in (attributes or {}).items()}


def setup_telemetry(service: str, settings: TelemetrySettings, version: str = "0.1.0") -> TracerProvider:
    """Install the global tracer provider: OTLP when ``settings.otlp_endpoint`` is set, else a
    JSON-lines file when ``settings.trace_file`` is set, else spans are recorded but not exported.
    Either way database spans are exported named ``{operation} {table}`` (``DbSpanNames``).

    ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES`` and the other ``OTEL_*`` variables apply.
    """
    attributes = {
        "service.name": f"assay-{service}",
        "service.version": version,
        "deployment.environment.name": settings.environment,
    }
    provider = TracerProvider(resource=Resource.create(attributes))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(DbSpanNames(OTLPSpanExporter())))
    elif settings.trace_file:
        exporter = DbSpanNames(JsonLinesSpanExporter(Path(settings.trace_file)))
        provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=500))
    trace.set_tracer_provider(provider)
    return provider


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


def inject_headers(headers: dict[str, str], context: otel_context.Context | None = None) -> dict[str, str]:
    """Add the ``traceparent`` (and ``tracestate``) of ``context`` (default: the active one) to ``headers``."""
    inject(headers, context=context)
    return headers
