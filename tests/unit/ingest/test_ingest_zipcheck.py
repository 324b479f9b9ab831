"""inspect_zip: archives refused from their central directory, before any extraction."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zipfile
from pathlib import Path

import pytest

from assay.ingest.validation import Reason, UploadRejected, ZipLimits, inspect_zip

_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_EOCD = b"PK\x05\x06"


def make_zip(
    entries: dict[str, bytes] | list[tuple[str | zipfile.ZipInfo, bytes]],
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    items = list(entries.items()) if isinstance(entries, dict) else entries
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are built on purpose
        with zipfile.ZipFile(buffer, "w", compression) as zf:
            for name, data in items:
                zf.writestr(name, data)
    return buffer.getvalue()


def patch_central(data: bytes, offset: int, fmt: str, value: int, *, index: int = 0) -> bytes:
    """Overwrite one field of the index-th central directory header."""
    at = -1
    for _ in range(index + 1):
        at = data.index(_CENTRAL, at + 1)
    out = bytearray(data)
    struct.pack_into(fmt, out, at + offset, value)
    return bytes(out)


def rejection(data: bytes | Path, limits: ZipLimits | None = None) -> UploadRejected:
    source = data if isinstance(data, Path) else io.BytesIO(data)
    with pytest.raises(UploadRejected) as caught:
        inspect_zip(source, limits)
    assert caught.value.field == "chunk"
    return caught.value


def test_an_ordinary_archive_is_summarised() -> None:
    data = make_zip({"a.xml": b"<a/>" * 100, "dir/": b"", "dir/b.xml": b"<b/>"})
    summary = inspect_zip(io.BytesIO(data))
    assert summary.entries == 3
    assert summary.files == 2
    assert summary.total_uncompressed == 404
    assert summary.nested_archives == ()


def test_an_archive_can_be_inspected_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(make_zip({"a.txt": b"hello"}))
    assert inspect_zip(path).files == 1
    assert inspect_zip(str(path)).files == 1


def test_the_file_object_position_is_left_where_it_was() -> None:
    fp = io.BytesIO(make_zip({"a.txt": b"hello"}))
    fp.seek(5)
    inspect_zip(fp)
    assert fp.tell() == 5


def test_an_empty_archive_is_accepted_with_nothing_in_it() -> None:
    summary = inspect_zip(io.BytesIO(make_zip({})))
    assert (summary.entries, summary.files, summary.total_uncompressed) == (0, 0, 0)


def test_a_zip_bomb_of_highly_compressible_data_is_refused_by_its_ratio() -> None:
    bomb = make_zip({"zeros.bin": bytes(20 * 1024 * 1024)})
    assert len(bomb) < 100_000
    exc = rejection(bomb)
    assert exc.reason == Reason.ZIP_RATIO_EXCEEDED
    assert "zeros.bin" in exc.message and "100:1" in exc.message
    assert not exc.resource_exhausted


def test_a_small_highly_compressible_file_is_within_the_ratio_grace() -> None:
    assert inspect_zip(io.BytesIO(make_zip({"blank.txt": b" " * 200_000}))).files == 1


def test_many_small_compressible_entries_are_refused_by_the_overall_ratio() -> None:
    data = make_zip({f"f{i}.txt": b" " * 500_000 for i in range(10)})
    assert rejection(data).reason == Reason.ZIP_RATIO_EXCEEDED


def test_an_archive_that_expands_past_the_total_cap_is_refused() -> None:
    data = make_zip({f"f{i}.txt": bytes(range(256)) * 4 for i in range(3)})
    exc = rejection(data, ZipLimits(max_total_uncompressed=2048))
    assert exc.reason == Reason.ZIP_TOO_LARGE
    assert exc.resource_exhausted


def test_an_archive_with_too_many_entries_is_refused() -> None:
    data = make_zip({f"f{i}.txt": b"" for i in range(6)})
    assert rejection(data, ZipLimits(max_entries=5)).reason == Reason.ZIP_TOO_MANY_ENTRIES
    assert inspect_zip(io.BytesIO(data), ZipLimits(max_entries=6)).entries == 6


def test_ten_thousand_and_one_entries_exceed_the_default_limit() -> None:
    data = make_zip({f"{i}": b"" for i in range(10_001)}, zipfile.ZIP_STORED)
    assert rejection(data).reason == Reason.ZIP_TOO_MANY_ENTRIES


def test_entries_are_counted_even_when_the_end_record_understates_them() -> None:
    data = bytearray(make_zip({f"f{i}.txt": b"" for i in range(6)}))
    eocd = data.rindex(_EOCD)
    struct.pack_into("<HH", data, eocd + 8, 1, 1)  # entries on this disk, entries in total
    assert rejection(bytes(data), ZipLimits(max_entries=5)).reason == Reason.ZIP_TOO_MANY_ENTRIES


@pytest.mark.parametrize(
    "name",
    [
        "../evil.txt",
        "a/../../evil.txt",
        "..\\..\\evil.txt",
        "a\\..\\..\\evil.txt",
        "/etc/passwd",
        "\\\\server\\share\\x.txt",
        "C:\\Windows\\evil.txt",
        "c:/evil.txt",
        "bell\x07.txt",
    ],
)
def test_an_entry_whose_path_could_escape_the_extraction_directory_is_refused(name: str) -> None:
    exc = rejection(make_zip([("ok.txt", b"x"), (name, b"x")]))
    assert exc.reason == Reason.ZIP_UNSAFE_PATH
    assert "'..'" in exc.message


def test_a_name_that_merely_contains_two_dots_is_fine() -> None:
    assert inspect_zip(io.BytesIO(make_zip({"a..b/c...txt": b"x"}))).files == 1


def test_an_entry_name_that_appears_twice_is_refused() -> None:
    exc = rejection(make_zip([("a.txt", b"one"), ("a.txt", b"two")]))
    assert exc.reason == Reason.ZIP_UNSAFE_PATH
    assert "twice" in exc.message


def test_a_symlink_entry_is_refused() -> None:
    link = zipfile.ZipInfo("link-to-etc")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    exc = rejection(make_zip([("ok.txt", b"x"), (link, b"/etc/passwd")]))
    assert exc.reason == Reason.ZIP_SYMLINK
    assert "link-to-etc" in exc.message


def test_an_entry_flagged_as_encrypted_is_refused() -> None:
    # zipfile cannot write encrypted entries, so set the flag bit in the central directory.
    data = make_zip({"a.txt": b"x", "secret.txt": b"y"})
    data = patch_central(data, 8, "<H", 0x1, index=1)
    exc = rejection(data)
    assert exc.reason == Reason.ZIP_ENCRYPTED
    assert "secret.txt" in exc.message


def test_an_entry_with_an_unsupported_compression_method_is_refused() -> None:
    data = patch_central(make_zip({"a.txt": b"x" * 100}), 10, "<H", 9)  # deflate64
    assert rejection(data).reason == Reason.ZIP_UNSUPPORTED_COMPRESSION


def test_a_nested_archive_one_level_deep_is_inspected_and_counted() -> None:
    inner = make_zip({"inner.xml": b"<a/>", "more.xml": b"<b/>"})
    summary = inspect_zip(io.BytesIO(make_zip({"outer.xml": b"<c/>", "inner.zip": inner})))
    assert summary.nested_archives == ("inner.zip",)
    assert summary.entries == 4
    assert summary.files == 4


def test_a_nested_archive_two_levels_deep_is_refused() -> None:
    level2 = make_zip({"deep.xml": b"<a/>"})
    level1 = make_zip({"level2.zip": level2})
    exc = rejection(make_zip({"level1.zip": level1}))
    assert exc.reason == Reason.ZIP_NESTED_TOO_DEEP
    assert "level1.zip/level2.zip" in exc.message


def test_a_bomb_inside_a_nested_archive_is_found() -> None:
    inner = make_zip({"zeros.bin": bytes(20 * 1024 * 1024)})
    exc = rejection(make_zip({"inner.zip": inner}, zipfile.ZIP_STORED))
    assert exc.reason == Reason.ZIP_RATIO_EXCEEDED
    assert "inner.zip/zeros.bin" in exc.message


def test_nested_entries_count_towards_the_entry_limit() -> None:
    inner = make_zip({f"f{i}": b"" for i in range(4)})
    data = make_zip({"a": b"", "inner.zip": inner})
    assert rejection(data, ZipLimits(max_entries=5)).reason == Reason.ZIP_TOO_MANY_ENTRIES


def test_a_nested_archive_too_big_to_inspect_is_refused() -> None:
    inner = make_zip({"data.bin": bytes(range(256)) * 64}, zipfile.ZIP_STORED)
    exc = rejection(make_zip({"inner.zip": inner}), ZipLimits(max_nested_archive_bytes=1024))
    assert exc.reason == Reason.ZIP_TOO_LARGE


def test_a_nested_archive_that_lies_about_its_size_is_refused() -> None:
    inner = make_zip({"data.bin": bytes(range(256)) * 64}, zipfile.ZIP_STORED)
    data = make_zip({"inner.zip": inner})
    data = patch_central(data, 24, "<L", 100)  # declared uncompressed size: 100 bytes
    assert rejection(data).reason == Reason.ZIP_CORRUPT


def test_entries_that_share_their_data_are_refused_as_a_non_recursive_bomb() -> None:
    data = make_zip({"a.txt": b"a" * 100, "b.txt": b"b" * 100})
    data = patch_central(data, 42, "<L", 0, index=1)  # b.txt's local header is a.txt's
    exc = rejection(data)
    assert exc.reason == Reason.ZIP_CORRUPT
    assert "overlaps" in exc.message


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04" + bytes(100),
        b"not a zip at all",
        b"",
    ],
)
def test_something_that_is_not_a_zip_is_refused_as_corrupt(data: bytes) -> None:
    assert rejection(data).reason == Reason.ZIP_CORRUPT


def test_a_truncated_archive_is_refused_as_corrupt() -> None:
    data = make_zip({"a.txt": b"hello" * 100, "b.txt": b"world" * 100})
    assert rejection(data[:-30]).reason == Reason.ZIP_CORRUPT


def test_a_central_directory_with_a_damaged_header_is_refused_as_corrupt() -> None:
    data = make_zip({"a.txt": b"hello"})
    at = data.index(_CENTRAL)
    damaged = data[:at] + b"XX" + data[at + 2 :]
    assert rejection(damaged).reason == Reason.ZIP_CORRUPT


def test_a_nested_archive_whose_compressed_bytes_are_damaged_is_refused_as_corrupt() -> None:
    inner = make_zip({"data.txt": bytes(range(256)) * 8}, zipfile.ZIP_STORED)
    outer = bytearray(make_zip({"inner.zip": inner}))
    data_start = outer.index(_LOCAL) + 30 + len("inner.zip")
    outer[data_start + 10 : data_start + 30] = bytes(20)  # scramble the deflate stream
    assert rejection(bytes(outer)).reason == Reason.ZIP_CORRUPT


def test_entries_inside_a_nested_archive_are_inflated_and_checked_too() -> None:
    # Every entry is inflated to check its real size, a nested archive's too: damaged data is refused.
    inner = bytearray(make_zip({"data.txt": b"some text " * 200}))
    local = inner.index(_LOCAL)
    inner[local + 40 : local + 60] = bytes(20)
    assert rejection(make_zip({"inner.zip": bytes(inner)})).reason == Reason.ZIP_CORRUPT


def understated_zip(real_size: int, declared_size: int = 100) -> bytes:
    """A ZIP whose one entry's headers (local and central) declare ``declared_size`` bytes but whose
    deflate stream inflates to ``real_size``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("data.txt", "w") as member:
        block = b"\0" * (1024 * 1024)
        for _ in range(real_size // len(block)):
            member.write(block)
    data = bytearray(buffer.getvalue())
    struct.pack_into("<L", data, data.index(_LOCAL) + 22, declared_size)
    struct.pack_into("<L", data, data.index(_CENTRAL) + 24, declared_size)
    return bytes(data)


def test_an_entry_inflating_past_its_declared_size_is_refused_while_inflating() -> None:
    refused = rejection(understated_zip(64 * 1024 * 1024))
    assert refused.reason == Reason.ZIP_CORRUPT
    assert "declares" in refused.message
