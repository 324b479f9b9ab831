"""Data lifecycle: deleting jobs, the result cache, and a complete audit log.

- ``jobs.deleting_at``: set when DeleteJob (or a cascade, or the retention sweep) starts deleting a
  finished job; such a job is never retried nor used as a cache source, and a repeated deletion
  completes what a crash interrupted.
- ``jobs.cache_key`` / ``jobs.cached_from``: the digest of analyzer, params and input content a
  succeeded job can answer later jobs with, and, on a job answered that way, its source.
- ``audit_log``: who (roles), from where (peer), which request (request_id), the resource acted on
  and the outcome; ``job_id`` becomes optional (a sweep or a refused call names no job).

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-04
"""

from alembic import op

revision = "0010"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN deleting_at timestamptz, ADD COLUMN cache_key text, "
               "ADD COLUMN cached_from uuid")
    op.execute("CREATE INDEX jobs_result_cache ON jobs.jobs (tenant_id, cache_key, ended_at DESC) "
               "WHERE state = 'SUCCEEDED' AND cache_key IS NOT NULL AND deleting_at IS NULL")
    op.execute("CREATE INDEX jobs_cached_from ON jobs.jobs (cached_from) WHERE cached_from IS NOT NULL")
    op.execute("CREATE INDEX jobs_ended ON jobs.jobs (ended_at) WHERE ended_at IS NOT NULL")
    op.execute("CREATE INDEX jobs_artifact_files ON jobs.jobs USING gin (artifacts jsonb_path_ops)")
    op.execute("ALTER TABLE jobs.audit_log ALTER COLUMN job_id DROP NOT NULL, "
               "ADD COLUMN roles text[] NOT NULL DEFAULT '{}', ADD COLUMN peer text NOT NULL DEFAULT '', "
               "ADD COLUMN request_id text NOT NULL DEFAULT '', ADD COLUMN resource text NOT NULL DEFAULT '', "
               "ADD COLUMN outcome text NOT NULL DEFAULT 'OK'")
    op.execute("CREATE INDEX audit_log_tenant_outcome ON jobs.audit_log (tenant_id, outcome, at DESC)")


def downgrade() -> None:
    op.execute("DROP INDEX jobs.audit_log_tenant_outcome")
    op.execute("ALTER TABLE jobs.audit_log DROP COLUMN roles, DROP COLUMN peer, DROP COLUMN request_id, "
               "DROP COLUMN resource, DROP COLUMN outcome")
    op.execute("DROP INDEX jobs.jobs_artifact_files")
    op.execute("DROP INDEX jobs.jobs_ended")
    op.execute("DROP INDEX jobs.jobs_cached_from")
    op.execute("DROP INDEX jobs.jobs_result_cache")
    op.execute("ALTER TABLE jobs.jobs DROP COLUMN deleting_at, DROP COLUMN cache_key, DROP COLUMN cached_from")
