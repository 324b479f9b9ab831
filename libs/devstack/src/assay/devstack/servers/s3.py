"""S3-compatible servers: LocalBucket (objects as plain files) and moto (in memory, in-process)."""

from __future__ import annotations

import logging
import sys
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Self

from assay.devstack.servers.process import HOST, Managed, ServerProcess, free_port

if TYPE_CHECKING:
    from minio import Minio
    from moto.server import ThreadedMotoServer


class S3Endpoint:
    """Where an S3-compatible server is and how to sign requests for it."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, region: str = "us-east-1",
                 secure: bool = False) -> None:
        self.endpoint = endpoint  # "host:port", as Minio() wants it
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.secure = secure

    @property
    def url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"

    def client(self) -> Minio:
        from minio import Minio  # imported when needed: it takes a good part of assay dev's start-up

        # Passing the region spares a GetBucketLocation round trip per bucket.
        return Minio(self.endpoint, access_key=self.access_key, secret_key=self.secret_key, secure=self.secure,
                     region=self.region)


class LocalBucketServer(ServerProcess, S3Endpoint):
    """``python -m localbucket``: objects are files under ``root/data``.

    Unlike moto it checks no credentials or signatures, and a multipart object's ETag is a plain
    MD5, but it has no shared in-process state and its data can be inspected on disk.
    """

    name = "s3"

    def __init__(self, root: Path | None = None, port: int = 0, access_key: str = "assay-test",
                 secret_key: str = "assay-test-secret", timeout: float = 30.0) -> None:
        ServerProcess.__init__(self, root, port, timeout)
        S3Endpoint.__init__(self, f"{HOST}:{port}", access_key, secret_key)
        self.host = HOST

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "call start() first"
        return self.root / "data"

    def command(self) -> list[str]:
        if not self.port:
            self.port = free_port()  # localbucket would print port 0, not the one it got
        self.endpoint = f"{HOST}:{self.port}"
        return [sys.executable, "-m", "localbucket", str(self.data_dir), "--host", HOST, "--port", str(self.port)]

    def ready(self, output: str) -> bool:
        return f"on http://{HOST}:{self.port}" in output  # logged once the socket is bound


def run(root: Path | None = None, port: int = 0, access_key: str = "assay-test",
        secret_key: str = "assay-test-secret") -> LocalBucketServer:
    """A running LocalBucket; see ``assay.devstack.servers``."""
    return LocalBucketServer(root, port, access_key, secret_key).start()


class MotoServer(Managed, S3Endpoint):
    """moto's ThreadedMotoServer in this process (``moto[server]``, a dev extra): objects live in
    memory and vanish on ``close()``.

    moto's state is per process: ``moto.mock_aws`` used elsewhere in the same process resets it
    when it exits, wiping this server's buckets too.
    """

    def __init__(self) -> None:
        super().__init__(f"{HOST}:0", "assay-test", "assay-test-secret")
        self.host = HOST
        self.port = 0
        self._server: ThreadedMotoServer | None = None

    def start(self) -> Self:
        if self._server is not None:
            return self
        from moto.server import ThreadedMotoServer  # importing moto takes most of a second

        # werkzeug logs every request at INFO, which would flood captured test output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        server.start()  # returns once the socket is bound and listening
        self._server = server
        self.port = server.get_host_and_port()[1]
        self.endpoint = f"{HOST}:{self.port}"
        return self

    def reset(self) -> None:
        """Delete every bucket and object."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self._server is not None:
            self.reset()
            self._server.stop()
            self._server = None

    close = stop
