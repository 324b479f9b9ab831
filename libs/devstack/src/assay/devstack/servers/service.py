"""An Assay service (``python -m assay.<name>``) as a child process, its log under ``root``."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from assay.devstack.servers.process import ServerProcess, port_accepts
from assay.devstack.servers.serving import LISTENING, connection_owners

GRPC_STARTED = "grpc server started"
"""What assay.common.grpc_server logs once a service's gRPC port listens."""


class AssayService(ServerProcess):
    """``python -m assay.<name>`` with ``env`` as its whole environment.

    Ready when ``port`` accepts connections (jobs with several serving processes: when each
    listens), or, without a port, when it logs that its gRPC server started. SIGTERM lets it drain
    in-flight work within its own grace period.
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
        if not self.port:
            return GRPC_STARTED in output
        return port_accepts(self.port) and self._all_processes_listen()

    def _all_processes_listen(self) -> bool:
        """With ``ASSAY_JOBS_PROCESSES`` > 1 (jobs), every serving process listens on the port: a
        client connecting earlier would only ever reach the first ones (until its connections age)."""
        processes = int(self.env.get("ASSAY_JOBS_PROCESSES") or 1) if self.name == "jobs" else 1
        if processes <= 1 or self.pid is None:
            return True
        return len(connection_owners(self.port, self.pid, LISTENING)) >= processes


def run(name: str, env: Mapping[str, str], root: Path | None = None, port: int = 0) -> AssayService:
    """A running Assay service; see ``assay.devstack.servers``."""
    return AssayService(name, env, root, port).start()
