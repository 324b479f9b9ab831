"""Bounds on what one input may cost to parse, and the input error a breach is reported as.

An input that is too deep, too amplifying or too big once inflated fails the same way on every
attempt, so it is an input error (``INPUT_TOO_COMPLEX``, never retried), not an analyzer error:
decompressed PDF streams are capped through pypdf's configuration, a DOCX's parts are capped by
their inflated size (Python's ``zipfile`` never inflates a member past the size its header
declares, so the declared sizes bound the real ones), XML entity amplification (libxml2 refuses
it) is caught, and the child process running the analyzer has an address-space limit
(``ASSAY_WORKER_MEMORY_LIMIT_BYTES``) whose ``MemoryError`` is reported the same way.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assay.analysis.plugin import AnalysisInputError

TOO_COMPLEX = "INPUT_TOO_COMPLEX"
MAX_PDF_STREAM_BYTES = 32 * 1024 * 1024
"""Largest decompressed PDF stream (pypdf's own default is 75 MB per stream)."""
MAX_DOCX_INFLATED_BYTES = 128 * 1024 * 1024
"""Largest total inflated size of a DOCX's parts."""


def too_complex(message: str) -> AnalysisInputError:
    return AnalysisInputError(TOO_COMPLEX, message)


@contextmanager
def pdf_decoding_limits() -> Iterator[None]:
    """Parse PDFs inside this block with every decompression capped at ``MAX_PDF_STREAM_BYTES``."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    cap = MAX_PDF_STREAM_BYTES
    with apply_configuration(
        maximum_declared_stream_length=cap, array_based_stream_maximum_output_length=cap,
        zlib_maximum_output_length=cap, lzw_maximum_output_length=cap, run_length_maximum_output_length=cap,
        brotli_maximum_output_length=cap, jbig2_maximum_output_length=cap, image_maximum_buffer_size=cap,
    ):
        try:
            yield
        except LimitReachedError as exc:
            raise too_complex(f"the PDF has a stream that inflates past {cap // (1024 * 1024)} MiB ({exc})") from exc


def check_zip_inflated_size(path: Path, limit: int = MAX_DOCX_INFLATED_BYTES) -> None:
    """INPUT_TOO_COMPLEX when the ZIP's members inflate to more than ``limit`` bytes in all."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # not a readable ZIP: the parser says so precisely
    if total > limit:
        raise too_complex(f"the document inflates to {total} bytes; at most {limit} are read")


def is_entity_amplification(exc: BaseException) -> bool:
    """Whether an XML parse error is libxml2 refusing entity expansion (a billion-laughs document)."""
    text = str(exc).lower()
    return "amplification" in text or "entity reference loop" in text or ("entities" in text and "limit" in text)
