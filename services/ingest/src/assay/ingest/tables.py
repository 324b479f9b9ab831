"""The ``ingest`` schema as SQLAlchemy Core tables (the migrations create them)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import UUID

metadata = MetaData(schema="ingest")

files = Table(
    "files", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("object_key", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("media_type", Text, nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("scan_status", Text, nullable=False),
    Column("job_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

submissions = Table(
    "submissions", metadata,
    Column("tenant_id", Text, primary_key=True),
    Column("request_id", Text, primary_key=True),
    Column("file_id", UUID(as_uuid=True), nullable=False),
    Column("analyzer", Text, nullable=False),
    Column("job_id", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("claim_id", UUID(as_uuid=True)),
    Column("lease_expires_at", DateTime(timezone=True), nullable=False),
    Column("request_digest", Text, nullable=False),
)
