-- The analysis service's `index` schema needs pgvector (vector type, HNSW index).
CREATE EXTENSION IF NOT EXISTS vector;
-- Its full-text search under row-level security: PostgreSQL uses an index only for leakproof
-- conditions, and `tsvector @@ tsquery` is not marked so (only a superuser may mark it; this
-- database only). The match returns a boolean and raises no error that depends on a row, so
-- evaluating it before the tenant policy reveals nothing; the policy still filters every row.
ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF;
