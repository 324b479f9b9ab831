"""Each job's end: the traceparent of the span that moved it to a terminal state, so the release of a job
waiting for several dependencies links to every dependency's end (not only the last one's).

A separate revision from 0008 (already applied where main ran): existing jobs get no value and their
dependents' releases link only to the transition at hand, as before.

Revision ID: 0008b
Revises: 0008
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008b"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN end_traceparent text")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs DROP COLUMN end_traceparent")
