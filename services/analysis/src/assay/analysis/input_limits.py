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
from typing import Any

from assay.analysis.plugin import AnalysisInputError

TOO_COMPLEX = "INPUT_TOO_COMPLEX"
MAX_PDF_STREAM_BYTES = 32 * 1024 * 1024
"""Largest decompressed PDF stream (pypdf's own default is 75 MB per stream)."""
MAX_DOCX_INFLATED_BYTES = 128 * 1024 * 1024
"""Largest total inflated size of a DOCX's parts."""


def too_complex(message: str) -> AnalysisInputError:
    return AnalysisInputError(TOO_COMPLEX, message)


def _pdf_caps() -> dict[str, Any]:
    cap = MAX_PDF_STREAM_BYTES
    return {name: cap for name in (
        "maximum_declared_stream_length", "array_based_stream_maximum_output_length", "zlib_maximum_output_length",
        "lzw_maximum_output_length", "run_length_maximum_output_length", "brotli_maximum_output_length",
        "jbig2_maximum_output_length", "image_maximum_buffer_size")}


def pdf_too_complex(exc: BaseException) -> AnalysisInputError:
    return too_complex(f"the PDF has a stream that inflates past {MAX_PDF_STREAM_BYTES // (1024 * 1024)} MiB ({exc})")


@contextmanager
def pdf_decoding_limits() -> Iterator[None]:
    """Parse PDFs inside this block with every decompression capped at ``MAX_PDF_STREAM_BYTES``."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError

    with apply_configuration(**_pdf_caps()):
        try:
            yield
        except LimitReachedError as exc:
            raise pdf_too_complex(exc) from exc


def cap_pdf_decoding_in_this_process() -> None:
    """Apply the PDF caps to every pypdf use of an analyzer child (its attempts run in one context);
    a ``LimitReachedError`` that escapes an analyzer is then reported as INPUT_TOO_COMPLEX."""
    from pypdf import overwrite_configuration

    overwrite_configuration(**_pdf_caps())


def limit_error(exc: BaseException) -> AnalysisInputError | None:
    """The INPUT_TOO_COMPLEX error for an exception that means a parse limit was reached, else None."""
    from pypdf.errors import LimitReachedError

    if isinstance(exc, RecursionError):
        return too_complex("the input is nested too deeply to be parsed")
    if isinstance(exc, MemoryError):
        return too_complex("the input needs more memory than an analyzer process may use")
    if isinstance(exc, LimitReachedError):
        return pdf_too_complex(exc)
    return None


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
