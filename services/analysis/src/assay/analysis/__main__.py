"""``python -m assay.analysis [serve|migrate]``: metrics side server, AnalysisService and IndexService,
the work consumers; ``migrate`` applies the ``index`` schema's migrations."""

from __future__ import annotations

from assay.analysis import migrations, server
from assay.analysis.config import AnalysisSettings
from assay.common.service_main import run_service


def migrate(settings: AnalysisSettings) -> None:
    migrations.upgrade(settings.database_url)


def main() -> None:
    run_service("analysis", AnalysisSettings, server.start, description=__doc__, migrate=migrate)


if __name__ == "__main__":
    main()
