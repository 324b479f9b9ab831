"""``python -m assay.ingest [serve|migrate|provision]``: the ingest service's container command."""

from __future__ import annotations

import argparse
import asyncio

from assay.common.grpc_server import wait_for_shutdown_signal
from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.storage import create_client, ensure_bucket
from assay.common.telemetry import setup_telemetry
from assay.ingest import migrations, server
from assay.ingest.config import IngestSettings


async def serve(settings: IngestSettings) -> None:
    start_metrics_server(settings.grpc_host, settings.metrics_port)
    running = await server.start(settings)
    await wait_for_shutdown_signal()
    await running.stop()


def provision(settings: IngestSettings) -> None:
    """Create the bucket; safe to run repeatedly."""
    ensure_bucket(create_client(settings), settings.s3_bucket)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m assay.ingest", description=__doc__)
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "provision"])
    command = parser.parse_args().command
    settings = IngestSettings()
    configure_logging("ingest", settings.log_level)
    setup_telemetry("ingest", settings)
    if command == "migrate":
        migrations.upgrade(settings.database_url)
    elif command == "provision":
        provision(settings)
    else:
        asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
