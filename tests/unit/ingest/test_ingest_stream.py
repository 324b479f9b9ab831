"""UploadValidator: size cap mid-stream, sha256 on the fly, the head kept, memory flat."""

from __future__ import annotations

import hashlib
import random
import tracemalloc

import pytest

from assay.ingest.validation import (
    HEAD_SIZE,
    Reason,
    UploadRejected,
    UploadValidator,
    parse_declared_size,
    parse_expected_sha256,
)


def _chunks(data: bytes, rng: random.Random) -> list[bytes]:
    pieces, at = [], 0
    while at < len(data):
        size = rng.choice([1, 7, 100, 4096, 8191, 8192, 8193, 65536])
        pieces.append(data[at : at + size])
        at += size
    return pieces


def test_the_chunked_sha256_equals_hashlib_over_the_whole_content() -> None:
    rng = random.Random(1)
    data = rng.randbytes(300_000)
    validator = UploadValidator()
    for chunk in _chunks(data, rng):
        validator.feed(chunk)
    upload = validator.finish()
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert upload.size == len(data)


def test_the_head_is_the_first_8_kib_however_the_chunks_fall() -> None:
    rng = random.Random(2)
    data = rng.randbytes(3 * HEAD_SIZE)
    validator = UploadValidator()
    for chunk in _chunks(data, rng):
        validator.feed(chunk)
    assert validator.finish().head == data[:HEAD_SIZE]


def test_a_file_smaller_than_the_head_is_kept_whole() -> None:
    validator = UploadValidator()
    validator.feed(b"hello, ")
    validator.feed(b"world")
    assert validator.finish().head == b"hello, world"


def test_the_size_cap_triggers_on_the_chunk_that_crosses_it() -> None:
    validator = UploadValidator(max_size=100)
    validator.feed(b"x" * 60)
    validator.feed(b"x" * 40)  # exactly at the cap is fine
    with pytest.raises(UploadRejected) as caught:
        validator.feed(b"x")
    assert caught.value.reason == Reason.FILE_TOO_LARGE
    assert caught.value.field == "chunk"
    assert caught.value.resource_exhausted
    assert "100 byte limit" in caught.value.message


def test_an_upload_at_exactly_the_cap_is_accepted() -> None:
    validator = UploadValidator(max_size=10)
    validator.feed(b"0123456789")
    assert validator.finish().size == 10


def test_the_default_cap_is_50_mib() -> None:
    assert UploadValidator().max_size == 50 * 1024 * 1024


def test_a_rejected_validator_cannot_be_fed_again() -> None:
    validator = UploadValidator(max_size=1)
    with pytest.raises(UploadRejected):
        validator.feed(b"ab")
    with pytest.raises(RuntimeError, match="already finished or rejected"):
        validator.feed(b"a")


def test_a_finished_validator_cannot_be_finished_again() -> None:
    validator = UploadValidator()
    validator.feed(b"a")
    validator.finish()
    with pytest.raises(RuntimeError):
        validator.finish()


def test_an_upload_without_bytes_is_refused_as_empty() -> None:
    validator = UploadValidator()
    validator.feed(b"")
    with pytest.raises(UploadRejected) as caught:
        validator.finish()
    assert (caught.value.reason, caught.value.field) == (Reason.FILE_EMPTY, "chunk")


def test_a_declared_size_that_differs_from_what_arrived_is_refused() -> None:
    validator = UploadValidator()
    validator.feed(b"abc")
    with pytest.raises(UploadRejected) as caught:
        validator.finish(declared_size=4)
    assert caught.value.reason == Reason.SIZE_MISMATCH
    assert caught.value.field == "header.size_bytes"
    assert "declared 4 bytes but 3 bytes arrived" in caught.value.message


def test_a_matching_declared_size_and_sha256_are_accepted() -> None:
    validator = UploadValidator()
    validator.feed(b"abc")
    digest = hashlib.sha256(b"abc").hexdigest()
    assert validator.finish(expected_sha256=digest, declared_size=3).sha256 == digest


def test_proto_defaults_for_sha256_and_size_mean_not_declared() -> None:
    validator = UploadValidator()
    validator.feed(b"abc")
    assert validator.finish(expected_sha256="", declared_size=0).size == 3


def test_a_sha256_that_differs_from_the_content_is_refused() -> None:
    validator = UploadValidator(header_field="header.file")
    validator.feed(b"abc")
    wrong = hashlib.sha256(b"abd").hexdigest()
    with pytest.raises(UploadRejected) as caught:
        validator.finish(expected_sha256=wrong)
    assert caught.value.reason == Reason.SHA256_MISMATCH
    assert caught.value.field == "header.file.sha256"
    assert not caught.value.resource_exhausted


@pytest.mark.parametrize(
    "value",
    [
        hashlib.sha256(b"abc").hexdigest().upper(),
        hashlib.sha256(b"abc").hexdigest()[:63],
        hashlib.sha256(b"abc").hexdigest() + "0",
        "g" * 64,
        " " + hashlib.sha256(b"abc").hexdigest()[1:],
        "sha256:" + hashlib.sha256(b"abc").hexdigest(),
    ],
)
def test_an_expected_sha256_that_is_not_64_lowercase_hex_is_refused(value: str) -> None:
    validator = UploadValidator()
    validator.feed(b"abc")
    with pytest.raises(UploadRejected) as caught:
        validator.finish(expected_sha256=value)
    assert (caught.value.reason, caught.value.field) == (Reason.SHA256_INVALID, "header.sha256")


def test_the_header_can_be_checked_before_any_chunk_arrives() -> None:
    assert parse_expected_sha256("") is None
    assert parse_expected_sha256("a" * 64) == "a" * 64
    assert parse_declared_size(0) is None
    assert parse_declared_size(10) == 10
    with pytest.raises(UploadRejected) as caught:
        parse_declared_size(-1)
    assert caught.value.reason == Reason.SIZE_INVALID
    with pytest.raises(UploadRejected) as caught:
        parse_declared_size(101, max_size=100)
    assert caught.value.reason == Reason.FILE_TOO_LARGE
    assert caught.value.field == "header.size_bytes"
    assert caught.value.resource_exhausted


def test_memory_stays_flat_however_much_is_fed() -> None:
    chunk = bytes(range(256)) * 256  # 64 KiB, fed 400 times: 25 MiB
    validator = UploadValidator()
    tracemalloc.start()
    try:
        for _ in range(400):
            validator.feed(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert validator.size == 400 * len(chunk)
    assert peak < 4 * HEAD_SIZE
