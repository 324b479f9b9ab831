"""Prometheus metrics shared by every service, and the /metrics side server."""

from __future__ import annotations

import prometheus_client

RPC_LATENCY = prometheus_client.Histogram(
    "assay_rpc_duration_seconds", "Server-side gRPC latency by method and status code.",
    ["method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

WORKER_REFUSALS = prometheus_client.Counter(
    "assay_worker_refusals", "Worker RPCs refused for their credential or job capability, by reason.", ["reason"],
)
"""A tenant token on a worker RPC (``WORKER_CREDENTIAL_REQUIRED``) or a capability that does not fit
(``CAPABILITY_*``): a steady rate means a misconfigured key, a burst someone probing."""


def start_metrics_server(host: str, port: int) -> int:
    """Serve /metrics on a side port; returns the bound port (``port=0`` picks one, -1 disables)."""
    if port < 0:
        return -1
    server, _thread = prometheus_client.start_http_server(port, addr=host)
    return int(server.server_port)
