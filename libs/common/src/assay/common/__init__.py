"""Shared building blocks for every Assay service: config, logging, errors, auth, gRPC, DB, NATS."""
