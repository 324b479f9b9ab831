"""Create the search index: collections, indexed documents and their chunks (pgvector + tsvector),
with tenant row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

from alembic import op

from assay.common.db import rls_policy_sql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DIMENSIONS = 384
"""all-MiniLM-L6-v2's sentence embeddings (the model contract_review ships)."""


def upgrade() -> None:
    # pgvector is not a trusted extension: on a fresh database a superuser (the PostgreSQL image's
    # init script, ``assay dev``, the test harness) creates it first, and IF NOT EXISTS is then a
    # no-op any owner may run. A role that may create it (a superuser) gets it here.
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute("""
        CREATE TABLE "index".collections (
            id uuid PRIMARY KEY,
            tenant_id text NOT NULL,
            name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            description text NOT NULL DEFAULT '',
            created_by text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (tenant_id, name)
        )
    """)
    op.execute("""
        CREATE TABLE "index".documents (
            tenant_id text NOT NULL,
            collection_id uuid NOT NULL REFERENCES "index".collections (id) ON DELETE CASCADE,
            file_id uuid NOT NULL,
            display_name text NOT NULL,
            media_type text NOT NULL,
            job_id uuid NOT NULL,
            chunk_count integer NOT NULL,
            indexed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (collection_id, file_id)
        )
    """)
    # Deleting a file removes it from every collection of its tenant.
    op.execute('CREATE INDEX documents_file ON "index".documents (tenant_id, file_id)')
    op.execute(f"""
        CREATE TABLE "index".chunks (
            id bigserial PRIMARY KEY,
            tenant_id text NOT NULL,
            collection_id uuid NOT NULL,
            file_id uuid NOT NULL,
            ordinal integer NOT NULL,
            kind text NOT NULL CHECK (kind IN ('text', 'table_row')),
            heading text NOT NULL DEFAULT '',
            content text NOT NULL,
            page integer NOT NULL DEFAULT 0,
            paragraph integer NOT NULL DEFAULT 0,
            start_offset integer NOT NULL DEFAULT 0,
            end_offset integer NOT NULL DEFAULT 0,
            embedding vector({DIMENSIONS}) NOT NULL,
            tsv tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', heading), 'B') || to_tsvector('english', content)
            ) STORED,
            FOREIGN KEY (collection_id, file_id)
                REFERENCES "index".documents (collection_id, file_id) ON DELETE CASCADE
        )
    """)
    op.execute('CREATE INDEX chunks_file ON "index".chunks (collection_id, file_id, ordinal)')
    op.execute('CREATE INDEX chunks_embedding ON "index".chunks USING hnsw (embedding vector_cosine_ops)')
    op.execute('CREATE INDEX chunks_tsv ON "index".chunks USING gin (tsv)')
    for table in ('"index".collections', '"index".documents', '"index".chunks'):
        for statement in rls_policy_sql(table):
            op.execute(statement)
