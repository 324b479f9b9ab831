"""Files released for deletion: CreateJob refuses them, decided under a per-file lock.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE jobs.released_files (
            tenant_id text NOT NULL,
            file_id uuid NOT NULL,
            released_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, file_id)
        )
    """)
    for statement in rls_policy_sql("jobs.released_files"):
        op.execute(statement)
