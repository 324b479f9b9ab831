"""IngestService.UploadFile against real PostgreSQL and S3: bytes kept exactly, bad uploads leave nothing."""

# ruff: noqa: F811 - test parameters named after the imported fixtures

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import os
import stat
import struct
import zipfile
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
from ingest_fixtures import (  # noqa: F401 - ingest_stack and ingest_variant are fixtures
    MIB,
    TEST_MAX_UPLOAD_BYTES,
    IngestService,
    ingest_stack,
    ingest_variant,
    new_tenant,
    upload_requests,
)

from assay.common.errors import details_from_rpc_error
from assay.common.storage import object_key
from assay.v1 import ingest_service_pb2 as ing

pytestmark = pytest.mark.integration


def pieces(data: bytes, size: int = MIB) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def text_bytes(size: int, seed: int = 0) -> bytes:
    """``size`` bytes of plain text (printable, so it sniffs as text/plain)."""
    line = (f"line {seed} of a plain text document; sentence after sentence.\n").encode()
    return (line * (size // len(line) + 1))[:size]


def generated_text(total: int, chunk: int = MIB) -> Iterator[bytes]:
    """``total`` bytes of text produced 1 MiB at a time, never held whole."""
    block = text_bytes(chunk)
    sent = 0
    while sent < total:
        piece = block[: min(chunk, total - sent)]
        sent += len(piece)
        yield piece


def zip_of(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return buffer.getvalue()


def symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("link-to-passwd")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


async def rpc_error(call) -> grpc.aio.AioRpcError:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


@pytest.mark.parametrize("size", [1, 5 * MIB + 1], ids=["1-byte", "5MiB+1"])
async def test_an_upload_round_trips_every_byte(ingest_stack: IngestService, size: int) -> None:
    data = b"x" if size == 1 else base64.encodebytes(os.urandom(size))[:size]  # random, yet plain text
    stored = await ingest_stack.upload(pieces(data), name="report.txt")
    assert stored.size_bytes == size
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.media_type == "text/plain"
    assert stored.scan_status == ing.File.SCAN_STATUS_UNSCANNED
    key = object_key("acme", stored.id)
    assert ingest_stack.object_bytes_sha256(key) == (size, stored.sha256)
    fetched = await ingest_stack.files.GetFile(ing.GetFileRequest(id=stored.id), metadata=ingest_stack.token())
    assert fetched.file == stored


async def test_a_100_mib_upload_round_trips_when_the_cap_allows_it(ingest_variant) -> None:  # type: ignore[no-untyped-def]
    total = 100 * MIB
    expected = hashlib.sha256()
    for piece in generated_text(total):
        expected.update(piece)
    async with ingest_variant(max_upload_bytes=128 * MIB) as big:
        stored = await big.upload(generated_text(total), name="big.txt", sha256=expected.hexdigest(), size=total)
        assert (stored.size_bytes, stored.sha256) == (total, expected.hexdigest())
        assert big.object_bytes_sha256(object_key("acme", stored.id)) == (total, expected.hexdigest())


async def test_fifty_concurrent_uploads_all_succeed(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    bodies = [text_bytes(64 * 1024 + n, seed=n) for n in range(50)]
    stored = await asyncio.gather(*(
        ingest_stack.upload(pieces(body, 16 * 1024), name=f"doc-{n}.txt", metadata=token)
        for n, body in enumerate(bodies)
    ))
    assert [f.sha256 for f in stored] == [hashlib.sha256(b).hexdigest() for b in bodies]
    assert len(set(ingest_stack.object_keys(tenant))) == 50
    assert await ingest_stack.file_ids(token) == {f.id for f in stored}


async def test_an_oversized_upload_is_refused_mid_stream_and_leaves_nothing(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    never = asyncio.Event()

    async def stream_that_never_ends() -> AsyncIterator[ing.UploadFileRequest]:
        yield ing.UploadFileRequest(header=ing.FileHeader(display_name="huge.txt"))
        block = text_bytes(MIB)
        for _ in range(TEST_MAX_UPLOAD_BYTES // MIB + 2):
            yield ing.UploadFileRequest(chunk=block)
        await never.wait()  # the client never finishes: only a refusal part-way through ends the call

    error = await rpc_error(ingest_stack.files.UploadFile(stream_that_never_ends(), metadata=token))
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    details = details_from_rpc_error(error)
    assert (details.reason, [v.field for v in details.violations]) == ("FILE_TOO_LARGE", ["chunk"])
    assert ingest_stack.object_keys(tenant) == []
    assert await ingest_stack.file_ids(token) == set()


ZIP_BOMB = zip_of([("zeros.txt", b"\0" * (20 * MIB))])
TRAVERSAL_ZIP = zip_of([("ok.txt", b"fine"), ("../../etc/cron.d/evil", b"* * * * * root sh")])
SYMLINK_ZIP = zip_of([("ok.txt", b"fine"), (symlink_entry(), b"/etc/passwd")])
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2048)


@pytest.mark.parametrize(
    ("chunks", "header", "code", "reason", "field"),
    [
        pytest.param(lambda: [b""], {}, grpc.StatusCode.INVALID_ARGUMENT, "FILE_EMPTY", "chunk", id="empty"),
        pytest.param(lambda: [], {}, grpc.StatusCode.INVALID_ARGUMENT, "FILE_EMPTY", "chunk", id="no-chunks"),
        pytest.param(lambda: pieces(PNG, 1000), {"name": "photo.pdf"}, grpc.StatusCode.INVALID_ARGUMENT,
                     "MEDIA_TYPE_NOT_ALLOWED", "chunk", id="wrong-magic-bytes"),
        pytest.param(lambda: pieces(ZIP_BOMB), {"name": "bomb.zip"}, grpc.StatusCode.INVALID_ARGUMENT,
                     "ZIP_RATIO_EXCEEDED", "chunk", id="zip-bomb"),
        pytest.param(lambda: [TRAVERSAL_ZIP], {"name": "t.zip"}, grpc.StatusCode.INVALID_ARGUMENT,
                     "ZIP_UNSAFE_PATH", "chunk", id="path-traversal-zip"),
        pytest.param(lambda: [SYMLINK_ZIP], {"name": "s.zip"}, grpc.StatusCode.INVALID_ARGUMENT,
                     "ZIP_SYMLINK", "chunk", id="symlink-zip"),
        pytest.param(lambda: [b"hello world\n"], {"sha256": hashlib.sha256(b"hello").hexdigest()},
                     grpc.StatusCode.INVALID_ARGUMENT, "SHA256_MISMATCH", "header.sha256", id="sha256-mismatch"),
        pytest.param(lambda: [b"hello world\n"], {"size": 5}, grpc.StatusCode.INVALID_ARGUMENT,
                     "SIZE_MISMATCH", "header.size_bytes", id="size-mismatch"),
        pytest.param(lambda: [b"hello world\n"], {"media_type": "application/pdf"},
                     grpc.StatusCode.INVALID_ARGUMENT, "MEDIA_TYPE_MISMATCH", "header.media_type",
                     id="declared-type-mismatch"),
        pytest.param(lambda: [b"hello"], {"name": "../../"}, grpc.StatusCode.INVALID_ARGUMENT,
                     "DISPLAY_NAME_INVALID", "header.display_name", id="unusable-name"),
        pytest.param(lambda: [b"hello"], {"size": TEST_MAX_UPLOAD_BYTES + 1}, grpc.StatusCode.RESOURCE_EXHAUSTED,
                     "FILE_TOO_LARGE", "header.size_bytes", id="declared-oversize"),
    ],
)
async def test_a_bad_upload_is_refused_precisely_and_leaves_no_object_and_no_row(
    ingest_stack: IngestService, chunks, header, code, reason, field,  # type: ignore[no-untyped-def]
) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    error = await rpc_error(ingest_stack.upload(chunks(), metadata=token, **header))
    assert error.code() == code, error.details()
    details = details_from_rpc_error(error)
    assert details.reason == reason
    assert field in [v.field for v in details.violations]
    assert ingest_stack.object_keys(tenant) == []
    assert await ingest_stack.file_ids(token) == set()


async def test_a_zip_whose_headers_understate_what_it_inflates_to_is_refused_and_nothing_stored(
    ingest_stack: IngestService,
) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("data.txt", "w") as member:
        for _ in range(200):
            member.write(b"\0" * (1024 * 1024))  # 200 MiB inflated ...
    data = bytearray(buffer.getvalue())
    struct.pack_into("<L", data, data.index(b"PK\x03\x04") + 22, 100)  # ... declared as 100 B
    struct.pack_into("<L", data, data.index(b"PK\x01\x02") + 24, 100)
    error = await rpc_error(ingest_stack.upload([bytes(data)], name="bomb.zip", metadata=token))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details_from_rpc_error(error).reason == "ZIP_CORRUPT"
    assert ingest_stack.object_keys(tenant) == [] and await ingest_stack.file_ids(token) == set()


async def test_a_zip_passing_inspection_is_stored_as_a_zip(ingest_stack: IngestService) -> None:
    archive = zip_of([("a.txt", b"alpha"), ("dir/b.csv", b"x,y\n1,2\n")])
    stored = await ingest_stack.upload([archive], name="bundle.zip", media_type="application/zip")
    assert stored.media_type == "application/zip"
    assert stored.size_bytes == len(archive)


async def test_the_display_name_is_sanitized_and_never_part_of_the_object_key(ingest_stack: IngestService) -> None:
    tenant = new_tenant()
    token = ingest_stack.token(tenant=tenant)
    stored = await ingest_stack.upload([b"hello\n"], name="../../etc/pass\x00wd\x1b[31m.txt", metadata=token)
    assert stored.display_name == "passwd.txt"
    assert ingest_stack.object_keys(tenant) == [f"tenants/{tenant}/files/{stored.id}"]


async def test_a_stream_must_open_with_its_header(ingest_stack: IngestService) -> None:
    def chunks_only() -> Iterator[ing.UploadFileRequest]:
        yield ing.UploadFileRequest(chunk=b"hello")

    error = await rpc_error(ingest_stack.files.UploadFile(chunks_only(), metadata=ingest_stack.token()))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details_from_rpc_error(error).reason == "HEADER_REQUIRED"

    def two_headers() -> Iterator[ing.UploadFileRequest]:
        yield from upload_requests([b"hello"])
        yield ing.UploadFileRequest(header=ing.FileHeader(display_name="again.txt"))

    error = await rpc_error(ingest_stack.files.UploadFile(two_headers(), metadata=ingest_stack.token()))
    assert details_from_rpc_error(error).reason == "HEADER_REPEATED"


async def test_a_readonly_caller_cannot_upload(ingest_stack: IngestService) -> None:
    error = await rpc_error(ingest_stack.upload([b"hello"], metadata=ingest_stack.token(roles=("readonly",))))
    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
