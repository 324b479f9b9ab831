"""A PDF's pages as layout-preserving text lines (pypdf), opened with the password when encrypted.

Layout mode keeps each word at its horizontal position, so a statement's columns (date,
description, debit, credit, balance) stay columns in the text. The password is only handed to
pypdf; nothing here logs or keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from pypdf import PasswordType, PdfReader
from pypdf.errors import PdfReadError

from assay.analysis.ocr import OcrPage
from assay.analysis.plugin import AnalysisInputError

logging.getLogger("pypdf").setLevel(logging.ERROR)


def open_pdf(path: Path, password: str, display_name: str) -> PdfReader:
    """The opened (and, when encrypted, decrypted) PDF; refusals are non-retryable input errors."""
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            outcome = reader.decrypt(password)
            if outcome == PasswordType.NOT_DECRYPTED:
                if not password:
                    raise AnalysisInputError(
                        "PDF_PASSWORD_REQUIRED",
                        f"{display_name} is password-protected: submit it again with the password param")
                raise AnalysisInputError("PDF_PASSWORD_INCORRECT",
                                         f"the password does not open {display_name}")
        _ = len(reader.pages)
    except AnalysisInputError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise AnalysisInputError("INPUT_UNPARSEABLE", f"{display_name} is not a readable PDF: {type(exc).__name__}") \
            from None
    except NotImplementedError:
        raise AnalysisInputError("PDF_ENCRYPTION_UNSUPPORTED",
                                 f"{display_name} uses an encryption this service cannot open") from None
    return reader


def ocr_layout_lines(page: OcrPage) -> list[str]:
    """An OCR'd page as layout text, like pypdf's layout mode: each word at the character column of its left edge.

    The column width is the page's median character width, so a table's columns stay columns; a
    gap narrower than two characters is one space (words of a phrase), a wider one at least two (a
    column boundary, as the table reader expects).
    """
    widths = sorted((w.right - w.left) / len(w.text) for w in page.words if len(w.text) >= 3)
    width = widths[len(widths) // 2] if widths else 6.0
    out = []
    for line in page.lines():
        text = ""
        right = 0.0
        for word in line:
            if text:
                wide = word.left - right >= 2 * width
                text += " " * (max(2, round(word.left / width) - len(text)) if wide else 1)
            else:
                text = " " * round(word.left / width)
            text += word.text
            right = word.right
        out.append(text)
    return out


def page_lines(reader: PdfReader, tick: Callable[[int], None]) -> Iterator[list[str]]:
    """Each page's text lines in layout mode (trailing spaces removed), calling ``tick(page)`` after each."""
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text(extraction_mode="layout", layout_mode_space_vertically=False)
        except (PdfReadError, ValueError, KeyError, TypeError, ZeroDivisionError):
            text = ""
        yield [line.rstrip() for line in text.splitlines()]
        tick(number)
