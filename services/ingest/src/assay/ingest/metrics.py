"""Prometheus metrics of the ingest service."""

from __future__ import annotations

import prometheus_client

ORPHANS_SWEPT = prometheus_client.Counter(
    "assay_ingest_orphaned_objects_swept_total",
    "Objects deleted by the sweep because no file row named them after the grace period.")
