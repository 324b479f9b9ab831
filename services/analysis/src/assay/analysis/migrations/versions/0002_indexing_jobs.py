"""Record the index jobs running on a collection, so AskQuestion can say it answers from what is
indexed so far.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE "index".indexing (
            tenant_id text NOT NULL,
            collection_id uuid NOT NULL REFERENCES "index".collections (id) ON DELETE CASCADE,
            job_id uuid NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection_id, job_id)
        )
    """)
    for statement in rls_policy_sql('"index".indexing'):
        op.execute(statement)
