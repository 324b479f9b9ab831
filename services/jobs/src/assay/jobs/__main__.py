"""``python -m assay.jobs [serve|migrate|provision]``: the jobs service's container command."""

from __future__ import annotations

import argparse
import asyncio

from assay.common.grpc_server import wait_for_shutdown_signal
from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.nats import connect_with_streams
from assay.common.telemetry import setup_telemetry
from assay.jobs import migrations, server
from assay.jobs.config import JobsSettings


async def serve(settings: JobsSettings) -> None:
    start_metrics_server(settings.grpc_host, settings.metrics_port)
    running = await server.start(settings)
    await wait_for_shutdown_signal()
    await running.stop()


async def provision(settings: JobsSettings) -> None:
    nc = await connect_with_streams(settings, "assay-jobs-provision")
    await nc.drain()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m assay.jobs", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "provision"])
    command = parser.parse_args().command
    settings = JobsSettings()
    configure_logging("jobs", settings.log_level)
    setup_telemetry("jobs", settings)
    if command == "migrate":
        migrations.upgrade(settings.database_url)
    elif command == "provision":
        asyncio.run(provision(settings))
    else:
        asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
