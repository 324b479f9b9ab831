"""An Assay service (``python -m assay.<name>``) as a child process, its log under ``root``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from assay.devstack.servers.process import ServerProcess, port_accepts

GRPC_STARTED = "grpc server started"
"""What assay.common.grpc_server logs once a service's gRPC port listens."""


class AssayService(ServerProcess):
    """``python -m assay.<name>`` with ``env`` as its whole environment.

    Ready when ``port`` accepts connections, or, without a port, when it logs that its gRPC
    server started. SIGTERM lets it drain in-flight work within its own grace period.
    """

    def __init__(self, name: str, env: Mapping[str, str], root: Path | None = None, port: int = 0,
                 timeout: float = 60.0) -> None:
        super().__init__(root, port, timeout)
        self.name = name
        self.env = dict(env)

    def command(self) -> list[str]:
        return [sys.executable, "-m", f"assay.{self.name}"]

    def environment(self) -> dict[str, str]:
        return self.env

    def ready(self, output: str) -> bool:
        return port_accepts(self.port) if self.port else GRPC_STARTED in output


def run(name: str, env: Mapping[str, str], root: Path | None = None, port: int = 0) -> AssayService:
    """A running Assay service; see ``assay.devstack.servers``."""
    return AssayService(name, env, root, port).start()
