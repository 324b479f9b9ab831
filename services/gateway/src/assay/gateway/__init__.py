"""The REST gateway: a thin HTTP/JSON translation of Assay's gRPC APIs for web clients."""
