"""Text extraction keeps page numbers (PDF) and paragraph numbers (DOCX, text)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from fixtures.contracts import docgen
from fixtures.contracts.support import fixture_text

from assay.analysis.analyzers.contract_review.extract import decode_text, extract_file, extract_html, extract_text
from assay.analysis.analyzers.contract_review.segment import segment
from assay.analysis.plugin import AnalysisInputError


def test_a_pdf_yields_one_block_per_page_with_its_page_number(tmp_path: Path) -> None:
    pdf = docgen.write_pdf(tmp_path / "c.pdf", [["1. First page clause."], ["2. Second page clause."]])
    document = extract_file(pdf, file_id="f1", display_name="c.pdf")
    assert document.kind == "pdf"
    assert document.units == 2
    assert [(b.page, b.paragraph) for b in document.blocks] == [(1, 0), (2, 0)]
    assert "Second page clause" in document.blocks[1].text
    assert all(b.file_id == "f1" for b in document.blocks)


def test_progress_is_reported_as_each_pdf_page_is_read(tmp_path: Path) -> None:
    pdf = docgen.write_pdf(tmp_path / "c.pdf", [[f"{i}. Clause on page {i}."] for i in range(1, 5)])
    seen: list[tuple[int, int]] = []
    extract_file(pdf, file_id="f1", display_name="c.pdf", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_a_pdf_without_a_text_layer_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    scan = docgen.write_scanned_pdf(tmp_path / "scan.pdf", pages=3)
    with pytest.raises(AnalysisInputError) as caught:
        extract_file(scan, file_id="f1", display_name="scan.pdf")
    assert caught.value.code == "PDF_NO_TEXT_LAYER"
    assert "no text layer" in caught.value.message and "OCR" in caught.value.message


def test_a_pdf_with_some_image_only_pages_keeps_the_text_pages_and_names_the_others(tmp_path: Path) -> None:
    pdf = docgen.write_pdf(tmp_path / "c.pdf", [["1. Text page."], [], ["2. More text."]])
    document = extract_file(pdf, file_id="f1", display_name="c.pdf")
    assert [b.page for b in document.blocks] == [1, 3]
    assert document.pages_without_text == (2,)


def test_a_docx_yields_numbered_paragraphs(tmp_path: Path) -> None:
    path = docgen.write_docx(
        tmp_path / "c.docx", ["Heading", "1.1 First clause.", "", "1.2 Second clause."], ["Heading"]
    )
    document = extract_file(path, file_id="f1", display_name="c.docx")
    assert document.kind == "docx"
    assert [(b.paragraph, b.text, b.style) for b in document.blocks] == [
        (1, "Heading", "Heading 1"),
        (2, "1.1 First clause.", "Normal"),
        (4, "1.2 Second clause.", "Normal"),
    ]
    assert all(b.page == 0 for b in document.blocks)


def test_plain_text_paragraphs_are_numbered_from_one(tmp_path: Path) -> None:
    document = extract_text("First.\n\n\n2. Second\n(a) item\n\nThird.", file_id="", display_name="t")
    assert [(b.paragraph, b.text) for b in document.blocks] == [
        (1, "First."),
        (2, "2. Second\n(a) item"),
        (3, "Third."),
    ]


def test_markdown_s_raw_html_blocks_are_read_as_html() -> None:
    # 1.24.0: a Hugo page's clauses written as raw HTML were read with their tags and entities, a whole section as
    # one paragraph.
    text = (
        "## Scope\n\nThis DPA applies.\n\n"
        '<h2 id="s8">&sect; 8 Measures</h2>\n<p><strong>8.1</strong> The Processor encrypts\nthe data.</p>\n'
        "<ul>\n<li>Backups &amp; logs</li>\n</ul>\n\n</div>\n\n"
        "<style>\n  .badge { border: 0 }\n</style>\n\nClosing words with a <b>tag</b> inside."
    )
    document = extract_text(text, file_id="", display_name="t")
    assert [(b.paragraph, b.text, b.style) for b in document.blocks] == [
        (1, "## Scope", ""),
        (2, "This DPA applies.", ""),
        (3, "§ 8 Measures", "Heading 2"),
        (4, "8.1 The Processor encrypts the data.", ""),
        (5, "- Backups & logs", ""),
        (6, "Closing words with a <b>tag</b> inside.", ""),
    ]


def test_an_html_block_interrupts_a_markdown_paragraph_and_a_lone_clause_number_numbers_the_next_text() -> None:
    # 1.24.0: a Docusaurus page writes each clause as <div>4.1<div>text</div></div>, its blocks not always after a
    # blank line; the clause numbers stood alone and the headings were lost, so every clause sat under
    # "DEFINITIONS".
    text = (
        '"SCCs" means the standard contractual clauses.\n</div>\n<div class="bold">\n4<div>OBLIGATIONS</div>\n</div>\n'
        '<div class="paragraph">\n4.1<div>The Processor shall process the data only on instructions.</div>\n</div>'
    )
    document = extract_text(text, file_id="", display_name="t")
    assert [b.text for b in document.blocks] == [
        '"SCCs" means the standard contractual clauses.',
        "4 OBLIGATIONS",
        "4.1 The Processor shall process the data only on instructions.",
    ]


def test_a_text_file_is_detected_by_content_not_by_name(tmp_path: Path) -> None:
    path = tmp_path / "contract.pdf"
    path.write_text(fixture_text("eu_dpa.txt"), encoding="utf-8")
    document = extract_file(path, file_id="f1", display_name="contract.pdf")
    assert document.kind == "text"
    assert document.blocks[0].text == "DATA PROCESSING AGREEMENT"


_PAGE = b"""<!DOCTYPE html><html><head><title>DPA</title><style>p { color: red }</style>
<script>document.write("<p>Processor shall sell all data.</p>")</script></head>
<body><h1>Data Processing <span class="x">Agreement</span></h1>
<p>The <b>Processor</b> shall process Personal Data only on the <a href="#i">documented instructions</a>
of the Controller.<br>It shall inform the Controller.</p>
<!-- <p>commented out clause</p> -->
<p style="display:none">Hidden clause.</p>
<ol start="3"><li>Delete all Personal Data.</li><li>Return all copies.</li></ol>
<ul><li>Names &amp; emails</li></ul>
<table><tr><td>Sub-processor</td><td>Purpose</td></tr></table>
</body></html>"""


def test_html_yields_one_block_per_element_without_markup_script_or_hidden_text(tmp_path: Path) -> None:
    path = tmp_path / "dpa.html"
    path.write_bytes(_PAGE)
    document = extract_file(path, file_id="f1", display_name="dpa.html", media_type="text/html")
    assert document.kind == "html"
    assert [(b.paragraph, b.text, b.style) for b in document.blocks] == [
        (1, "Data Processing Agreement", "Heading 1"),
        (2, "The Processor shall process Personal Data only on the documented instructions of the Controller.\n"
            "It shall inform the Controller.", ""),
        (3, "3. Delete all Personal Data.", ""),
        (4, "4. Return all copies.", ""),
        (5, "- Names & emails", ""),
        (6, "Sub-processor", ""),
        (7, "Purpose", ""),
    ]


def test_html_is_told_by_its_content_when_no_type_is_given(tmp_path: Path) -> None:
    path = tmp_path / "dpa.txt"
    path.write_bytes(b"\xef\xbb\xbf  " + _PAGE)
    assert extract_file(path, file_id="f1", display_name="dpa.txt").kind == "html"


_CURLY = "The Client\u2019s data stays in the EU \u2013 always."
_CP1252_DECLARED = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ("", _CURLY.encode()),
        ('<meta charset="utf-8">', _CURLY.encode()),
        ("", _CURLY.encode("cp1252")),
        (_CP1252_DECLARED, _CURLY.encode("cp1252")),
    ],
    ids=["utf8-undeclared", "utf8-declared", "cp1252-undeclared", "cp1252-declared"],
)
def test_html_is_decoded_as_its_bytes_say_when_the_page_declares_no_charset(head: str, body: bytes) -> None:
    page = b"<html><head>" + head.encode() + b"</head><body><p>" + body + b"</p></body></html>"
    assert [block.text for block in extract_html(page).blocks] == [_CURLY]


def test_an_html_page_without_text_is_refused_as_empty() -> None:
    with pytest.raises(AnalysisInputError) as caught:
        extract_html(b"<html><head><script>x()</script></head><body><p> </p></body></html>")
    assert caught.value.code == "INPUT_EMPTY"


def test_a_damaged_pdf_is_reported_unparseable(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj garbage\n%%EOF")
    with pytest.raises(AnalysisInputError) as caught:
        extract_file(path, file_id="f1", display_name="broken.pdf")
    assert caught.value.code == "INPUT_UNPARSEABLE"


def test_a_zip_that_is_not_a_docx_is_reported_unparseable(tmp_path: Path) -> None:
    path = tmp_path / "x.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not word")
    with pytest.raises(AnalysisInputError) as caught:
        extract_file(path, file_id="f1", display_name="x.docx")
    assert caught.value.code == "INPUT_UNPARSEABLE"


def test_a_legacy_word_file_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    with pytest.raises(AnalysisInputError) as caught:
        extract_file(path, file_id="f1", display_name="old.doc")
    assert caught.value.code == "INPUT_UNPARSEABLE"
    assert "DOCX" in caught.value.message


def test_binary_content_is_refused() -> None:
    with pytest.raises(AnalysisInputError) as caught:
        decode_text(b"\x00\x01\x02binary")
    assert caught.value.code == "INPUT_UNPARSEABLE"


def test_utf16_and_cp1252_text_is_decoded() -> None:
    assert decode_text("Processor’s duties".encode("utf-16")) == "Processor’s duties"
    assert decode_text("Processor\x92s duties".encode("latin-1")) == "Processor’s duties"


def test_an_empty_text_is_refused() -> None:
    with pytest.raises(AnalysisInputError) as caught:
        extract_text("  \n\n  ")
    assert caught.value.code == "INPUT_EMPTY"


def test_a_markdown_rule_with_spaces_or_stars_is_no_clause() -> None:
    text = (
        "1. The Processor shall delete the data.\n\n- - -\n\nAnnex 1\n\n* * *\n\n"
        "2. The Processor shall keep records.\n"
    )
    document = extract_text(text, file_id="", display_name="dpa.md")
    clauses = [c.text for c in segment([document])]
    assert not [c for c in clauses if not any(ch.isalnum() for ch in c)], clauses
    assert "1. The Processor shall delete the data." in clauses[0]
