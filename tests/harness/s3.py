"""An S3-compatible server: moto's server mode in a thread, on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import logging
import urllib.request
from types import TracebackType
from typing import TYPE_CHECKING

from minio import Minio

from ._process import HOST

if TYPE_CHECKING:
    from moto.server import ThreadedMotoServer


class S3Endpoint:
    """Where an S3-compatible server is and how to sign requests for it."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        secure: bool = False,
    ) -> None:
        self.endpoint = endpoint  # "host:port", as Minio() wants it
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region
        self.secure = secure

    @property
    def url(self) -> str:
        return f"{'https' if self.secure else 'http'}://{self.endpoint}"

    def client(self) -> Minio:
        # Passing the region spares a GetBucketLocation round trip per bucket.
        return Minio(
            self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=self.secure,
            region=self.region,
        )


class S3Server(S3Endpoint):
    """moto's ThreadedMotoServer. Objects live in memory and vanish on `close()`.

    moto's state is per process: `moto.mock_aws` used elsewhere in the same test process
    resets it when it exits, wiping this server's buckets too.
    """

    def __init__(self) -> None:
        super().__init__(f"{HOST}:0", "assay-test", "assay-test-secret")
        self.host = HOST
        self.port = 0
        self._server: ThreadedMotoServer | None = None

    def start(self) -> S3Server:
        if self._server is not None:
            return self
        # Imported here because importing moto takes most of a second.
        from moto.server import ThreadedMotoServer

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

    def __enter__(self) -> S3Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
