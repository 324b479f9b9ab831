"""Alembic environment of the ``ingest`` schema."""

from assay.common.migrations import run_env

run_env()
