"""setup_telemetry takes where spans go from the typed settings, not from os.environ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from assay.common.config import TelemetrySettings
from assay.common.telemetry import setup_telemetry


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> list[TracerProvider]:
    """Capture the provider instead of installing it globally (other tests install their own)."""
    providers: list[TracerProvider] = []
    monkeypatch.setattr(trace, "set_tracer_provider", providers.append)
    return providers


def test_spans_go_to_the_settings_trace_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed: list[TracerProvider]
) -> None:
    for name in ("ASSAY_TRACE_FILE", "ASSAY_ENVIRONMENT", "OTEL_EXPORTER_OTLP_ENDPOINT",
                 "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    spans = tmp_path / "spans.jsonl"
    settings = TelemetrySettings(environment="staging", trace_file=str(spans))
    provider = setup_telemetry("jobs", settings)
    assert installed == [provider]
    with provider.get_tracer("test").start_as_current_span("work"):
        pass
    provider.force_flush()
    provider.shutdown()
    [record] = [json.loads(line) for line in spans.read_text().splitlines()]
    assert record["name"] == "work" and record["service"] == "assay-jobs"
    assert provider.resource.attributes["deployment.environment.name"] == "staging"


def test_settings_read_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSAY_TRACE_FILE", "/var/spans.jsonl")
    monkeypatch.setenv("ASSAY_ENVIRONMENT", "production")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")
    settings = TelemetrySettings()
    assert (settings.trace_file, settings.environment, settings.otlp_endpoint) == (
        "/var/spans.jsonl", "production", "http://collector:4317")
