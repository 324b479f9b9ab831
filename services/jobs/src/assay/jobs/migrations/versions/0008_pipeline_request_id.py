"""CreatePipeline idempotency: a pipeline's request_id (unique per tenant) and the digest of its request.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.pipelines ADD COLUMN request_id text")
    op.execute("ALTER TABLE jobs.pipelines ADD COLUMN request_hash text")
    op.execute("ALTER TABLE jobs.pipelines ADD CONSTRAINT pipelines_tenant_request UNIQUE (tenant_id, request_id)")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs.pipelines DROP CONSTRAINT pipelines_tenant_request")
    op.execute("ALTER TABLE jobs.pipelines DROP COLUMN request_hash")
    op.execute("ALTER TABLE jobs.pipelines DROP COLUMN request_id")
