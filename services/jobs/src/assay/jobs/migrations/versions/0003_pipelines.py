"""Pipelines: ``jobs.pipelines`` and each job's pipeline and position in it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE jobs.pipelines (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    for statement in rls_policy_sql("jobs.pipelines"):
        op.execute(statement)
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN pipeline_id uuid REFERENCES jobs.pipelines (id)")
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN pipeline_index integer")
    op.execute("CREATE INDEX jobs_pipeline ON jobs.jobs (pipeline_id, pipeline_index) WHERE pipeline_id IS NOT NULL")
