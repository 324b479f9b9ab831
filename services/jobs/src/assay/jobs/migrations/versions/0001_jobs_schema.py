"""Create the jobs, outbox and audit_log tables with tenant row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATES = "'QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'"


def upgrade() -> None:
    op.execute(f"""
        CREATE TABLE jobs.jobs (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            created_by text NOT NULL,
            analyzer text NOT NULL,
            analyzer_version text NOT NULL DEFAULT '',
            params jsonb NOT NULL,
            inputs jsonb NOT NULL,
            state text NOT NULL CHECK (state IN ({STATES})),
            progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
            attempt integer NOT NULL DEFAULT 0,
            max_attempts integer NOT NULL,
            priority integer NOT NULL DEFAULT 0,
            request_id text,
            request_hash text,
            cancel_requested boolean NOT NULL DEFAULT false,
            lease_expires_at timestamptz,
            result jsonb,
            artifacts jsonb NOT NULL DEFAULT '[]',
            error jsonb,
            trace_id text NOT NULL DEFAULT '',
            event_seq bigint NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            ended_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now(),
            next_attempt_at timestamptz,
            CONSTRAINT jobs_request_id_unique UNIQUE (tenant_id, request_id)
        )
    """)
    # ListJobs: newest first per tenant, optionally by state or analyzer (keyset on created_at, id).
    op.execute("CREATE INDEX jobs_tenant_created ON jobs.jobs (tenant_id, created_at DESC, id DESC)")
    op.execute("CREATE INDEX jobs_tenant_state_created ON jobs.jobs "
               "(tenant_id, state, created_at DESC, id DESC)")
    op.execute("CREATE INDEX jobs_tenant_analyzer_created ON jobs.jobs "
               "(tenant_id, analyzer, created_at DESC, id DESC)")
    # The reaper's scan of expired leases.
    op.execute("CREATE INDEX jobs_running_lease ON jobs.jobs (lease_expires_at) WHERE state = 'RUNNING'")
    # "Is this file used by an active job?" (ingest's DeleteFile asks).
    op.execute("CREATE INDEX jobs_input_files ON jobs.jobs USING gin ((inputs -> 'file_ids'))")
    for statement in rls_policy_sql("jobs.jobs"):
        op.execute(statement)

    op.execute("""
        CREATE TABLE jobs.outbox (
            id bigserial PRIMARY KEY,
            subject text NOT NULL,
            msg_id text NOT NULL,
            payload bytea NOT NULL,
            traceparent text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # The relay LISTENs on this channel, so a committed event is published without polling delay.
    op.execute("""
        CREATE FUNCTION jobs.notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('assay_outbox', '');
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER outbox_notify AFTER INSERT ON jobs.outbox "
               "FOR EACH STATEMENT EXECUTE FUNCTION jobs.notify_outbox()")
    op.execute("""
        CREATE TABLE jobs.audit_log (
            id bigserial PRIMARY KEY,
            tenant_id text NOT NULL,
            actor text NOT NULL,
            action text NOT NULL,
            job_id uuid NOT NULL,
            details jsonb NOT NULL DEFAULT '{}',
            at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("CREATE INDEX audit_log_tenant_job ON jobs.audit_log (tenant_id, job_id, at)")
    for statement in rls_policy_sql("jobs.audit_log"):
        op.execute(statement)
