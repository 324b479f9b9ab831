"""``python -m assay.gateway``: serve the REST gateway with uvicorn."""

from __future__ import annotations

import uvicorn

from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.telemetry import setup_telemetry
from assay.gateway.app import create_app
from assay.gateway.config import GatewaySettings


def main() -> None:
    """Read settings from the environment and serve until SIGTERM."""
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    setup_telemetry("gateway")
    start_metrics_server(settings.http_host, settings.metrics_port)
    uvicorn.run(create_app(settings), host=settings.http_host, port=settings.http_port,
                log_config=None, proxy_headers=False, server_header=False)


if __name__ == "__main__":
    main()
