"""Prometheus metrics of the analysis worker."""

from __future__ import annotations

import prometheus_client

ATTEMPTS = prometheus_client.Counter(
    "assay_worker_attempts_total",
    "Work messages handled, by analyzer and outcome (succeeded, cancelled, error codes, skip, ...).",
    ["analyzer", "outcome"])
ATTEMPT_DURATION = prometheus_client.Histogram(
    "assay_worker_attempt_duration_seconds", "Wall time of attempts the worker ran, StartJob to settle.",
    ["analyzer", "outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600))
IN_FLIGHT = prometheus_client.Gauge(
    "assay_worker_in_flight", "Attempts running in this worker.", ["analyzer"])
DEAD_LETTERS = prometheus_client.Counter(
    "assay_worker_dead_letters_total", "Jobs this worker failed as dead-lettered (max deliveries).",
    ["analyzer"])
CONSUMER_PENDING = prometheus_client.Gauge(
    "assay_worker_consumer_pending", "Messages not yet delivered by the analyzer's consumer.", ["analyzer"])
CONSUMER_ACK_PENDING = prometheus_client.Gauge(
    "assay_worker_consumer_ack_pending", "Delivered, unacknowledged messages (incl. delayed retries).",
    ["analyzer"])
DISPATCHED = prometheus_client.Counter(
    "assay_worker_dispatched_total",
    "Work messages this worker fetched, by analyzer, priority and the rule that chose them "
    "(priority: highest waiting; patience: a lower priority passed over too often).",
    ["analyzer", "priority", "rule"])
DEPENDENCY_RETRIES = prometheus_client.Counter(
    "assay_worker_dependency_retries_total",
    "Calls retried because a dependency (jobs, ingest, s3) was unreachable, by dependency and call.",
    ["dependency", "call"])
FREE_SLOTS = prometheus_client.Gauge(
    "assay_worker_free_slots", "Slots of a fetch loop (ordinary, small, reserve) free now; below 0 while more "
    "attempts are out than its capacity after the small loop's slots shrank with the pace.", ["loop"])
FETCH_LOOP = prometheus_client.Enum(
    "assay_worker_fetch_loop", "What a fetch loop (ordinary, small, reserve) is doing: pulling, or waiting for "
    "slots, a doorbell (or its next look), a circuit breaker, a retry after a failed fetch; stopped.", ["loop"],
    states=["pulling", "slots", "doorbell", "breaker", "backoff", "stopped"])
BREAKER_OPEN = prometheus_client.Gauge(
    "assay_worker_breaker_open", "1 while the worker's circuit breaker of a dependency is open.", ["dependency"])
OCR_PAGES = prometheus_client.Counter(
    "assay_worker_ocr_pages_total",
    "PDF pages without a text layer, by analyzer and outcome (read: by OCR; unread: OCR unavailable or failed).",
    ["analyzer", "outcome"])
OCR_SECONDS = prometheus_client.Counter(
    "assay_worker_ocr_seconds_total", "Wall seconds analyzers spent rendering and OCR-ing pages.", ["analyzer"])
INDEX_ASK_DURATION = prometheus_client.Histogram(
    "assay_index_ask_duration_seconds", "Wall time of AskQuestion (embedding, both searches, fusion).",
    ["answered"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5))
INDEX_FORGOTTEN = prometheus_client.Counter(
    "assay_index_files_forgotten_total", "Collections a deleted file was removed from (ForgetFile).")
