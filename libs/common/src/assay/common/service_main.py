"""The container command every gRPC service shares: ``python -m assay.<service> [serve|migrate|provision]``."""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from assay.common.config import CommonSettings
from assay.common.grpc_server import RunningService, wait_for_shutdown_signal
from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.serving_processes import ServingProcesses
from assay.common.telemetry import setup_telemetry

S = TypeVar("S", bound=CommonSettings)
logger = logging.getLogger(__name__)


async def serve(start: Callable[[S], Awaitable[RunningService]], settings: S, *,
                metrics_optional: bool = False) -> None:
    """The metrics side server, then the service until SIGTERM or SIGINT, then a graceful stop.
    ``metrics_optional``: a metrics port in use is logged and the process serves without one."""
    try:
        start_metrics_server(settings.grpc_host, settings.metrics_port)
    except OSError:
        if not metrics_optional:
            raise
        logger.warning("metrics port %d in use: this serving process has no /metrics", settings.metrics_port)
    running = await start(settings)
    await wait_for_shutdown_signal()
    await running.stop()


def serve_one(service: str, settings_type: Callable[[], S], start: Callable[[S], Awaitable[RunningService]],
              index: int) -> None:
    """One of several serving processes (``ServingProcesses``' target): its settings from the
    environment, the shared port bound with ``SO_REUSEPORT``, its own metrics port (``metrics_port``
    + ``index``) and ``serving_process`` index, logging and tracing set up here, in the serving process."""
    settings = settings_type()
    metrics_port = settings.metrics_port + index if settings.metrics_port > 0 else settings.metrics_port
    settings = settings.model_copy(update={"grpc_reuse_port": True, "metrics_port": metrics_port,
                                           "serving_process": index})
    configure_logging(service, settings.log_level)
    setup_telemetry(service, settings)
    asyncio.run(serve(start, settings, metrics_optional=True))


def run_service(
    service: str,
    settings_type: Callable[[], S],
    start: Callable[[S], Awaitable[RunningService]],
    *,
    description: str | None = None,
    migrate: Callable[[S], None] | None = None,
    provision: Callable[[S], None] | None = None,
    processes: Callable[[S], int] | None = None,
) -> None:
    """Parse the command, read the settings, set up logging and tracing, then run the command.

    ``serve`` (the default) runs ``start``, in ``processes(settings)`` serving processes sharing the
    port when that is more than one (``assay.common.serving_processes``: this process supervises);
    ``migrate`` and ``provision`` exist where given.
    """
    commands = {"migrate": migrate, "provision": provision}
    parser = argparse.ArgumentParser(prog=f"python -m assay.{service}", description=description)
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", *(name for name, run in commands.items() if run is not None)])
    command = parser.parse_args().command
    settings = settings_type()
    configure_logging(service, settings.log_level)
    count = 1 if processes is None or command != "serve" else processes(settings)
    if count > 1:
        if settings.grpc_port == 0:
            parser.error(f"{count} serving processes share one port: ASSAY_GRPC_PORT must name it (not 0)")
        raise SystemExit(ServingProcesses(count, functools.partial(serve_one, service, settings_type, start),
                                          stop_seconds=settings.shutdown_grace_seconds + 10).run())
    setup_telemetry(service, settings)
    chosen = commands.get(command)
    if chosen is not None:
        chosen(settings)
    else:
        asyncio.run(serve(start, settings))
