"""How the CLI finds and talks to a stack: stack.json, or addresses and a token from flags/env."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import grpc

from assay.common.grpc_client import bearer, open_channel
from assay.devstack import spans
from assay.v1 import (
    analysis_service_pb2_grpc,
    index_pb2_grpc,
    ingest_service_pb2_grpc,
    jobs_service_pb2_grpc,
    webhooks_service_pb2_grpc,
)

DEFAULT_DATA_DIR = ".assay-data"


class StackNotRunning(Exception):
    """No stack description was found, or the stack does not answer."""


@dataclass
class Connection:
    """Stubs with the caller's token."""

    jobs: jobs_service_pb2_grpc.JobServiceAsyncStub
    ingest: ingest_service_pb2_grpc.IngestServiceAsyncStub
    analysis: analysis_service_pb2_grpc.AnalysisServiceAsyncStub
    index: index_pb2_grpc.IndexServiceAsyncStub
    metadata: tuple[tuple[str, str], ...]
    channels: tuple[grpc.aio.Channel, ...]

    def webhooks(self) -> webhooks_service_pb2_grpc.WebhookServiceAsyncStub:
        """WebhookService, which the jobs service (the first channel) serves."""
        return webhooks_service_pb2_grpc.WebhookServiceStub(self.channels[0])

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


def data_dir(flag: str | None) -> Path:
    return Path(flag or os.environ.get("ASSAY_DATA_DIR") or DEFAULT_DATA_DIR)


def span_files(directory: Path) -> list[Path]:
    """The span files ``assay dev`` services write when no OTLP endpoint is configured, oldest first
    (``spans.jsonl`` and its rotated predecessors)."""
    return spans.files(directory / "traces" / "spans.jsonl")


def load_stack(directory: Path) -> dict[str, object]:
    path = directory / "stack.json"
    if not path.exists():
        raise StackNotRunning(f"no stack found in {directory} (start one with `assay dev --data-dir {directory}`)")
    stack: dict[str, object] = json.loads(path.read_text())
    return stack


def connect(directory: Path, token: str | None = None) -> Connection:
    stack = load_stack(directory)
    endpoints = stack["endpoints"]
    assert isinstance(endpoints, dict)
    jobs_channel = open_channel(os.environ.get("ASSAY_JOBS_ADDR") or str(endpoints["jobs"]))
    ingest_channel = open_channel(os.environ.get("ASSAY_INGEST_ADDR") or str(endpoints["ingest"]))
    analysis_channel = open_channel(os.environ.get("ASSAY_ANALYSIS_ADDR") or str(endpoints["analysis"]))
    chosen = token or os.environ.get("ASSAY_TOKEN") or str(stack["token"])
    return Connection(
        jobs=jobs_service_pb2_grpc.JobServiceStub(jobs_channel),
        ingest=ingest_service_pb2_grpc.IngestServiceStub(ingest_channel),
        analysis=analysis_service_pb2_grpc.AnalysisServiceStub(analysis_channel),
        index=index_pb2_grpc.IndexServiceStub(analysis_channel),
        metadata=bearer(chosen), channels=(jobs_channel, ingest_channel, analysis_channel),
    )
