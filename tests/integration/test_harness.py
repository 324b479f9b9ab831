"""The harness servers really work: PostgreSQL, NATS JetStream and S3, through real clients."""

from __future__ import annotations

import asyncio
import io
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import nats
import nats.errors
import psycopg
import pytest
from harness import (
    ExternalNats,
    LocalBucketServer,
    NatsServer,
    Postgres,
    S3Endpoint,
    assert_eventually,
    eventually,
)
from minio import Minio
from nats.js.api import StorageType

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
AnyNats = NatsServer | ExternalNats


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# --- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_role(postgres: Postgres) -> Iterator[dict[str, Any]]:
    """A fresh database, and a normal role that may create tables in it."""
    role, password, database = unique("app"), "app-secret", unique("harness")
    postgres.create_role(role, password)
    postgres.create_database(database)
    with postgres.connect(database) as conn:
        conn.execute(f"GRANT CREATE ON SCHEMA public TO {role}")
    yield {"user": role, "password": password, "dbname": database}
    with postgres.connect() as conn:
        conn.execute(f"DROP DATABASE {database} WITH (FORCE)")
        conn.execute(f"DROP ROLE {role}")


def connect_as(postgres: Postgres, role: dict[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(host=postgres.host, port=postgres.port, autocommit=True, **role)


def test_postgres_answers_select_1_over_tcp_on_localhost(postgres: Postgres) -> None:
    assert postgres.url.startswith(f"postgresql+psycopg://{postgres.user}:")
    with postgres.connect() as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_create_database_returns_a_url_to_a_new_empty_database(postgres: Postgres) -> None:
    name = unique("fresh")
    url = postgres.create_database(name)
    assert url == postgres.url_for(name)
    with postgres.connect(name) as conn:
        tables = conn.execute("select count(*) from pg_tables where schemaname = 'public'")
        assert tables.fetchone() == (0,)
    with postgres.connect() as conn:
        conn.execute(f"DROP DATABASE {name}")


def test_a_non_superuser_role_can_create_and_use_a_table(
    postgres: Postgres, app_role: dict[str, Any]
) -> None:
    with connect_as(postgres, app_role) as conn:
        me = conn.execute("select rolsuper, rolbypassrls from pg_roles where rolname = user")
        assert me.fetchone() == (False, False)
        conn.execute("create table notes (id int primary key, body text)")
        conn.execute("insert into notes values (1, 'hello')")
        assert conn.execute("select body from notes").fetchall() == [("hello",)]


def test_row_level_security_applies_to_the_non_superuser_role(
    postgres: Postgres, app_role: dict[str, Any]
) -> None:
    user = app_role["user"]
    with postgres.connect(app_role["dbname"]) as conn:
        conn.execute("create table tenant_rows (tenant text, body text)")
        conn.execute("insert into tenant_rows values ('mine', 'visible'), ('theirs', 'hidden')")
        conn.execute("alter table tenant_rows enable row level security")
        conn.execute("create policy only_mine on tenant_rows using (tenant = 'mine')")
        conn.execute(f"grant select on tenant_rows to {user}")
    with connect_as(postgres, app_role) as conn:
        assert conn.execute("select body from tenant_rows").fetchall() == [("visible",)]


def test_the_non_superuser_role_needs_its_password(
    postgres: Postgres, app_role: dict[str, Any]
) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect_as(postgres, {**app_role, "password": "wrong"})


# --- NATS ---------------------------------------------------------------------------------


async def test_jetstream_messages_survive_a_nats_server_restart(nats_server: AnyNats) -> None:
    nc = await nats.connect(nats_server.url, reconnect_time_wait=0.1, max_reconnect_attempts=-1)
    try:
        js = nc.jetstream()
        stream = unique("HARNESS")
        await js.add_stream(name=stream, subjects=[f"{stream}.>"], storage=StorageType.FILE)
        ack = await js.publish(f"{stream}.hello", b"still here")
        url = nats_server.url

        await asyncio.to_thread(nats_server.restart)

        assert nats_server.url == url
        msg = await eventually(
            lambda: js.get_msg(stream, ack.seq), timeout=15, retry_on=(nats.errors.Error,)
        )
        assert (msg.subject, msg.data) == (f"{stream}.hello", b"still here")
        await js.delete_stream(stream)
    finally:
        await nc.close()


async def test_plain_nats_publish_reaches_a_subscriber(nats_server: AnyNats) -> None:
    nc = await nats.connect(nats_server.url)
    try:
        sub = await nc.subscribe("harness.ping")
        await nc.publish("harness.ping", b"pong")
        msg = await sub.next_msg(timeout=5)
        assert msg.data == b"pong"
    finally:
        await nc.close()


# --- S3 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3(s3_server: S3Endpoint) -> Minio:
    return s3_server.client()


@pytest.fixture(scope="module")
def bucket(s3: Minio) -> Iterator[str]:
    name = unique("harness").replace("_", "-")
    s3.make_bucket(name)
    yield name
    for obj in s3.list_objects(name, recursive=True):
        s3.remove_object(name, obj.object_name)
    s3.remove_bucket(name)


def download(s3: Minio, bucket: str, key: str) -> bytes:
    response = s3.get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_an_object_uploaded_with_minio_downloads_intact(s3: Minio, bucket: str) -> None:
    s3.put_object(bucket, "small.txt", io.BytesIO(b"hello s3"), 8, content_type="text/plain")
    assert download(s3, bucket, "small.txt") == b"hello s3"
    assert s3.stat_object(bucket, "small.txt").content_type == "text/plain"


def test_a_multipart_upload_over_5_mib_reassembles_intact(s3: Minio, bucket: str) -> None:
    data = os.urandom(6 * MiB + 123)
    result = s3.put_object(bucket, "big.bin", io.BytesIO(data), len(data), part_size=5 * MiB)
    assert result.etag.endswith("-2")  # S3 marks a two-part upload's ETag this way
    assert download(s3, bucket, "big.bin") == data


def test_a_presigned_get_url_serves_the_object_to_plain_http(s3: Minio, bucket: str) -> None:
    s3.put_object(bucket, "shared.txt", io.BytesIO(b"presigned"), 9)
    url = s3.presigned_get_object(bucket, "shared.txt")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.content == b"presigned"


def test_localbucket_stores_minio_uploads_as_files_in_a_temp_dir() -> None:
    with LocalBucketServer() as server:
        s3 = server.client()
        s3.make_bucket("local")
        data = os.urandom(6 * MiB)
        s3.put_object("local", "dir/big.bin", io.BytesIO(data), len(data), part_size=5 * MiB)
        assert download(s3, "local", "dir/big.bin") == data
        assert (server.data_dir / "local" / "dir" / "big.bin").read_bytes() == data
        tmp_dir = server.root
    assert tmp_dir is not None and not tmp_dir.exists()


# --- waiting helpers ----------------------------------------------------------------------


def test_assert_eventually_returns_the_first_truthy_result() -> None:
    calls = iter([0, None, "done"])
    assert assert_eventually(lambda: next(calls), timeout=5, interval=0.001) == "done"


def test_assert_eventually_fails_with_the_last_assertion_once_time_runs_out() -> None:
    def never() -> None:
        raise AssertionError("still waiting")

    with pytest.raises(AssertionError, match=r"did not hold within 0\.05s.*still waiting"):
        assert_eventually(never, timeout=0.05, interval=0.01)


async def test_eventually_cuts_off_a_hung_attempt_at_the_deadline() -> None:
    async def hangs() -> bool:
        await asyncio.sleep(60)
        return True

    with pytest.raises(AssertionError, match=r"did not hold within 0\.1s"):
        await eventually(hangs, timeout=0.1, interval=0.01)
