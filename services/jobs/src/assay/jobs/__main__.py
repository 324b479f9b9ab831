"""``python -m assay.jobs [serve|migrate|provision]``: the jobs service's container command."""

from __future__ import annotations

import asyncio

from assay.common.nats import connect_with_streams
from assay.common.service_main import run_service
from assay.jobs import migrations, server
from assay.jobs.config import JobsSettings


def migrate(settings: JobsSettings) -> None:
    migrations.upgrade(settings.database_url)


def provision(settings: JobsSettings) -> None:
    """Create or update the JetStream streams; safe to run repeatedly."""

    async def run() -> None:
        nc = await connect_with_streams(settings, "assay-jobs-provision")
        await nc.drain()

    asyncio.run(run())


def main() -> None:
    run_service("jobs", JobsSettings, server.start, description=__doc__, migrate=migrate, provision=provision,
                processes=lambda settings: settings.jobs_processes)


if __name__ == "__main__":
    main()
