"""LocalBucket, a tiny S3 server storing objects as plain files, on 127.0.0.1 in a temp dir."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from ._process import HOST, free_port, log_text, port_accepts, stop_process
from .s3 import S3Endpoint
from .waiting import assert_eventually


class LocalBucketServer(S3Endpoint):
    """`python -m localbucket` in a child process; objects are files under `data_dir`.

    Unlike moto it checks no credentials or signatures, and a multipart object's ETag is a
    plain MD5, but it has no shared in-process state and its data can be inspected on disk.
    """

    def __init__(self, timeout: float = 30.0) -> None:
        super().__init__(f"{HOST}:0", "assay-test", "assay-test-secret")
        self.host = HOST
        self.port = 0
        self.timeout = timeout
        self.tmp_dir: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def data_dir(self) -> Path:
        assert self.tmp_dir is not None, "call start() first"
        return self.tmp_dir / "data"

    def start(self) -> LocalBucketServer:
        """Start, on the previous port and data if there were any; no-op if running."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        if self.tmp_dir is None:
            self.tmp_dir = Path(tempfile.mkdtemp(prefix="assay-s3-"))
        if not self.port:
            self.port = free_port()
            self.endpoint = f"{HOST}:{self.port}"
        log_path = self.tmp_dir / "localbucket.log"
        with log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    *(sys.executable, "-m", "localbucket", str(self.data_dir)),
                    *("--host", HOST, "--port", str(self.port)),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def listening() -> bool:
            assert self._proc is not None
            if self._proc.poll() is not None:
                raise RuntimeError(f"localbucket exited:\n{log_text(log_path)}")
            return port_accepts(self.port)

        try:
            assert_eventually(listening, timeout=self.timeout)
        except AssertionError:
            self.stop()
            raise RuntimeError(f"localbucket did not listen; log:\n{log_text(log_path)}") from None
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server and keep its data."""
        if self._proc is not None:
            stop_process(self._proc, timeout=timeout)
            self._proc = None

    def close(self) -> None:
        """Stop the server and delete its data."""
        self.stop()
        if self.tmp_dir is not None:
            shutil.rmtree(self.tmp_dir, ignore_errors=True)
            self.tmp_dir = None

    def __enter__(self) -> LocalBucketServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
