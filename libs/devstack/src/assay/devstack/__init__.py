"""``assay dev``: the whole of Assay on one machine, with embedded PostgreSQL, NATS and S3."""
