"""``python -m assay.analysis``: metrics side server, AnalysisService and the work consumers."""

from __future__ import annotations

import asyncio

from assay.analysis.config import AnalysisSettings
from assay.analysis.server import start_worker
from assay.common.grpc_server import wait_for_shutdown_signal
from assay.common.logging import configure_logging
from assay.common.metrics import start_metrics_server
from assay.common.telemetry import setup_telemetry


async def serve(settings: AnalysisSettings) -> None:
    start_metrics_server(settings.grpc_host, settings.metrics_port)
    worker = await start_worker(settings)
    await wait_for_shutdown_signal()
    await worker.stop(settings.shutdown_grace_seconds)


def main() -> None:
    settings = AnalysisSettings()
    configure_logging("analysis", settings.log_level)
    setup_telemetry("analysis")
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
