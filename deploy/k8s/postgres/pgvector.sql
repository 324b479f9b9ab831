-- The analysis service's `index` schema needs pgvector (vector type, HNSW index).
CREATE EXTENSION IF NOT EXISTS vector;
