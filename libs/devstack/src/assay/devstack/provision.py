"""Migrate the databases and create the streams and the bucket, in this process, skipping it all
when nothing changed since the last successful run on the same data directory.

This is what ``python -m assay.jobs migrate|provision`` and ``python -m assay.ingest
migrate|provision`` do in Kubernetes; ``assay dev`` does it without four Python start-ups.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
from pathlib import Path

from assay.common.config import NatsSettings
from assay.common.nats import connect_with_streams, stream_configs
from assay.devstack.servers.s3 import S3Endpoint

SCHEMAS = {"jobs": "jobs", "ingest": "ingest", "analysis": "index"}
"""Services that own a schema (service -> schema), migrated in this order."""
STATE_FILE = "provisioned.json"


def migrations_dir(service: str) -> Path:
    """``assay/<service>/migrations``, found without importing the service."""
    spec = importlib.util.find_spec(f"assay.{service}")
    assert spec is not None and spec.submodule_search_locations is not None, service
    return Path(next(iter(spec.submodule_search_locations))) / "migrations"


def fingerprint(bucket: str, stream_replicas: int = 1) -> str:
    """Changes whenever a migration, a stream's configuration or the bucket's name changes.

    Ports may change between starts; the data they serve stays in the same directory.
    """
    digest = hashlib.sha256()
    for service in SCHEMAS:
        root = migrations_dir(service)
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(repr(stream_configs(stream_replicas)).encode())
    digest.update(bucket.encode())
    return digest.hexdigest()


def provision(data_dir: Path, database_url: str, nats_url: str, s3: S3Endpoint, bucket: str,
              force: bool = False) -> bool:
    """Bring schemas, streams and bucket up to date; False when the last run on ``data_dir`` did it
    for the same migrations, streams and endpoints (then nothing runs) unless ``force``."""
    state = data_dir / STATE_FILE
    current = fingerprint(bucket)
    if not force and state.exists() and json.loads(state.read_text()).get("fingerprint") == current:
        return False
    # Imported only when there is work: alembic, SQLAlchemy and minio take a while to import.
    from assay.common.migrations import upgrade
    from assay.common.storage import ensure_bucket

    for service, schema in SCHEMAS.items():
        upgrade(migrations_dir(service), database_url, schema)
    asyncio.run(_provision_streams(NatsSettings(nats_url=nats_url)))
    ensure_bucket(s3.client(), bucket)
    state.write_text(json.dumps({"fingerprint": current}) + "\n")
    return True


async def _provision_streams(settings: NatsSettings) -> None:
    nc = await connect_with_streams(settings, "assay-dev-provision")
    await nc.drain()
