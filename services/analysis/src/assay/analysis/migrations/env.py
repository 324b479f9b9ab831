"""Alembic environment of the ``index`` schema."""

from assay.common.migrations import run_env

run_env()
