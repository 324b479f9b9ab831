"""Clause segmentation: numbered headings, paragraphs and list items with stable ids."""

from __future__ import annotations

from pathlib import Path

from fixtures.contracts import docgen

from assay.analysis.analyzers.contract_review.extract import extract_file, extract_text
from assay.analysis.analyzers.contract_review.segment import segment, sentences

TEXT = """MASTER SERVICES AGREEMENT

This Agreement is made between the parties named below.

5. Sub-processors

5.1 The Supplier shall not engage a sub-processor without consent.

5.2 The Supplier shall:
(a) give notice of changes;
(b) flow down the same obligations.

Unnumbered follow-up paragraph.

Annex 1 Details of Processing

Subject matter: hosting."""


def _ids(text: str) -> list[str]:
    return [c.clause_id for c in segment([extract_text(text)])]


def test_clauses_take_their_ids_from_the_document_numbering() -> None:
    assert _ids(TEXT) == [
        "h-master-services-agreement",
        "h-master-services-agreement-p1",
        "cl-5",
        "cl-5.1",
        "cl-5.2",
        "cl-5.2(a)",
        "cl-5.2(b)",
        "cl-5.2-p1",
        "h-annex-1-details-of",
        "h-annex-1-details-of-p1",
    ]


def test_clauses_know_their_kind_heading_and_number() -> None:
    clauses = {c.clause_id: c for c in segment([extract_text(TEXT)])}
    assert clauses["cl-5"].kind == "heading"
    assert clauses["cl-5.1"].kind == "paragraph" and clauses["cl-5.1"].heading == "Sub-processors"
    assert clauses["cl-5.2(a)"].kind == "list_item" and clauses["cl-5.2(a)"].number == "(a)"
    assert clauses["cl-5.2(a)"].text == "(a) give notice of changes;"


def test_clause_ids_do_not_move_when_text_is_added_elsewhere() -> None:
    before = set(_ids(TEXT))
    after = set(_ids(TEXT.replace("5. Sub-processors", "Recital text added here.\n\n5. Sub-processors")))
    assert before <= after


def test_repeated_numbers_get_distinct_ids() -> None:
    assert _ids("1.1 First.\n\n1.1 Again.") == ["cl-1.1", "cl-1.1~2"]


def test_a_wrapped_line_starting_with_a_number_is_not_a_new_clause() -> None:
    text = "8.1 The Supplier shall notify the Customer within\n24 hours of becoming aware of a breach."
    clauses = segment([extract_text(text)])
    assert [c.clause_id for c in clauses] == ["cl-8.1"]
    assert clauses[0].text.endswith("24 hours of becoming aware of a breach.")


def test_a_clause_running_over_a_page_break_keeps_one_span_per_page_and_whole_sentences(tmp_path: Path) -> None:
    pdf = docgen.write_pdf(
        tmp_path / "c.pdf",
        [
            ["1. Scope", "1.1 The Processor shall process personal data only on", "documented instructions"],
            ["from the Controller, including transfers. It shall keep records.", "1.2 Next clause."],
        ],
    )
    clauses = {c.clause_id: c for c in segment([extract_file(pdf, file_id="f", display_name="c.pdf")])}
    spans = clauses["cl-1.1"].spans
    assert [s.page for s in spans] == [1, 2]
    # The sentence the page break cuts is quoted whole on the page where it starts.
    assert spans[0].text == (
        "1.1 The Processor shall process personal data only on documented instructions from the Controller, "
        "including transfers."
    )
    assert spans[1].text == "It shall keep records."
    assert clauses["cl-1.2"].spans[0].page == 2


def test_a_later_input_file_gets_a_prefix_on_its_ids() -> None:
    first = extract_text("1.1 One.", file_id="a")
    second = extract_text("1.1 Two.", file_id="b")
    assert [c.clause_id for c in segment([first, second])] == ["cl-1.1", "d2:cl-1.1"]


def test_sentences_are_not_split_after_legal_abbreviations() -> None:
    text = "The Processor shall comply with Art. 28 GDPR, e.g. by assisting. It shall also notify. No. 5 applies."
    assert sentences(text) == [
        "The Processor shall comply with Art. 28 GDPR, e.g. by assisting.",
        "It shall also notify.",
        "No. 5 applies.",
    ]


def test_very_long_sentences_are_cut_into_quotable_pieces() -> None:
    text = "The Processor shall " + ", ".join(f"do thing number {i}" for i in range(120)) + "."
    pieces = sentences(text)
    assert len(pieces) > 1
    assert all(len(p) <= 600 for p in pieces)
    assert " ".join(pieces) == text


def test_a_markdown_heading_right_under_another_line_is_a_heading_of_its_own() -> None:
    # 1.9.0: "### 4.1 ..." under "## 4. ..." with no blank line between them was read as the first
    # words of the paragraph under it, which then read as a heading and counted as no evidence.
    text = (
        "## 4. Use of Data\n### 4.1 Supplier Processing of Customer Data\n"
        "The Supplier will not be required to process Customer Data only on the Customer's instructions."
    )
    clauses = segment([extract_text(text)])
    assert [c.kind for c in clauses] == ["heading", "heading", "paragraph"]
    assert clauses[2].text.startswith("The Supplier will not be required")
    assert clauses[2].heading == "### 4.1 Supplier Processing of Customer Data"


def _kinds(text: str) -> list[tuple[str, str, str]]:
    return [(c.kind, c.number, " ".join(s.text for s in c.spans)[:24]) for c in segment([extract_text(text)])]


def test_numbered_clauses_under_a_lead_in_are_its_items_markdown_emphasis_and_all() -> None:
    # 1.13.0: "3.1 **Title.** Text" is numbered like "3.1 Text", and under "Acme will:" it completes
    # the lead-in, so the imperative in it binds Acme.
    text = (
        "## 3. Processor Obligations\n\nAcme will:\n\n"
        "3.1 **Instructions.** Process Personal Data only on the Customer's\ndocumented instructions.\n\n"
        "3.2 **Assistance (Articles 32–36).** Assist the Customer in\nensuring compliance with Articles 32 to 36.\n\n"
        "## 4. Sub-processors\n\n4.1 **Authorisation.** The Customer authorises sub-processors."
    )
    assert _kinds(text) == [
        ("heading", "", "## 3. Processor Obligati"),
        ("paragraph", "", "Acme will:"),
        ("list_item", "3.1", "3.1 **Instructions.** Pr"),
        ("list_item", "3.2", "3.2 **Assistance (Articl"),
        ("heading", "", "## 4. Sub-processors"),
        ("paragraph", "4.1", "4.1 **Authorisation.** T"),
    ]


def test_sub_clauses_in_lower_case_complete_their_numbered_lead_in() -> None:
    text = (
        "7.1 In respect of any Personal Data Breach, the Processor shall, without undue delay:\n\n"
        "7.1.1 notify the Customer of the Personal Data Breach; and\n\n"
        "7.1.2 provide the Customer with details of the Personal Data Breach.\n\n"
        "7.2 The Processor shall keep a record of breaches."
    )
    assert [k[:2] for k in _kinds(text)] == [
        ("paragraph", "7.1"),
        ("list_item", "7.1.1"),
        ("list_item", "7.1.2"),
        ("paragraph", "7.2"),
    ]


def test_the_first_line_of_a_wrapped_clause_is_no_title() -> None:
    # Capitalised words, but a sentence runs on in it, or it ends in a word the next line completes.
    for first in (
        "Assistance With Compliance (Articles 32–36). Assist the Customer in",
        "Notify The Customer Of The Breach; and",
    ):
        kinds = [k[0] for k in _kinds(f"Intro paragraph.\n\n{first}\nensuring compliance with the law.")]
        assert kinds == ["paragraph", "paragraph"], first


def test_an_ordinary_numbered_list_and_the_next_section_are_no_items_of_an_unnumbered_lead_in() -> None:
    text = (
        "In Table 3 of the UK SCCs:\n\n1. Annex 1A: Parties are as set forth in Schedule A.\n\n"
        "2. Annex II: TOMs are as set forth in Schedule B.\n\nAcme will:\n\n3.1 Process data on instructions.\n\n"
        "3.2 Keep it confidential.\n\n4.1 The Customer authorises sub-processors."
    )
    assert [k[:2] for k in _kinds(text)] == [
        ("paragraph", ""),
        ("paragraph", "1"),
        ("paragraph", "2"),
        ("paragraph", ""),
        ("list_item", "3.1"),
        ("list_item", "3.2"),
        ("paragraph", "4.1"),
    ]


def test_a_list_quoted_in_markdown_is_read_as_the_list_under_its_lead_in() -> None:
    # 1.18.0: before, the blockquote marks kept the quoted list one paragraph ("Access ... > > 2\."), and a
    # short numbered line set off by blank lines was a heading, not the lead-in's item.
    text = (
        "5.9 The Processor shall keep a record of processing.\n\n"
        "The Processor will assist the Controller in responding to the exercise of the rights of:\n\n"
        "> 1\\. Access, rectification, erasure, and objection\n>\n> 2\\. Restriction of processing\n>\n"
        "> 3\\. Data portability\n\n"
        "When data subjects exercise their rights, the Processor shall inform the Controller."
    )
    assert [k[:2] for k in _kinds(text)] == [
        ("paragraph", "5.9"),
        ("paragraph", ""),
        ("list_item", "1"),
        ("list_item", "2"),
        ("list_item", "3"),
        ("paragraph", ""),
    ]
    items = [c for c in segment([extract_text(text)]) if c.kind == "list_item"]
    assert [c.spans[0].text for c in items][1] == "2. Restriction of processing"
    # An address numbered without a dot under a lead-in stays what it was.
    address = "5.9 The Processor shall keep a record.\n\nOur office is at:\n\n1 Canada Square, London"
    assert [k[0] for k in _kinds(address)] == ["paragraph", "paragraph", "heading"]


def _headings(text: str) -> list[tuple[str, str, str]]:
    """Each clause's kind, number and heading."""
    return [(c.kind, c.number, c.heading) for c in segment([extract_text(text)])]


def test_a_street_number_in_a_partys_address_is_no_clause_and_sentence_case_markdown_headings_head_their_text() -> None:
    # 1.21.0: "901 Harbour Road" was clause 901, and the "## 1." headings under it its paragraphs.
    text = (
        "**Processor:** Example Analytics Ltd\\\n901 Harbour Road, Suite 4\\\nSpringfield\n\n"
        "## 1. Subject matter and duration\n\nWe process visitor data for as long as the account exists.\n\n"
        "## 2. Our obligations\n\n- We process only on your documented instructions."
    )
    kinds = _headings(text)
    assert not any(number == "901" for _, number, _ in kinds)
    assert ("heading", "", "## 1. Subject matter and duration") in kinds
    assert ("paragraph", "", "## 1. Subject matter and duration") in kinds
    assert ("list_item", "", "## 2. Our obligations") in kinds
    # "Section 101" still numbers a clause; a sentence in a Markdown heading line is still no heading.
    assert ("heading", "101", "Definitions") in _headings("Section 101 Definitions\n\nTerms have these meanings.")
    assert _headings("## The Processor shall delete all personal data when the services end.")[0][0] == "paragraph"


def test_a_restructuredtext_heading_underlined_with_tildes_heads_its_section() -> None:
    # 1.21.0: only "-" and "=" underlined; a sentence-case title over "~~~" was a paragraph, "~~~" its text.
    text = "Processing of personal data\n~~~~~~~~~~~~~~~~~~~~~~~~~~~\n\nThe Provider processes it on instructions."
    assert _headings(text) == [
        ("heading", "", "Processing of personal data"),
        ("paragraph", "", "Processing of personal data"),
    ]


def test_a_markdown_heading_line_with_a_verb_but_no_duty_heads_its_section() -> None:
    # 1.22.0: a heading of more than eight words, or one with "are", was a paragraph and its words evidence.
    text = (
        "### 8. Measures for ensuring physical security of locations at which personal data are processed\n\n"
        "Offices are protected by badge access."
    )
    assert _headings(text)[0] == (
        "heading",
        "",
        "### 8. Measures for ensuring physical security of locations at which personal data are processed",
    )
    assert _headings("### 4. The Processor will delete all personal data when the services end")[0][0] == "paragraph"
    # closed by a full stop without a verb (1.22.0)
    assert _headings("### 4.1. Obligations.\n\nThe Provider will:")[0] == ("heading", "", "### 4.1. Obligations.")


def test_a_clause_number_in_bold_numbers_its_clause() -> None:
    # 1.22.0: "**4.1** Ensure ..." was an unnumbered paragraph, so no item of "The Customer shall:".
    text = "The Customer shall:\n\n**4.1** Ensure a lawful basis exists.\n\n**4.2** Inform the Provider."
    assert [(kind, number) for kind, number, _ in _headings(text)] == [
        ("paragraph", ""),
        ("list_item", "4.1"),
        ("list_item", "4.2"),
    ]


def test_an_inline_enumeration_wrapped_at_a_marker_stays_one_clause() -> None:
    # 1.23.0: "(iv) ensuring ..." at the start of a wrapped line was a list item with no lead-in, so the
    # controller's responsibility it continues ("The Customer shall take sole responsibility for: (i) ...") read
    # as the processor's.
    text = (
        "The Customer shall take sole responsibility for: (i) the accuracy of the data; (ii) the consents;\n"
        "(iii) its right to transfer the data;\n"
        "(iv) ensuring that its Instructions comply with the law; and (v) its own compliance.\n\n"
        "The Processor shall:\n\n(a) process the data on instructions;\n\n(b) keep it confidential."
    )
    clauses = segment([extract_text(text)])
    assert [(c.kind, c.number) for c in clauses] == [
        ("paragraph", ""),
        ("paragraph", ""),
        ("list_item", "(a)"),
        ("list_item", "(b)"),
    ]
    assert clauses[0].text.endswith(
        "(iv) ensuring that its Instructions comply with the law; and (v) its own compliance."
    )
