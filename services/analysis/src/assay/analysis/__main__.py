"""``python -m assay.analysis``: metrics side server, AnalysisService and the work consumers."""

from __future__ import annotations

import asyncio

from assay.analysis import server
from assay.analysis.config import AnalysisSettings
from assay.common.grpc_server import wait_for_shutdown_signal
from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.telemetry import setup_telemetry


async def serve(settings: AnalysisSettings) -> None:
    start_metrics_server(settings.grpc_host, settings.metrics_port)
    running = await server.start(settings)
    await wait_for_shutdown_signal()
    await running.stop()


def main() -> None:
    settings = AnalysisSettings()
    configure_logging("analysis", settings.log_level)
    setup_telemetry("analysis", settings)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
