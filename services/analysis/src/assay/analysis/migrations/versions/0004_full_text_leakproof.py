"""Let the full-text search use its GIN index under row-level security, where the migrating role may.

PostgreSQL applies a row-level security policy before any condition of the query that is not
leakproof, and uses an index only for conditions it may apply first; ``tsvector @@ tsquery``
(``ts_match_vq``) is not marked leakproof, so AskQuestion's full-text search read the tenant's
whole collection. Only a superuser may mark a function leakproof: a superuser running this
migration marks it (in this database only); otherwise whoever created the ``vector`` extension
does it (``assay dev``, the test harness, ``deploy/k8s/postgres/pgvector.sql``), and the service
logs a warning at startup while it is not marked (``IndexStore.full_text_uses_index``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        DO $$
        BEGIN
            IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
                ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
            END IF;
        END
        $$
    """)
