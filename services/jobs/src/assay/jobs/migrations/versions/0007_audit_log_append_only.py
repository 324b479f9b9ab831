"""The audit log is append-only, enforced in PostgreSQL: UPDATE, DELETE and TRUNCATE of
jobs.audit_log raise for every role (the service's own included); and its newest-first listing.

Revision ID: 0007
Revises: 0008b
Create Date: 2026-12-04
"""

from alembic import op

revision = "0007"
down_revision = "0008b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION jobs.audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'jobs.audit_log is append-only: % is not allowed', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
    """)
    op.execute("CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON jobs.audit_log "
               "FOR EACH ROW EXECUTE FUNCTION jobs.audit_log_append_only()")
    op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON jobs.audit_log "
               "FOR EACH STATEMENT EXECUTE FUNCTION jobs.audit_log_append_only()")
    op.execute("CREATE INDEX audit_log_tenant_newest ON jobs.audit_log (tenant_id, at DESC, id DESC)")


def downgrade() -> None:
    op.execute("DROP INDEX jobs.audit_log_tenant_newest")
    op.execute("DROP TRIGGER audit_log_no_truncate ON jobs.audit_log")
    op.execute("DROP TRIGGER audit_log_no_change ON jobs.audit_log")
    op.execute("DROP FUNCTION jobs.audit_log_append_only()")
