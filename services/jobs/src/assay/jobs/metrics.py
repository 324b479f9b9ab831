"""Prometheus metrics of the jobs service."""

from __future__ import annotations

import prometheus_client

JOBS_CREATED = prometheus_client.Counter(
    "assay_jobs_created_total", "Jobs accepted by CreateJob.", ["analyzer"])
JOBS_REFUSED = prometheus_client.Counter(
    "assay_jobs_refused_total", "Field violations CreateJob refused, by analyzer and field (indexes dropped).",
    ["analyzer", "field"])
JOBS_FINISHED = prometheus_client.Counter(
    "assay_jobs_finished_total", "Jobs that reached a terminal state.", ["analyzer", "outcome"])
JOB_RETRIES = prometheus_client.Counter(
    "assay_job_retries_total", "Failed attempts re-queued for another try.", ["analyzer"])
JOB_DEAD_LETTERS = prometheus_client.Counter(
    "assay_job_dead_letters_total", "Jobs failed because the message bus gave up on them.", ["analyzer"])
ATTEMPT_DURATION = prometheus_client.Histogram(
    "assay_job_attempt_duration_seconds", "Duration of finished attempts.", ["analyzer", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900))
OUTBOX_PUBLISHED = prometheus_client.Counter(
    "assay_outbox_published_total", "Outbox messages published to JetStream.")
OUTBOX_LAG = prometheus_client.Gauge(
    "assay_outbox_lag_seconds", "Age of the oldest unpublished outbox message.")
CAPABILITIES_RENEWED = prometheus_client.Counter(
    "assay_job_capabilities_renewed_total",
    "Attempts StartJob admitted on an expired (authentic) work-message capability, answering a fresh one.")
LEASES_REAPED = prometheus_client.Counter(
    "assay_leases_reaped_total", "Running jobs settled by the reaper after their lease expired.")
ATTEMPTS_RELEASED = prometheus_client.Counter(
    "assay_attempts_released_total",
    "Running attempts settled at once because a restarted worker process of their slot released them.")
CACHE_READS = prometheus_client.Counter(
    "assay_jobs_cache_reads_total", "GetJob answers from the in-memory job cache (hit) or the database (miss).",
    ["result"])
DEPENDENTS_SETTLED = prometheus_client.Counter(
    "assay_job_dependents_settled_total",
    "WAITING jobs settled by their dependencies: queued (all succeeded) or failed (DEPENDENCY_FAILED).",
    ["outcome"])
JOBS_HELD = prometheus_client.Gauge(
    "assay_jobs_held", "Queued jobs held for the dispatcher (their work message not written yet).", ["analyzer"])
JOBS_DISPATCHED = prometheus_client.Counter(
    "assay_jobs_dispatched_total", "Held jobs whose work message the dispatcher wrote (fair share).", ["analyzer"])
JOBS_DISPATCHED_AT_CREATE = prometheus_client.Counter(
    "assay_jobs_dispatched_at_create_total",
    "New jobs whose work message their CreateJob transaction wrote (not held for a dispatch round).", ["analyzer"])
JOBS_DISPATCHED_AHEAD = prometheus_client.Counter(
    "assay_jobs_dispatched_ahead_total",
    "Jobs of a tenant with nothing of the analyzer in flight, dispatched ahead of its waiting backlog.", ["analyzer"])
JOB_HOLD_SECONDS = prometheus_client.Histogram(
    "assay_job_hold_seconds", "How long a job was held before its dispatch.", ["analyzer"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600))
