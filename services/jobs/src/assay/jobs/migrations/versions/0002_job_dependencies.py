"""Job dependencies: the WAITING state and ``jobs.dependencies`` (which job waits for which).

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

STATES = "'WAITING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'"
OLD_STATES = "'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'"


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs DROP CONSTRAINT jobs_state_check")
    op.execute(f"ALTER TABLE jobs.jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ({STATES}))")
    # One row per (waiting job, job it waits for); position is the index in inputs.jobs.
    op.execute("""
        CREATE TABLE jobs.dependencies (
            job_id uuid NOT NULL REFERENCES jobs.jobs (id),
            depends_on uuid NOT NULL REFERENCES jobs.jobs (id),
            tenant_id text NOT NULL,
            position integer NOT NULL,
            PRIMARY KEY (job_id, depends_on)
        )
    """)
    # "Which jobs wait for this one?", asked by every terminal transition.
    op.execute("CREATE INDEX dependencies_depends_on ON jobs.dependencies (depends_on)")
    for statement in rls_policy_sql("jobs.dependencies"):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE jobs.dependencies")
    op.execute("ALTER TABLE jobs.jobs DROP CONSTRAINT jobs_state_check")
    op.execute(f"ALTER TABLE jobs.jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ({OLD_STATES}))")
