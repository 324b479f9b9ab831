"""Webhooks: per-tenant subscriptions, their deliveries (an outbox of HTTP messages) and attempts.

A delivery row is inserted in the transaction of the state change it reports (a job's terminal
transition, a pipeline's last job ending), so a committed change is delivered at least once,
whatever restarts. Delivery loops of every jobs replica claim due rows with ``FOR UPDATE SKIP
LOCKED`` and a lease (``next_attempt_at`` moved past the send), so no two send one attempt. The
signing secret is stored encrypted (Fernet). Every table has the tenant row-level security policy.
``audit_log.job_id`` becomes nullable: webhook changes are audited without a job.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE jobs.webhook_subscriptions (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            url text NOT NULL,
            event_types text[] NOT NULL,
            description text NOT NULL DEFAULT '',
            secret_sealed text NOT NULL,
            enabled boolean NOT NULL DEFAULT true,
            disabled_reason text NOT NULL DEFAULT '',
            failing_since timestamptz,
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("CREATE INDEX webhook_subscriptions_tenant ON jobs.webhook_subscriptions "
               "(tenant_id, created_at DESC, id DESC)")
    op.execute("""
        CREATE TABLE jobs.webhook_deliveries (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            subscription_id uuid NOT NULL REFERENCES jobs.webhook_subscriptions (id) ON DELETE CASCADE,
            message_id text NOT NULL,
            event_type text NOT NULL,
            payload text NOT NULL,
            job_id uuid,
            pipeline_id uuid,
            state text NOT NULL DEFAULT 'PENDING',
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL DEFAULT now(),
            redelivery_of uuid,
            traceparent text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    # The delivery loop's claim: due pending rows, oldest first.
    op.execute("CREATE INDEX webhook_deliveries_due ON jobs.webhook_deliveries (next_attempt_at) "
               "WHERE state = 'PENDING'")
    op.execute("CREATE INDEX webhook_deliveries_log ON jobs.webhook_deliveries "
               "(subscription_id, created_at DESC, id DESC)")
    # The log's pruning: finished deliveries past the retention.
    op.execute("CREATE INDEX webhook_deliveries_finished ON jobs.webhook_deliveries (created_at) "
               "WHERE state <> 'PENDING'")
    op.execute("""
        CREATE TABLE jobs.webhook_attempts (
            delivery_id uuid NOT NULL REFERENCES jobs.webhook_deliveries (id) ON DELETE CASCADE,
            attempt integer NOT NULL,
            tenant_id text NOT NULL,
            at timestamptz NOT NULL,
            status_code integer NOT NULL DEFAULT 0,
            latency_ms double precision NOT NULL,
            error text NOT NULL DEFAULT '',
            PRIMARY KEY (delivery_id, attempt)
        )
    """)
    # Wakes the delivery loops of every jobs replica (LISTEN assay_webhooks) when deliveries are queued.
    op.execute("""
        CREATE FUNCTION jobs.notify_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('assay_webhooks', '');
            RETURN NULL;
        END $$
    """)
    op.execute("CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON jobs.webhook_deliveries "
               "FOR EACH STATEMENT EXECUTE FUNCTION jobs.notify_webhooks()")
    for table in ("jobs.webhook_subscriptions", "jobs.webhook_deliveries", "jobs.webhook_attempts"):
        for statement in rls_policy_sql(table):
            op.execute(statement)
    op.execute("ALTER TABLE jobs.audit_log ALTER COLUMN job_id DROP NOT NULL")


def downgrade() -> None:
    op.execute("DROP TABLE jobs.webhook_attempts")
    op.execute("DROP TABLE jobs.webhook_deliveries")
    op.execute("DROP FUNCTION jobs.notify_webhooks()")
    op.execute("DROP TABLE jobs.webhook_subscriptions")
