"""Layout-aware PDF text: running headers, footers and page numbers dropped, paragraphs and clause
numbers rebuilt over line and page breaks, hyphenation undone, word-per-object text layers read as
lines. The PDFs are drawn here with fpdf2, like a word processor would lay them out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF

from assay.analysis.analyzers.contract_review.extract import extract_file
from assay.analysis.analyzers.contract_review.segment import segment
from assay.analysis.plugin import AnalysisInputError

LEFT = 20.0
TOP = 30.0
LINE = 5.5
"""Millimetres from one baseline to the next."""

Page = list[str | None]
"""A page's body lines; ``None`` is a blank line between paragraphs."""


def _write(
    path: Path,
    pages: list[Page],
    *,
    header: str = "ACME Cloud Ltd - Data Processing Agreement - Confidential",
    footer: Callable[[int, int], str] | None = lambda n, total: f"Page {n} of {total}",
    draw_line: Callable[[FPDF, float, str], None] | None = None,
) -> Path:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=8)
        if header:
            pdf.text(LEFT, 12, header)
        if footer is not None:
            pdf.text(LEFT, 287, "ACME Cloud Ltd, 1 Example Street, London - registered in England no. 0000000")
            pdf.text(170, 282, footer(number, len(pages)))
        pdf.set_font("Helvetica", size=10)
        y = TOP
        for line in lines:
            if line is not None:
                if draw_line is not None:
                    draw_line(pdf, y, line)
                else:
                    pdf.text(LEFT, y, line)
            y += LINE
    pdf.output(str(path))
    return path


def _texts(path: Path) -> list[str]:
    return [b.text for b in extract_file(path, file_id="f", display_name=path.name).blocks]


FULL = "The Processor shall implement appropriate technical and organisational measures to"
"""A line that runs to the right margin, like a justified line of a paragraph."""

PAGES: list[Page] = [
    [
        "1. Security",
        None,
        "1.1 " + FULL,
        "protect the personal data against accidental or unlawful destruction, loss or alter-",
        "ation, as set out in Annex 2.",
        None,
        "1.2 The Processor shall keep its measures under review and shall update them when the",
        "state of the art changes, at its own cost and without undue delay, and shall inform the",
    ],
    [
        "Customer of every material change. It shall keep a record of the changes.",
        None,
        "2. Sub-processors",
        None,
        "2.1 The Processor shall not engage a sub-",
        "processor without the prior written authorisation of the Customer.",
    ],
    [
        "3. Deletion",
        None,
        "3.1 The Processor shall delete all personal data at the end of the services.",
    ],
]


def test_running_headers_footers_and_page_numbers_never_reach_the_text(tmp_path: Path) -> None:
    texts = _texts(_write(tmp_path / "dpa.pdf", PAGES))
    joined = "\n".join(texts)
    assert "Confidential" not in joined
    assert "registered in England" not in joined
    assert "Page" not in joined and " of 3" not in joined
    assert texts[2].startswith("3. Deletion")


def test_paragraphs_are_rebuilt_with_their_clause_numbers_and_hyphenation_undone(tmp_path: Path) -> None:
    clauses = {c.clause_id: c for c in segment([extract_file(_write(tmp_path / "d.pdf", PAGES), file_id="f",
                                                             display_name="d.pdf")])}
    assert clauses["cl-1.1"].text == (
        "1.1 The Processor shall implement appropriate technical and organisational measures to protect the "
        "personal data against accidental or unlawful destruction, loss or alteration, as set out in Annex 2."
    )
    # a compound's hyphen stays: "sub-" + "processor"
    assert clauses["cl-2.1"].text == (
        "2.1 The Processor shall not engage a sub-processor without the prior written authorisation of the Customer."
    )
    assert clauses["cl-1"].kind == "heading" and clauses["cl-2"].kind == "heading"


def test_a_sentence_cut_by_a_page_break_is_quoted_whole_on_the_page_where_it_starts(tmp_path: Path) -> None:
    clauses = {c.clause_id: c for c in segment([extract_file(_write(tmp_path / "d.pdf", PAGES), file_id="f",
                                                             display_name="d.pdf")])}
    spans = clauses["cl-1.2"].spans
    assert [(s.page, s.text) for s in spans] == [
        (1, "1.2 The Processor shall keep its measures under review and shall update them when the state of the "
            "art changes, at its own cost and without undue delay, and shall inform the Customer of every material "
            "change."),
        (2, "It shall keep a record of the changes."),
    ]


def test_a_footer_at_the_same_place_is_dropped_even_on_a_two_page_document(tmp_path: Path) -> None:
    texts = _texts(_write(tmp_path / "two.pdf", PAGES[:2], header=""))
    assert not any("London" in t or "Page" in t for t in texts)


def test_numbered_clauses_at_the_same_place_on_every_page_are_content_not_headers(tmp_path: Path) -> None:
    pages: list[Page] = [[f"{n}. The Processor shall comply with clause {n} of the Agreement."] for n in range(1, 5)]
    texts = _texts(_write(tmp_path / "c.pdf", pages, header="", footer=None))
    assert texts == [f"{n}. The Processor shall comply with clause {n} of the Agreement." for n in range(1, 5)]


def _word_by_word(pdf: FPDF, y: float, line: str) -> None:
    """Every word its own text object, drawn right to left: one token per text-layer line."""
    x = LEFT
    places = []
    for word in line.split():
        places.append((x, word))
        x += pdf.get_string_width(word + " ")
    for x, word in reversed(places):
        pdf.text(x, y, word)


def test_a_text_layer_with_one_word_per_object_is_read_as_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "words.pdf", PAGES, draw_line=_word_by_word)
    clauses = {c.clause_id: c for c in segment([extract_file(path, file_id="f", display_name="words.pdf")])}
    assert clauses["cl-3.1"].text == "3.1 The Processor shall delete all personal data at the end of the services."
    assert len(clauses) < 12


def _first_word_apart(pdf: FPDF, y: float, line: str) -> None:
    """A paragraph's first word in bold, drawn as its own object (a fake heading for a line reader)."""
    first, _, rest = line.partition(" ")
    if not first[:1].isalpha():
        pdf.text(LEFT, y, line)
        return
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.text(LEFT, y, first)
    width = pdf.get_string_width(first + " ")
    pdf.set_font("Helvetica", size=10)
    pdf.text(LEFT + width, y, rest)


def test_a_first_word_drawn_apart_is_not_a_heading_of_its_own(tmp_path: Path) -> None:
    pages: list[Page] = [[
        "Security",
        None,
        "The Processor shall implement appropriate measures to protect the personal data.",
        None,
        "Processor shall notify the Customer of a personal data breach without undue delay.",
    ]]
    path = _write(tmp_path / "bold.pdf", pages, header="", footer=None, draw_line=_first_word_apart)
    clauses = segment([extract_file(path, file_id="f", display_name="bold.pdf")])
    texts = [c.text for c in clauses]
    assert "Processor shall notify the Customer of a personal data breach without undue delay." in texts
    assert "The Processor shall implement appropriate measures to protect the personal data." in texts


def _encrypted(path: Path, user_password: str) -> Path:
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.text(LEFT, TOP, "1.1 The Processor shall delete all personal data at the end of the services.")
    pdf.output(str(path))
    return path


def test_a_pdf_locked_with_a_password_is_refused_and_an_owner_only_lock_is_read(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as caught:
        extract_file(_encrypted(tmp_path / "locked.pdf", "user-secret"), file_id="f", display_name="locked.pdf")
    assert caught.value.code == "INPUT_UNPARSEABLE" and "password-protected" in caught.value.message
    texts = _texts(_encrypted(tmp_path / "owner.pdf", ""))
    assert texts == ["1.1 The Processor shall delete all personal data at the end of the services."]
