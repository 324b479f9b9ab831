"""The ``index`` schema's Alembic migrations (the search index analysis writes and reads):
``env.py`` and ``versions/`` live beside this module."""

from __future__ import annotations

from pathlib import Path

from assay.common import migrations

SCRIPT_LOCATION = Path(__file__).parent
"""Alembic's script location for the ``index`` schema."""
SCHEMA = "index"


def upgrade(database_url: str) -> None:
    """Apply every pending migration of the ``index`` schema; safe to run concurrently and repeatedly."""
    migrations.upgrade(SCRIPT_LOCATION, database_url, SCHEMA)
