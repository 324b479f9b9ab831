"""The shared OCR module: pages without a text layer rendered and read by Tesseract, word boxes in PDF points."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fixtures import financial as fx
from fixtures.scans import image_only_pdf, needs_tesseract

from assay.analysis.ocr import OcrRun, OcrSettings, OcrWord, _joined, needs_second_look, render_scale


def scanned_statement(tmp_path: Path) -> pdfium.PdfDocument:
    page = fx.statement_page(["CONSOLIDATED BALANCE SHEETS", "(In thousands)"], ["2024", "2023"], fx.BALANCE_ROWS)
    text_pdf = fx.write_pdf(tmp_path / "statement.pdf", [page]).read_bytes()
    return pdfium.PdfDocument(image_only_pdf(text_pdf))


def test_a_large_page_is_rendered_within_the_pixel_bound() -> None:
    settings = OcrSettings(dpi=300, max_page_pixels=4_000_000)
    assert render_scale(595, 842, OcrSettings(dpi=300)) == pytest.approx(300 / 72)  # A4: 8.7 MP, within 36 MP
    scale = render_scale(595 * 4, 842 * 4, settings)  # a poster page
    assert 595 * 4 * scale * 842 * 4 * scale == pytest.approx(4_000_000)


def word(text: str, left: float, right: float, line: int = 1) -> OcrWord:
    return OcrWord(text=text, left=left, right=right, bottom=100, top=107, line=(1, 1, line), confidence=90)


def test_a_figure_split_at_a_narrow_gap_is_one_word_again_but_columns_stay_apart() -> None:
    words = [word("03/1", 34.6, 48.0), word("1/2024", 50.4, 73.7), word("CARD", 96.7, 118.6),
             word("2,083.41", 366.2, 395.5), word("4,282.94", 519.6, 552.7), word("7", 553.5, 556.0, line=2)]
    assert [w.text for w in _joined(words)] == ["03/11/2024", "CARD", "2,083.41", "4,282.94", "7"]
    assert _joined(words)[0].left == 34.6 and _joined(words)[0].right == 73.7


def test_without_tesseract_the_pages_are_unread_and_the_error_names_them(tmp_path: Path) -> None:
    doc = scanned_statement(tmp_path)
    run = OcrRun(OcrSettings(tesseract_cmd="no-such-tesseract"))
    assert run.read(doc[0], 1) is None
    error = run.error(3, "no statement was found on the other pages")
    assert error.code == "OCR_UNAVAILABLE"
    assert "page(s) 1 of 3" in error.message and "'no-such-tesseract' is not installed" in error.message
    assert run.summary().unread_pages == [1] and not run.summary().pages


@needs_tesseract
def test_a_page_past_its_time_limit_is_unread_with_the_reason(tmp_path: Path) -> None:
    run = OcrRun(OcrSettings(page_timeout_seconds=0.001))
    assert run.read(scanned_statement(tmp_path)[0], 1) is None
    assert run.unread == {1: "OCR timed out after 0.001 s"}
    assert run.error(1, "nothing found").code == "OCR_FAILED"


@needs_tesseract
def test_a_scanned_page_yields_its_words_with_boxes_where_they_are_printed(tmp_path: Path) -> None:
    run = OcrRun()
    page = run.read(scanned_statement(tmp_path)[0], 1)
    assert page is not None
    lines = [" ".join(w.text for w in line) for line in page.lines()]
    assert lines[0] == "CONSOLIDATED BALANCE SHEETS"
    assert "Cash and cash equivalents $ 1,200 900" in lines
    total = next(line for line in page.lines() if line[0].text == "Total" and line[1].text == "assets")
    # the fixture prints labels from x = 50 pt and right-aligns the last column at 520 pt, 14 pt a line from 800 pt
    assert total[0].left == pytest.approx(50, abs=2) and total[-1].right == pytest.approx(520, abs=2)
    assert total[-1].text == "4,700" and total[0].bottom < total[0].top
    summary = run.summary()
    assert summary.pages == [1] and summary.engine.startswith("tesseract ") and summary.mean_word_confidence > 80


@pytest.mark.parametrize(("text", "confidence", "again"), [
    ("22,218.23", 0.0, True), ("2:723", 96.0, True), ("27:75", 96.0, True), ("7732.", 69.0, True),
    ("2,723", 95.0, False), ("12:30", 40.0, True), ("PAYMENT", 10.0, False), ("(8,330)", 96.0, False),
])
def test_a_figure_is_read_again_when_unsure_or_when_a_separator_looks_misread(
    text: str, confidence: float, again: bool,
) -> None:
    assert needs_second_look(text, confidence, OcrSettings()) is again
