"""Database spans named ``{operation} {table}`` at export, and events in the JSON-lines span file."""

from __future__ import annotations

import json

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from assay.common.db_spans import DbSpanNames, sql_span_name
from assay.common.telemetry import JsonLinesSpanExporter
from assay.jobs import store, work_messages


@pytest.mark.parametrize(("statement", "expected"), [
    (store._HEARTBEAT.text, ("UPDATE", "jobs.jobs")),  # WITH prev AS (SELECT … FOR UPDATE) UPDATE jobs.jobs …
    (store._REAP.text, ("UPDATE", "jobs.jobs")),  # … WHERE id IN (SELECT … FROM jobs.jobs …)
    (store._INSERT.text, ("INSERT", "jobs.jobs")),
    (work_messages.OUTBOX_INSERT.text, ("INSERT", "jobs.outbox")),
    ("SELECT jobs.jobs.id FROM jobs.jobs WHERE jobs.jobs.id = %(id)s::UUID", ("SELECT", "jobs.jobs")),
    ("select * from ingest.files f where f.id = 'x FROM y'", ("SELECT", "ingest.files")),
    ('DELETE FROM "ingest"."files" WHERE id = %s', ("DELETE", "ingest.files")),
    ("-- a comment\nUPDATE ONLY jobs.jobs SET progress = 1", ("UPDATE", "jobs.jobs")),
    ("SELECT pg_try_advisory_lock(%s)", ("SELECT", "")),
    ("SELECT count(*) FROM unnest(%(ids)s) AS u", ("SELECT", "")),
    ("BEGIN", None),
    ("WITH x AS (SELECT 1)", None),
    ("", None),
])
def test_a_statement_is_named_by_its_own_operation_and_table(statement, expected):
    assert sql_span_name(statement) == expected


def _provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(DbSpanNames(exporter)))
    return provider


def test_database_spans_are_exported_with_operation_and_table_other_spans_unchanged():
    exporter = InMemorySpanExporter()
    tracer = _provider(exporter).get_tracer("test")
    with tracer.start_as_current_span("WITH assay", kind=trace.SpanKind.CLIENT) as span:
        span.set_attribute("db.statement", store._HEARTBEAT.text)
        span.set_status(trace.Status(trace.StatusCode.ERROR, "boom"))
    with tracer.start_as_current_span("SELECT assay") as span:
        span.set_attribute("db.query.text", "SELECT pg_try_advisory_lock(1)")
    with tracer.start_as_current_span("analyze sentiment"):
        pass
    heartbeat, lock, other = exporter.get_finished_spans()
    assert heartbeat.name == "UPDATE jobs.jobs"
    assert heartbeat.attributes["db.operation.name"] == "UPDATE"
    assert heartbeat.attributes["db.collection.name"] == "jobs.jobs"
    assert heartbeat.status.status_code == trace.StatusCode.ERROR and heartbeat.kind == trace.SpanKind.CLIENT
    assert lock.name == "SELECT" and "db.collection.name" not in lock.attributes
    assert other.name == "analyze sentiment"


def test_the_span_file_records_events(tmp_path):
    path = tmp_path / "spans.jsonl"
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(path)))
    with provider.get_tracer("test").start_as_current_span("process") as span:
        span.add_event("assay.cancel_requested", {"job.id": "j1"})
    (record,) = [json.loads(line) for line in path.read_text().splitlines()]
    (event,) = record["events"]
    assert event["name"] == "assay.cancel_requested" and event["attributes"] == {"job.id": "j1"}
    assert record["start_ns"] <= event["time_ns"] <= record["end_ns"]
