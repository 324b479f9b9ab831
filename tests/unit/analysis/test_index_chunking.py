"""The index analyzer's read side of a document: structural units, chunks, fusion and highlighting."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from assay.analysis.analyzers.contract_review.extract import extract_pdf
from assay.analysis.analyzers.index.chunks import MAX_CHARS, document_title, embedding_texts, pack
from assay.analysis.analyzers.index.retrieval import LEXICAL_WEIGHT, Candidate, blend, highlight
from assay.analysis.analyzers.index.units import Unit, html_units, markdown_units, read_units, table_units


def test_markdown_paragraphs_carry_their_heading_path_and_tables_their_header() -> None:
    units = list(markdown_units(
        "# Guide\n\nIntro text.\n\n## Fees\n\nA fee of *ten* euros applies, see [the list](x.html).\n\n"
        "| plan | price |\n|---|---|\n| basic | 5 |\n| pro | 9 |\n"))
    assert [(u.heading, u.text, u.paragraph, u.kind) for u in units] == [
        ("Guide", "Intro text.", 1, "text"),
        ("Guide > Fees", "A fee of ten euros applies, see the list.", 2, "text"),
        ("Guide > Fees | plan, price", "plan: basic; price: 5", 1, "table_row"),
        ("Guide > Fees | plan, price", "plan: pro; price: 9", 2, "table_row"),
    ]


def test_html_headings_paragraphs_and_table_rows_without_scripts() -> None:
    units = list(html_units(
        "<html><head><script>var secret = 1;</script></head><body><h1>Report</h1><p>First <b>point</b>.</p>"
        "<h2>Numbers</h2><ul><li>one</li></ul><table><tr><th>year</th><th>revenue</th></tr>"
        "<tr><td>2024</td><td>10</td></tr></table></body></html>"))
    assert [(u.heading, u.text, u.kind) for u in units] == [
        ("Report", "First point.", "text"),
        ("Report > Numbers", "one", "text"),
        ("Report > Numbers | year, revenue", "year: 2024; revenue: 10", "table_row"),
    ]
    assert all("secret" not in u.text for u in units)


def test_a_csv_row_keeps_its_column_names_and_row_number() -> None:
    units = list(table_units("city;staff\nOslo;45\n;\nRiga;12\n", "offices.csv"))
    assert [(u.text, u.paragraph) for u in units] == [("city: Oslo; staff: 45", 1), ("city: Riga; staff: 12", 3)]
    assert units[0].heading == "offices.csv | city, staff"


def test_a_csv_row_is_embedded_with_its_column_names_and_the_documents_name_once() -> None:
    rows = pack(table_units("city;staff\nOslo;45\nRiga;12\n", "offices_2024-05.csv"))
    assert embedding_texts("offices_2024-05.csv", rows) == ["offices: city: Oslo; staff: 45",
                                                           "offices: city: Riga; staff: 12"]
    # a markdown table's rows keep their section's title before the columns
    section = pack(markdown_units("# Fees\n\n| plan | price |\n|---|---|\n| pro | 9 |\n"))
    assert embedding_texts("guide.md", section) == ["guide: Fees\nplan: pro; price: 9"]


def test_the_document_title_leaves_out_the_digits_of_dates_and_versions() -> None:
    assert document_title("dpa_hetzner_en_2023-06-27.pdf") == "dpa hetzner en"
    assert document_title("pati_10-K_FY2023.pdf") == "pati K FY2023"
    assert document_title("2024.csv") == ""
    assert embedding_texts("2024.csv", pack([Unit("x: 1", "2024.csv | x", 0, 1, 0, 4, "table_row")])) == ["x: 1"]


def test_pdf_units_are_on_their_page_with_offsets_into_the_page_text(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for body in ("Termination\n\nEither party may terminate this agreement with ninety days written notice.",
                 "Liability\n\nThe liability of the supplier is capped at the fees paid in twelve months."):
        pdf.add_page()
        pdf.multi_cell(0, 6, body)
    path = tmp_path / "terms.pdf"
    pdf.output(str(path))
    read = read_units(path, file_id="f", display_name="terms.pdf", media_type="application/pdf")
    assert read.format == "pdf" and read.pages == 2
    pages = {b.page: b.text for b in extract_pdf(path, file_id="f", display_name="terms.pdf").blocks}
    liability = next(u for u in read.units if "capped" in u.text)
    assert liability.page == 2
    assert " ".join(pages[2][liability.start:liability.end].split()) == liability.text


def test_pack_joins_small_neighbours_splits_long_units_and_keeps_rows_apart() -> None:
    sentence = "The processor shall notify the controller of every personal data breach without delay. "
    units = [Unit("Short one.", "A", 1, 0, 0, 10), Unit("Short two.", "A", 1, 0, 11, 20),
             Unit(sentence * 30, "B", 2, 0, 0, len(sentence) * 30),
             Unit("x: 1", "T", 0, 1, 0, 4, "table_row"), Unit("x: 2", "T", 0, 2, 0, 4, "table_row")]
    chunks = pack(units)
    assert chunks[0].content == "Short one.\nShort two." and (chunks[0].start, chunks[0].end) == (0, 20)
    long_parts = [c for c in chunks if c.heading == "B"]
    assert len(long_parts) > 2 and all(len(c.content) <= MAX_CHARS for c in long_parts)
    assert all(0 <= c.start <= c.end <= len(sentence) * 30 for c in long_parts)
    assert [c.content for c in chunks if c.kind == "table_row"] == ["x: 1", "x: 2"]
    assert chunks[0].embedding_text().startswith("A\n")


def _candidate(id_: int, similarity: float = 0.5, content: str = "") -> Candidate:
    return Candidate(id_, "f", "f.txt", "", content, 0, 1, 0, 0, similarity)


def test_a_passage_naming_what_was_asked_outranks_a_slightly_closer_one_that_does_not() -> None:
    question = "Which law governs the agreement?"
    topical = _candidate(1, 0.72, "The parties agree to keep information confidential.")
    naming = _candidate(2, 0.64, "This agreement is governed by German law.")
    unrelated = _candidate(3, 0.30, "Governing law: the agreement is governed by Irish law.")
    ranked = blend(question, [[topical, naming], [naming, unrelated]])
    assert [r.candidate.id for r in ranked] == [2, 1, 3]  # each candidate once, however many searches found it
    assert ranked[0].score == 0.64 + LEXICAL_WEIGHT * 1.0
    # With no content words in the question, similarity alone decides.
    assert [r.candidate.id for r in blend("what is it?", [[naming, topical]])] == [1, 2]


def test_the_highlight_is_the_sentence_sharing_most_words_with_the_question() -> None:
    passage = "Fees are due monthly. Employees get twenty-eight days of paid annual leave. Offices close at six."
    start, end = highlight("How many days of annual leave do employees get?", passage)
    assert passage[start:end] == "Employees get twenty-eight days of paid annual leave."


def test_an_index_result_tells_its_chunks_files_and_pages_on_the_analyze_span() -> None:
    from assay.analysis.result_attributes import result_attributes
    from assay.v1 import index_pb2, job_pb2

    result = job_pb2.JobResult(index=index_pb2.IndexResult(chunks=57, files=[
        index_pb2.IndexedFile(chunks=50, pages=12), index_pb2.IndexedFile(chunks=7)]))
    assert result_attributes(result) == {"assay.rows_processed": 57, "assay.index.files": 2, "assay.pages": 12}
