"""Alembic environment of the ``jobs`` schema."""

from assay.common.migrations import run_env

run_env()
