"""The ingest service: documents into object storage, validated."""
