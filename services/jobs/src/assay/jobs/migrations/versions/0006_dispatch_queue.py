"""Held work: QUEUED jobs whose work message the dispatcher has not written yet (fair share).

A job that needs a work message is held in ``jobs.dispatch_queue`` instead; the dispatcher moves
held jobs into the outbox by weighted fair share across tenants (``assay.jobs.fair_share``). A
trigger removes a job's entry when it leaves QUEUED (started, cancelled) and, with the queue's own
insert trigger, wakes the dispatcher (``NOTIFY assay_dispatch``) whenever a place may have freed.
Jobs queued before this revision already have their work message and are simply in flight.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import SYSTEM_SETTING, rls_policy_sql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE jobs.dispatch_queue (
            job_id uuid PRIMARY KEY REFERENCES jobs.jobs (id) ON DELETE CASCADE,
            tenant_id text NOT NULL,
            analyzer text NOT NULL,
            priority integer NOT NULL,
            created_at timestamptz NOT NULL,
            traceparent text NOT NULL DEFAULT '',
            held_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # A tenant's next held jobs of an analyzer: priority, then age.
    op.execute("CREATE INDEX dispatch_queue_next ON jobs.dispatch_queue "
               "(analyzer, tenant_id, priority DESC, created_at, job_id)")
    for statement in rls_policy_sql("jobs.dispatch_queue"):
        op.execute(statement)
    # What is in flight (dispatched, not finished), counted per tenant and analyzer each round.
    op.execute("CREATE INDEX jobs_in_flight ON jobs.jobs (analyzer, tenant_id) "
               "WHERE state IN ('QUEUED', 'RUNNING')")
    op.execute("""
        CREATE FUNCTION jobs.notify_dispatch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('assay_dispatch', '');
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER dispatch_queue_notify AFTER INSERT ON jobs.dispatch_queue "
               "FOR EACH STATEMENT EXECUTE FUNCTION jobs.notify_dispatch()")
    op.execute("""
        CREATE FUNCTION jobs.job_left_flight() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.state = 'QUEUED' THEN
                DELETE FROM jobs.dispatch_queue WHERE job_id = NEW.id;
            END IF;
            PERFORM pg_notify('assay_dispatch', '');
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER jobs_left_flight AFTER UPDATE OF state ON jobs.jobs FOR EACH ROW "
               "WHEN (OLD.state IN ('QUEUED', 'RUNNING') AND NEW.state IS DISTINCT FROM OLD.state) "
               "EXECUTE FUNCTION jobs.job_left_flight()")


def downgrade() -> None:
    # Held jobs have no work message yet, and before this revision nothing would ever write one.
    op.execute(f"SELECT set_config('{SYSTEM_SETTING}', 'on', true)")
    op.execute("""
        DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM jobs.dispatch_queue) THEN
                RAISE EXCEPTION 'jobs are held for dispatch; let the dispatcher empty jobs.dispatch_queue first';
            END IF;
        END $$
    """)
    op.execute("DROP TRIGGER jobs_left_flight ON jobs.jobs")
    op.execute("DROP FUNCTION jobs.job_left_flight()")
    op.execute("DROP TRIGGER dispatch_queue_notify ON jobs.dispatch_queue")
    op.execute("DROP FUNCTION jobs.notify_dispatch()")
    op.execute("DROP INDEX jobs.jobs_in_flight")
    op.execute("DROP TABLE jobs.dispatch_queue")
