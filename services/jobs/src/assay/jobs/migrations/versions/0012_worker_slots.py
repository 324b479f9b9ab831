"""The worker slot and boot id of each running attempt: a restarted worker (same slot, another boot)
releases its predecessor's attempts at once instead of waiting for their leases (issue 20).

Both columns are empty for attempts started by workers without a slot, and for every existing job.

Revision ID: 0012
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN worker_slot text, ADD COLUMN worker_boot text")
    op.execute("CREATE INDEX jobs_running_worker_slot ON jobs.jobs (worker_slot) "
               "WHERE state = 'RUNNING' AND worker_slot IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX jobs.jobs_running_worker_slot")
    op.execute("ALTER TABLE jobs.jobs DROP COLUMN worker_slot, DROP COLUMN worker_boot")
