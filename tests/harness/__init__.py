"""What tests share: the servers of ``assay.devstack.servers`` and waiting with a deadline.

The session fixtures (``postgres``, ``nats_server``, ``s3_server``) are in ``harness.servers`` and
the in-process jobs service in ``harness.jobs``; tests/conftest.py loads both as pytest plugins.
"""

from assay.devstack.servers import free_port, port_accepts
from assay.devstack.servers.nats import NatsServer
from assay.devstack.servers.postgres import Postgres, PostgresServer
from assay.devstack.servers.process import stop_process
from assay.devstack.servers.s3 import LocalBucketServer, MotoServer, S3Endpoint

from .servers import ExternalNats
from .waiting import assert_eventually, eventually

__all__ = [
    "ExternalNats",
    "LocalBucketServer",
    "MotoServer",
    "NatsServer",
    "Postgres",
    "PostgresServer",
    "S3Endpoint",
    "assert_eventually",
    "eventually",
    "free_port",
    "port_accepts",
    "stop_process",
]
