"""``python -m assay.analysis``: metrics side server, AnalysisService and the work consumers."""

from __future__ import annotations

from assay.analysis import server
from assay.analysis.config import AnalysisSettings
from assay.common.service_main import run_service


def main() -> None:
    run_service("analysis", AnalysisSettings, server.start, description=__doc__)


if __name__ == "__main__":
    main()
