"""ZIP archives checked from their central directory, before anything is extracted."""

from __future__ import annotations

import contextlib
import copy
import lzma
import os
import re
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO

from assay.ingest.validation.errors import Reason, UploadRejected

ZipSource = str | os.PathLike[str] | IO[bytes]
"""A path to a ZIP file, or a readable, seekable binary file object positioned anywhere."""

CONTENT_FIELD = "chunk"

_KIB = 1024
_MIB = 1024 * _KIB
_GIB = 1024 * _MIB


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds an archive must stay within; the defaults suit document bundles."""

    max_entries: int = 10_000
    """Most entries (files and directories, nested archives' included) an archive may hold."""

    max_total_uncompressed: int = 1 * _GIB
    """Most bytes all entries may expand to, nested archives' entries included."""

    max_ratio: float = 100.0
    """Highest uncompressed:compressed ratio, per entry and for the archive as a whole."""

    ratio_grace_bytes: int = 1 * _MIB
    """Entries (and archives) that expand to no more than this are exempt from the ratio check:
    a small file of blanks compresses beyond 100:1 legitimately and cannot be a bomb."""

    max_nesting_depth: int = 1
    """How deep ``.zip`` entries may nest: 1 allows a ZIP inside the upload, not one inside that."""

    max_nested_archive_bytes: int = 64 * _MIB
    """Largest nested archive that is read to inspect it; a bigger one is refused. It is read
    with a hard cap of this many bytes whatever its header claims."""


@dataclass(frozen=True, slots=True)
class ZipSummary:
    """What an accepted archive holds, nested archives included."""

    entries: int
    """Entries counted against ``max_entries``, directories included."""
    files: int
    """Entries that are files, not directories."""
    total_uncompressed: int
    """Bytes the files declare they expand to."""
    total_compressed: int
    """Bytes the files occupy compressed."""
    nested_archives: tuple[str, ...] = ()
    """Paths of the inspected nested archives, as ``outer.zip/inner.zip``."""


_SUPPORTED_COMPRESSION = frozenset(
    {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
)
_FLAG_ENCRYPTED = 0x01
_FLAG_STRONG_ENCRYPTION = 0x40
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NESTED_SUFFIXES = (".zip",)
_COPY_BLOCK = 64 * _KIB
_SPOOL_IN_MEMORY = 1 * _MIB
# Smallest local file header: 30 fixed bytes before the name, extra field and data.
_LOCAL_HEADER_MIN = 30
# Errors the zipfile module and its decompressors raise on malformed input.
_CORRUPT_ERRORS = (
    zipfile.BadZipFile,
    EOFError,
    struct.error,
    ValueError,
    OSError,
    zlib.error,
    lzma.LZMAError,
)


@dataclass(slots=True)
class _Tally:
    entries: int = 0
    files: int = 0
    uncompressed: int = 0
    compressed: int = 0
    nested: list[str] = field(default_factory=list)


def inspect_zip(source: ZipSource, limits: ZipLimits | None = None) -> ZipSummary:
    """Check an archive against ``limits`` without extracting it.

    The central directory is read (its entry count bounded before :mod:`zipfile` parses it, so a
    directory of a million entries costs no memory), then every entry's path, type, encryption,
    compression method and ratio is checked, overlapping entries (the non-recursive zip bomb) are
    refused, and ``.zip`` entries are read, with a hard cap, and inspected in turn down to
    ``limits.max_nesting_depth``. Totals include nested archives.

    Declared sizes are what the limits apply to, and every entry is then inflated (nothing kept)
    to check that it expands to exactly what it declares: one whose data inflates past its
    declared size is refused as ``ZIP_CORRUPT``, so no reader — whatever it trusts — can be
    bombed by headers that lie. The work is bounded by the declared totals.

    Args:
        source: The archive, as a path or a seekable binary file object.
        limits: The bounds; the defaults of :class:`ZipLimits` when omitted.

    Raises:
        UploadRejected: with a ``ZIP_*`` reason on field ``chunk``.
    """
    limits = limits or ZipLimits()
    tally = _Tally()
    with _opened(source) as fp:
        _inspect(fp, limits, tally, depth=0, label="")
    return ZipSummary(
        entries=tally.entries,
        files=tally.files,
        total_uncompressed=tally.uncompressed,
        total_compressed=tally.compressed,
        nested_archives=tuple(tally.nested),
    )


@contextlib.contextmanager
def open_zip(source: ZipSource, *, max_entries: int) -> Iterator[zipfile.ZipFile]:
    """Open an archive with :mod:`zipfile` once its entry count is known to be bounded.

    Raises:
        UploadRejected: ``ZIP_TOO_MANY_ENTRIES`` or ``ZIP_CORRUPT``.
    """
    with _opened(source) as fp:
        _count_entries(fp, max_entries, label="")
        try:
            zf = zipfile.ZipFile(fp)
        except _CORRUPT_ERRORS as exc:
            raise _corrupt("", exc) from exc
        with zf:
            yield zf


@contextlib.contextmanager
def _opened(source: ZipSource) -> Iterator[IO[bytes]]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as fp:
            yield fp
        return
    position = source.tell()
    try:
        yield source
    finally:
        source.seek(position)


def _inspect(fp: IO[bytes], limits: ZipLimits, tally: _Tally, *, depth: int, label: str) -> None:
    cd_start = _count_entries(fp, limits.max_entries - tally.entries, label=label)
    try:
        zf = zipfile.ZipFile(fp)
    except _CORRUPT_ERRORS as exc:
        raise _corrupt(label, exc) from exc
    with zf:
        infos = zf.infolist()
        seen: set[str] = set()
        archive_uncompressed = 0
        for info in infos:
            _check_entry(info, limits, label, seen)
            tally.entries += 1
            if not info.is_dir():
                tally.files += 1
                archive_uncompressed += info.file_size
                tally.uncompressed += info.file_size
                tally.compressed += info.compress_size
            if tally.uncompressed > limits.max_total_uncompressed:
                raise UploadRejected(
                    Reason.ZIP_TOO_LARGE,
                    CONTENT_FIELD,
                    f"archive{_where(label)} expands to more than "
                    f"{limits.max_total_uncompressed} bytes; split it into smaller archives",
                )
        fp.seek(0, os.SEEK_END)
        archive_size = fp.tell()
        if archive_uncompressed > limits.ratio_grace_bytes and (
            archive_uncompressed > limits.max_ratio * archive_size
        ):
            raise UploadRejected(
                Reason.ZIP_RATIO_EXCEEDED,
                CONTENT_FIELD,
                f"archive{_where(label)} of {archive_size} bytes expands to "
                f"{archive_uncompressed} bytes, beyond the {limits.max_ratio:g}:1 limit",
            )
        _check_no_overlap(infos, cd_start, label)
        for info in infos:
            if info.is_dir():
                continue
            if info.filename.lower().endswith(_NESTED_SUFFIXES):
                _inspect_nested(zf, info, limits, tally, depth=depth + 1, label=label)
            else:
                _inflate_checked(zf, info, None, f"{label}/{info.filename}" if label else info.filename)


def _check_entry(info: zipfile.ZipInfo, limits: ZipLimits, label: str, seen: set[str]) -> None:
    name = info.orig_filename
    shown = _show(label, name)
    problem = _unsafe_path(name)
    if problem is None and name in seen:
        problem = "appears twice (readers disagree on which copy wins)"
    if problem is not None:
        raise UploadRejected(
            Reason.ZIP_UNSAFE_PATH,
            CONTENT_FIELD,
            f"archive entry {shown} {problem}; use relative paths without '..'",
        )
    seen.add(name)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise UploadRejected(
            Reason.ZIP_SYMLINK,
            CONTENT_FIELD,
            f"archive entry {shown} is a symbolic link; archive the file it points to instead",
        )
    if info.flag_bits & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        raise UploadRejected(
            Reason.ZIP_ENCRYPTED,
            CONTENT_FIELD,
            f"archive entry {shown} is encrypted; upload the archive without a password",
        )
    if info.compress_type not in _SUPPORTED_COMPRESSION:
        raise UploadRejected(
            Reason.ZIP_UNSUPPORTED_COMPRESSION,
            CONTENT_FIELD,
            f"archive entry {shown} uses compression method {info.compress_type}; "
            "use deflate, bzip2, lzma or no compression",
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise UploadRejected(
            Reason.ZIP_CORRUPT,
            CONTENT_FIELD,
            f"archive entry {shown} is stored uncompressed but declares {info.compress_size} "
            f"bytes stored and {info.file_size} bytes expanded",
        )
    if info.file_size > limits.ratio_grace_bytes and (
        info.file_size > limits.max_ratio * info.compress_size
    ):
        raise UploadRejected(
            Reason.ZIP_RATIO_EXCEEDED,
            CONTENT_FIELD,
            f"archive entry {shown} expands from {info.compress_size} to {info.file_size} bytes, "
            f"beyond the {limits.max_ratio:g}:1 compression ratio limit",
        )


def _unsafe_path(name: str) -> str | None:
    if not name:
        return "has an empty name"
    if _CONTROL.search(name):
        return "has control characters in its name"
    if name.startswith(("/", "\\")):
        return "has an absolute path"
    if _DRIVE_LETTER.match(name):
        return "has a drive letter"
    if ".." in re.split(r"[/\\]", name):
        return "climbs out of the archive with '..'"
    return None


def _check_no_overlap(infos: list[zipfile.ZipInfo], cd_start: int, label: str) -> None:
    # Entries whose data overlaps let a few KiB of deflate stream stand for thousands of files
    # (David Fifield's non-recursive zip bomb); a well-formed archive never shares bytes.
    ordered = sorted(infos, key=lambda i: i.header_offset)
    if not ordered:
        return
    bounds = [i.header_offset for i in ordered[1:]] + [cd_start]
    for info, next_start in zip(ordered, bounds, strict=True):
        if info.header_offset + _LOCAL_HEADER_MIN + info.compress_size > next_start:
            raise UploadRejected(
                Reason.ZIP_CORRUPT,
                CONTENT_FIELD,
                f"archive entry {_show(label, info.orig_filename)} overlaps the next entry or the "
                "central directory; the archive is malformed",
            )


def _inspect_nested(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: ZipLimits,
    tally: _Tally,
    *,
    depth: int,
    label: str,
) -> None:
    path = f"{label}/{info.filename}" if label else info.filename
    if depth > limits.max_nesting_depth:
        raise UploadRejected(
            Reason.ZIP_NESTED_TOO_DEEP,
            CONTENT_FIELD,
            f"archive entry {path!a} nests archives {depth} levels deep; at most "
            f"{limits.max_nesting_depth} level is allowed, so flatten the archive",
        )
    cap = limits.max_nested_archive_bytes
    if info.file_size > cap:
        raise UploadRejected(
            Reason.ZIP_TOO_LARGE,
            CONTENT_FIELD,
            f"nested archive {path!a} is {info.file_size} bytes; nested archives may be at "
            f"most {cap} bytes, so upload it on its own",
        )
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        _inflate_checked(zf, info, spool, path)
        spool.seek(0)
        tally.nested.append(path)
        _inspect(spool, limits, tally, depth=depth, label=path)


def _inflate_checked(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, sink: tempfile.SpooledTemporaryFile[bytes] | None, path: str,
) -> None:
    """Inflate an entry (into ``sink`` when given) and refuse it if it expands past its declared size.

    :mod:`zipfile` stops reading an entry at the size its header declares, so the entry is opened
    with a declared size one byte larger (and its CRC checked here, at the real end): getting that
    byte means the data holds more than declared.
    """
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    del probe.CRC  # zipfile would check it on reaching the probe's size, before the extra byte is seen
    inflated, crc = 0, 0
    try:
        with zf.open(probe) as member:
            while block := member.read(_COPY_BLOCK):
                inflated += len(block)
                crc = zlib.crc32(block, crc)
                if inflated > info.file_size:
                    raise UploadRejected(
                        Reason.ZIP_CORRUPT,
                        CONTENT_FIELD,
                        f"archive entry {_show('', path)} inflates past the {info.file_size} bytes its "
                        "header declares",
                    )
                if sink is not None:
                    sink.write(block)
    except _CORRUPT_ERRORS as exc:
        raise _corrupt(path, exc) from exc
    if inflated != info.file_size or crc != info.CRC:
        raise _corrupt(path, f"entry inflates to {inflated} bytes with crc {crc:08x}; its header declares "
                             f"{info.file_size} bytes with crc {info.CRC:08x}")


_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_HEADER_SIGNATURE = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF


def _count_entries(fp: IO[bytes], budget: int, *, label: str) -> int:
    """Walk the central directory's headers, stopping past ``budget``; return where it starts.

    zipfile builds a ZipInfo for every header before anyone can count them, which for a small
    archive of empty entries is hundreds of MiB of memory: count first, cheaply.
    """
    cd_start, cd_end = _central_directory_bounds(fp, label)
    count = 0
    position = cd_start
    fp.seek(cd_start)
    while position < cd_end:
        header = fp.read(_CENTRAL_HEADER.size)
        if len(header) != _CENTRAL_HEADER.size or header[:4] != _CENTRAL_HEADER_SIGNATURE:
            raise _corrupt(label, "bad central directory header")
        fields = _CENTRAL_HEADER.unpack(header)
        name_len, extra_len, comment_len = fields[12], fields[13], fields[14]
        position += _CENTRAL_HEADER.size + name_len + extra_len + comment_len
        fp.seek(position)
        count += 1
        if count > budget:
            raise UploadRejected(
                Reason.ZIP_TOO_MANY_ENTRIES,
                CONTENT_FIELD,
                f"archive{_where(label)} holds more entries than the {budget} still allowed; "
                "split it into smaller archives",
            )
    return cd_start


def _central_directory_bounds(fp: IO[bytes], label: str) -> tuple[int, int]:
    fp.seek(0, os.SEEK_END)
    size = fp.tell()
    tail_len = min(size, _EOCD.size + _MAX_COMMENT)
    fp.seek(size - tail_len)
    tail = fp.read(tail_len)
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        raise _corrupt(label, "no end of central directory record; the archive is truncated")
    eocd = _EOCD.unpack(tail[at : at + _EOCD.size])
    cd_size, eocd_offset = eocd[5], size - tail_len + at
    cd_end = eocd_offset
    if eocd_offset >= _ZIP64_LOCATOR.size:
        fp.seek(eocd_offset - _ZIP64_LOCATOR.size)
        locator = fp.read(_ZIP64_LOCATOR.size)
        if locator[:4] == _ZIP64_LOCATOR_SIGNATURE:
            # Like zipfile, expect the ZIP64 end record right before its locator.
            zip64_offset = eocd_offset - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
            if zip64_offset < 0:
                raise _corrupt(label, "truncated zip64 end of central directory record")
            fp.seek(zip64_offset)
            record = fp.read(_ZIP64_EOCD.size)
            if len(record) != _ZIP64_EOCD.size or record[:4] != _ZIP64_EOCD_SIGNATURE:
                raise _corrupt(label, "bad zip64 end of central directory record")
            cd_size, cd_end = _ZIP64_EOCD.unpack(record)[8], zip64_offset
    cd_start = cd_end - cd_size
    if cd_start < 0:
        raise _corrupt(label, "central directory is larger than the archive")
    return cd_start, cd_end


def _corrupt(label: str, cause: BaseException | str) -> UploadRejected:
    detail = str(cause).lower() or type(cause).__name__.lower()
    return UploadRejected(
        Reason.ZIP_CORRUPT,
        CONTENT_FIELD,
        f"archive{_where(label)} is not a readable zip file ({detail}); re-create it and retry",
    )


def _where(label: str) -> str:
    return f" {label!a}" if label else ""


def _show(label: str, name: str) -> str:
    path = f"{label}/{name}" if label else name
    return ascii(path if len(path) <= 120 else path[:120] + "...")
