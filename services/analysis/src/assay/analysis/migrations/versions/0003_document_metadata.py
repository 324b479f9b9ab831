"""Per-document metadata and upload time, so AskQuestion can filter by them (DocumentFilter).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # metadata: what the index analyzer read of the document (format, document_type, a dependency's
    # analyzer, table and statement_type) and the job's own IndexParams.metadata; matched with @>.
    # uploaded_at: when the file was uploaded (a dependency's table: when its job produced it);
    # NULL for documents indexed before this revision.
    op.execute("""ALTER TABLE "index".documents ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}',
                  ADD COLUMN uploaded_at timestamptz""")
