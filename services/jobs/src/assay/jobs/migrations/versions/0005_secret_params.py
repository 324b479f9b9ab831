"""Secret params (debug_redact fields such as a bank statement's password) in a column of their own,
handed only to the worker at StartJob and cleared when the job ends; existing rows' params are split.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import SYSTEM_SETTING

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE jobs.jobs ADD COLUMN secret_params jsonb")
    # Rows written before this revision: move bank_statement.password out of params (only while the
    # job can still run; a finished job's secret is simply dropped). Every tenant's rows: the
    # row-level security policy admits a system task (the migration's own transaction only).
    op.execute(f"SELECT set_config('{SYSTEM_SETTING}', 'on', true)")
    op.execute("""
        UPDATE jobs.jobs
        SET secret_params = CASE WHEN state IN ('WAITING', 'QUEUED', 'RUNNING')
                THEN jsonb_build_object('bank_statement',
                                        jsonb_build_object('password', params #> '{bank_statement,password}'))
            END,
            params = params #- '{bank_statement,password}'
        WHERE params #> '{bank_statement,password}' IS NOT NULL
    """)


def downgrade() -> None:
    op.execute(f"SELECT set_config('{SYSTEM_SETTING}', 'on', true)")
    op.execute("""
        UPDATE jobs.jobs SET params = jsonb_set(params, '{bank_statement,password}',
                                                secret_params #> '{bank_statement,password}')
        WHERE secret_params #> '{bank_statement,password}' IS NOT NULL
    """)
    op.execute("ALTER TABLE jobs.jobs DROP COLUMN secret_params")
