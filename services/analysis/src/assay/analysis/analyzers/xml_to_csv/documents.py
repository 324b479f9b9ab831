"""The documents of one input file: the file itself, or each member of a ZIP archive, in order.

Ingest has already refused unsafe archives (bombs, traversal, symlinks, nesting, member count);
members are read straight from the archive, never extracted by name. A member that cannot be a
document here (a nested archive, an encrypted entry) is listed as skipped with its reason.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

NESTED_ARCHIVE = "NESTED_ARCHIVE"
ENCRYPTED = "ENCRYPTED"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True)
class Document:
    """One document to convert; ``open`` may be called once per pass."""

    name: str
    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]
    in_archive: bool
    skip_code: str = ""
    skip_reason: str = ""


def is_zip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) in _ZIP_MAGIC


def documents(path: Path, display_name: str) -> Iterator[Document]:
    """Yield the file as one document, or every file member of a ZIP archive."""
    if not is_zip(path):
        yield Document(display_name, path.stat().st_size, lambda: path.open("rb"), in_archive=False)
        return
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            yield _member(archive, info)


def _member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Document:
    name = info.filename
    if info.flag_bits & 0x1:
        return Document(name, info.file_size, _never, True, ENCRYPTED, f"{name} is encrypted")
    with archive.open(info) as head:
        magic = head.read(4)
    if magic in _ZIP_MAGIC:
        return Document(name, info.file_size, _never, True, NESTED_ARCHIVE,
                        f"{name} is an archive inside the archive; upload it on its own")
    return Document(name, info.file_size, lambda: archive.open(info), in_archive=True)


def _never() -> AbstractContextManager[IO[bytes]]:  # pragma: no cover - skipped documents are never opened
    raise RuntimeError("a skipped document is never opened")
