"""The container command every gRPC service shares: ``python -m assay.<service> [serve|migrate|provision]``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from assay.common.config import CommonSettings
from assay.common.grpc_server import RunningService, wait_for_shutdown_signal
from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.telemetry import setup_telemetry

S = TypeVar("S", bound=CommonSettings)


async def serve(start: Callable[[S], Awaitable[RunningService]], settings: S) -> None:
    """The metrics side server, then the service until SIGTERM or SIGINT, then a graceful stop."""
    start_metrics_server(settings.grpc_host, settings.metrics_port)
    running = await start(settings)
    await wait_for_shutdown_signal()
    await running.stop()


def run_service(
    service: str,
    settings_type: Callable[[], S],
    start: Callable[[S], Awaitable[RunningService]],
    *,
    description: str | None = None,
    migrate: Callable[[S], None] | None = None,
    provision: Callable[[S], None] | None = None,
) -> None:
    """Parse the command, read the settings, set up logging and tracing, then run the command.

    ``serve`` (the default) runs ``start``; ``migrate`` and ``provision`` exist where given.
    """
    commands = {"migrate": migrate, "provision": provision}
    parser = argparse.ArgumentParser(prog=f"python -m assay.{service}", description=description)
    parser.add_argument("command", nargs="?", default="serve",
                        choices=["serve", *(name for name, run in commands.items() if run is not None)])
    command = parser.parse_args().command
    settings = settings_type()
    configure_logging(service, settings.log_level)
    setup_telemetry(service, settings)
    chosen = commands.get(command)
    if chosen is not None:
        chosen(settings)
    else:
        asyncio.run(serve(start, settings))
