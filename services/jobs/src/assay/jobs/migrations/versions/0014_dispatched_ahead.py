"""Whether a queued job's work message went ahead of the backlog (on the analyzer's top-priority
subject) rather than on its own priority's: the dispatcher lets a tenant send another job ahead
while every message it has waiting is ahead too, so its jobs keep their order (issue 22).

False for every existing job: their messages were written on their own priority's subject, or went
ahead while only one per tenant could (the rule before this one holds for those).

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-05
"""

from alembic import op

revision = "0014"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN dispatched_ahead boolean NOT NULL DEFAULT false")


def downgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs DROP COLUMN dispatched_ahead")
