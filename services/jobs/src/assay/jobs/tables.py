"""The ``jobs`` schema as SQLAlchemy Core tables (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

metadata = MetaData(schema="jobs")

jobs = Table(
    "jobs", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("analyzer", Text, nullable=False),
    Column("analyzer_version", Text, nullable=False),
    Column("params", JSONB, nullable=False),
    Column("inputs", JSONB, nullable=False),
    Column("state", Text, nullable=False),
    Column("progress", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("request_id", Text),
    Column("request_hash", Text),
    Column("cancel_requested", Boolean, nullable=False),
    Column("lease_expires_at", DateTime(timezone=True)),
    Column("result", JSONB),
    Column("artifacts", JSONB, nullable=False),
    Column("error", JSONB),
    Column("trace_id", Text, nullable=False),
    Column("event_seq", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("pipeline_id", UUID(as_uuid=True)),
    Column("pipeline_index", Integer),
    Column("secret_params", JSONB),  # debug_redact params: StartJob only, cleared at the end (secret_params.py)
    Column("end_traceparent", Text),  # the span that ended the job: its dependents' release links to it
    Column("deleting_at", DateTime(timezone=True)),  # a deletion began (deletion.py): finished by a repeat
    Column("cache_key", Text),  # analyzer, params and input content digest (result_cache.py)
    Column("cached_from", UUID(as_uuid=True)),  # the succeeded job this one was answered from
)

outbox = Table(
    "outbox", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("subject", Text, nullable=False),
    Column("msg_id", Text, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("traceparent", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("tenant_id", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("job_id", UUID(as_uuid=True)),
    Column("details", JSONB, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("roles", ARRAY(Text), nullable=False),
    Column("peer", Text, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("resource", Text, nullable=False),
    Column("outcome", Text, nullable=False),
)

dependencies = Table(
    "dependencies", metadata,
    Column("job_id", UUID(as_uuid=True), primary_key=True),
    Column("depends_on", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("position", Integer, nullable=False),
)
"""Which job waits for which (``inputs.jobs``): one row per dependency of a WAITING job."""

pipelines = Table(
    "pipelines", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("request_id", Text),
    Column("request_hash", Text),
)
"""Jobs created together by CreatePipeline (``jobs.pipeline_id``); ``request_id`` is unique per tenant."""

released_files = Table(
    "released_files", metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("file_id", UUID(as_uuid=True), primary_key=True),
    Column("released_at", DateTime(timezone=True), nullable=False),
)
