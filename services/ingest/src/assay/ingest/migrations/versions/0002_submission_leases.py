"""Submission claims get a lease and a fingerprint of the request they were made for.

A claim whose lease has expired (its upload stopped progressing, or the process holding it died)
is taken over by the next retry; ``claim_id`` fences the old holder out. ``request_digest`` is the
sha256 of the submission's header (request_id aside), compared on every retry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE ingest.submissions ADD COLUMN claim_id uuid")
    op.execute("ALTER TABLE ingest.submissions ADD COLUMN lease_expires_at timestamptz NOT NULL DEFAULT now()")
    op.execute("ALTER TABLE ingest.submissions ADD COLUMN request_digest text NOT NULL DEFAULT ''")

