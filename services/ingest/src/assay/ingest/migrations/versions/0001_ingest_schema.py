"""Create the files and submissions tables with tenant row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE ingest.files (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            created_by text NOT NULL,
            object_key text NOT NULL UNIQUE,
            display_name text NOT NULL,
            media_type text NOT NULL,
            size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
            sha256 text NOT NULL,
            scan_status text NOT NULL CHECK (scan_status IN ('UNSCANNED', 'CLEAN')),
            job_id uuid,
            created_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # ListFiles: newest first per tenant (keyset on created_at, id).
    op.execute("CREATE INDEX files_tenant_created ON ingest.files (tenant_id, created_at DESC, id DESC)")
    for statement in rls_policy_sql("ingest.files"):
        op.execute(statement)

    # SubmitDocument idempotency: a request_id maps to one stored file and, once created, one job.
    op.execute("""
        CREATE TABLE ingest.submissions (
            tenant_id text NOT NULL,
            request_id text NOT NULL,
            file_id uuid NOT NULL,
            analyzer text NOT NULL,
            job_id uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, request_id)
        )
    """)
    for statement in rls_policy_sql("ingest.submissions"):
        op.execute(statement)
