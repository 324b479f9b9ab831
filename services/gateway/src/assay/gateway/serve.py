"""Serving the gateway app: uvicorn (+ httptools), in one or several processes on one port.

uvicorn runs ``GatewaySettings.gateway_processes`` serving processes through its own worker
model: one process binds the listening socket, the serving processes share it, and the parent
stops them on SIGTERM (each finishing its requests and running the app's lifespan shutdown).
With one process uvicorn serves in the process itself. granian (Rust, hyper) was measured against
it and cost more gateway CPU per job and per refusal (bench/README.md, "The gateway's HTTP server").

Every serving process builds its own app (``app_from_environment``): its own upstream channels, job
view and rate limiter, logging, tracer provider and /metrics side server (ports
``metrics_port`` … ``metrics_port + processes - 1``, first free, so one scrape port per process).
"""

from __future__ import annotations

import logging
from typing import Any

import uvicorn
from fastapi import FastAPI

from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.telemetry import setup_telemetry
from assay.gateway.app import create_app
from assay.gateway.config import GatewaySettings

logger = logging.getLogger(__name__)

APP_FACTORY = "assay.gateway.serve:app_from_environment"
"""What each serving process imports and calls to get its app."""
LISTEN_BACKLOG = 2048
"""Pending connections the listening socket holds (uvicorn's default)."""


def app_from_environment() -> FastAPI:
    """One serving process's app, from the ``ASSAY_*`` environment, with its logging, tracing and
    metrics set up (in the serving process: a worker must not inherit its parent's exporter
    threads or gRPC state)."""
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level)
    setup_telemetry("gateway", settings)
    start_process_metrics_server(settings)
    return create_app(settings)


def start_process_metrics_server(settings: GatewaySettings) -> int:
    """This process's /metrics side server: ``metrics_port`` with one process; with several, the
    first free port of ``metrics_port`` … ``metrics_port + processes - 1`` (-1 when all are
    taken, e.g. by a worker that is still stopping, or when metrics are off)."""
    if settings.metrics_port <= 0 or settings.gateway_processes == 1:
        return start_metrics_server(settings.http_host, settings.metrics_port)
    for port in range(settings.metrics_port, settings.metrics_port + settings.gateway_processes):
        try:
            return start_metrics_server(settings.http_host, port)
        except OSError:
            continue
    logger.warning("no free /metrics port in %d-%d: this gateway process serves none", settings.metrics_port,
                   settings.metrics_port + settings.gateway_processes - 1)
    return -1


def uvicorn_options(settings: GatewaySettings) -> dict[str, Any]:
    """uvicorn's settings for ``settings`` (backlog: ``LISTEN_BACKLOG``).

    HTTP/1.1 is parsed by httptools (~10% less gateway CPU per status read than h11); the event loop
    stays asyncio's (uvloop measured no better, and grpc.aio shares the loop). uvicorn's own access
    log is off: the gateway's FrontMiddleware logs requests by outcome. With ``workers`` > 1
    uvicorn's supervisor binds the socket and spawns the serving processes (restarting one that dies).
    """
    return {"host": settings.http_host, "port": settings.http_port, "log_config": None, "proxy_headers": False,
            "server_header": False, "timeout_keep_alive": settings.http_keep_alive_seconds,
            "http": "httptools", "loop": "asyncio", "access_log": False, "backlog": LISTEN_BACKLOG,
            "factory": True, "workers": settings.gateway_processes}


def serve(settings: GatewaySettings) -> None:
    """Serve until SIGTERM/SIGINT with the configured process count."""
    configure_logging("gateway", settings.log_level)
    logger.info("serving on uvicorn with %d process(es)", settings.gateway_processes)
    uvicorn.run(APP_FACTORY, **uvicorn_options(settings))
