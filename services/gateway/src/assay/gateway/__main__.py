"""``python -m assay.gateway``: serve the REST gateway (uvicorn, ``assay.gateway.serve``)."""

from __future__ import annotations

from assay.gateway.config import GatewaySettings
from assay.gateway.serve import serve


def main() -> None:
    """Read settings from the environment and serve until SIGTERM."""
    serve(GatewaySettings())


if __name__ == "__main__":
    main()
