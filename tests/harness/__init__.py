"""Real PostgreSQL, NATS and S3 servers for tests, started on demand on 127.0.0.1."""

from ._process import free_port, port_accepts, stop_process
from .localbucket_s3 import LocalBucketServer
from .nats import ExternalNats, NatsServer
from .postgres import Postgres, PostgresServer
from .s3 import S3Endpoint, S3Server
from .waiting import assert_eventually, eventually

__all__ = [
    "ExternalNats",
    "LocalBucketServer",
    "NatsServer",
    "Postgres",
    "PostgresServer",
    "S3Endpoint",
    "S3Server",
    "assert_eventually",
    "eventually",
    "free_port",
    "port_accepts",
    "stop_process",
]
