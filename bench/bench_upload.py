"""Upload throughput and memory of the ingest service: one large UploadFile, end to end.

Starts PostgreSQL (embedded), LocalBucket (an S3 server storing plain files, so the store's own
memory is not in the picture, unlike moto) and the ingest service in this process, then streams
``--mib`` MiB of text in 1 MiB chunks from a generator and prints throughput and the peak RSS
growth of this process (client and service together) over its RSS before the upload.

    .venv/bin/python bench/bench_upload.py --mib 1024
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from assay.common.auth import mint_token
from assay.common.grpc_client import bearer, open_channel
from assay.common.migrations import upgrade
from assay.common.storage import create_client, ensure_bucket
from assay.devstack.servers.postgres import PostgresServer
from assay.devstack.servers.s3 import LocalBucketServer
from assay.ingest import server
from assay.ingest.config import IngestSettings
from assay.ingest.jobs_client import JobsClient
from assay.ingest.migrations import SCRIPT_LOCATION as MIGRATIONS
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import ingest_service_pb2_grpc

MIB = 1024 * 1024


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)


def requests(total_mib: int) -> Iterator[ing.UploadFileRequest]:
    yield ing.UploadFileRequest(header=ing.FileHeader(display_name="bench.txt"))
    line = b"a plain line of text for the upload benchmark, repeated\n"
    block = (line * (MIB // len(line) + 1))[:MIB]
    for _ in range(total_mib):
        yield ing.UploadFileRequest(chunk=block)


async def run(total_mib: int) -> None:
    with PostgresServer() as postgres, LocalBucketServer() as s3:
        name = f"bench_{uuid.uuid4().hex[:8]}"
        postgres.create_role(name, "pw")
        postgres.create_database(name, owner=name)
        url = postgres.url_for(name, user=name, password="pw")
        upgrade(MIGRATIONS, url, "ingest")
        settings = IngestSettings(
            database_url=url, grpc_host="127.0.0.1", grpc_port=0, metrics_port=-1, jwt_hs256_secret="bench" * 8,
            job_capability_secret="bench-capability" * 4,
            s3_endpoint=s3.endpoint, s3_access_key=s3.access_key, s3_secret_key=s3.secret_key, s3_region=s3.region,
            s3_bucket="bench", max_upload_bytes=(total_mib + 1) * MIB,
        )
        ensure_bucket(create_client(settings), "bench")
        running = await server.start(settings, jobs=JobsClient())
        channel = open_channel(f"127.0.0.1:{running.port}")
        stub = ingest_service_pb2_grpc.IngestServiceStub(channel)
        token = bearer(mint_token(settings, subject="bench", tenant="bench", roles=["user"]))
        try:
            await stub.UploadFile(requests(1), metadata=token)  # warm up connections and pools
            baseline_kib = _status_kib("VmRSS")
            _reset_peak_rss()
            started = time.perf_counter()
            response = await stub.UploadFile(requests(total_mib), metadata=token)
            elapsed = time.perf_counter() - started
            peak_kib = _status_kib("VmHWM")
        finally:
            await channel.close()
            await running.stop(1.0)
    expected = hashlib.sha256()
    for message in requests(total_mib):
        expected.update(message.chunk)
    assert (response.file.size_bytes, response.file.sha256) == (total_mib * MIB, expected.hexdigest())
    print(f"uploaded {total_mib} MiB in {elapsed:.2f} s: {total_mib / elapsed:.1f} MiB/s end to end "
          "(receive + sha256 + spool + sniff + multipart put)")
    print(f"RSS before {baseline_kib / 1024:.1f} MiB, peak during {peak_kib / 1024:.1f} MiB: "
          f"peak growth {(peak_kib - baseline_kib) / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=1024, help="upload size in MiB (default 1024 = 1 GiB)")
    asyncio.run(run(parser.parse_args().mib))


if __name__ == "__main__":
    main()
