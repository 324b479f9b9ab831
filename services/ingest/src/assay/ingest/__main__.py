"""``python -m assay.ingest [serve|migrate|provision]``: the ingest service's container command."""

from __future__ import annotations

from assay.common.service_main import run_service
from assay.common.storage import create_client, ensure_bucket
from assay.ingest import migrations, server
from assay.ingest.config import IngestSettings


def migrate(settings: IngestSettings) -> None:
    migrations.upgrade(settings.database_url)


def provision(settings: IngestSettings) -> None:
    """Create the bucket; safe to run repeatedly."""
    ensure_bucket(create_client(settings), settings.s3_bucket)


def main() -> None:
    run_service("ingest", IngestSettings, server.start, description=__doc__, migrate=migrate, provision=provision)


if __name__ == "__main__":
    main()
