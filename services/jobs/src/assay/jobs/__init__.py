"""The jobs service: job state in PostgreSQL, lifecycle over gRPC, events to JetStream."""
