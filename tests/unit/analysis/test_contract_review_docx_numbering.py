"""DOCX list numbering is read from numbering.xml, so clause numbers Word computes ("5.2", "(b)")
reach the clause text and ids. The documents are built here with python-docx."""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from assay.analysis.analyzers.contract_review.docx_numbering import format_number
from assay.analysis.analyzers.contract_review.extract import extract_file
from assay.analysis.analyzers.contract_review.segment import segment

_LEVELS = (("decimal", "%1."), ("decimal", "%1.%2"), ("lowerLetter", "(%3)"), ("lowerRoman", "%4)"))


def _abstract(abstract_id: int, levels: tuple[tuple[str, str], ...], start: int = 1, legal_level: int = -1) -> str:
    body = "".join(
        f'<w:lvl w:ilvl="{i}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
        f'{"<w:isLgl/>" if i == legal_level else ""}<w:lvlText w:val="{text}"/></w:lvl>'
        for i, (fmt, text) in enumerate(levels)
    )
    return f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">{body}</w:abstractNum>'


def _num(num_id: int, abstract_id: int, restart_level: int | None = None) -> str:
    override = (
        f'<w:lvlOverride w:ilvl="{restart_level}"><w:startOverride w:val="1"/></w:lvlOverride>'
        if restart_level is not None else ""
    )
    return f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{override}</w:num>'


def _numbered_docx(path: Path, paragraphs: list[tuple[str, int | None, int]], extra: str = "") -> Path:
    """``paragraphs``: text, numId (None: not numbered) and level."""
    document = docx.Document()
    numbering = document.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    for xml in (_abstract(90, _LEVELS), _abstract(91, (("bullet", "\u2022"),)), _abstract(92, _LEVELS, legal_level=1)):
        element = parse_xml(xml)
        if first_num is not None:
            first_num.addprevious(element)
        else:
            numbering.append(element)
    for xml in (_num(900, 90), _num(901, 91), _num(902, 90, restart_level=0), _num(903, 92)):
        numbering.append(parse_xml(xml))
    for text, num_id, level in paragraphs:
        paragraph = document.add_paragraph(text)
        if num_id is not None:
            ppr = paragraph._p.get_or_add_pPr()
            ppr.append(parse_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
            ))
    document.save(str(path))
    return path


def test_numbered_paragraphs_carry_their_labels_into_clause_text_and_ids(tmp_path: Path) -> None:
    path = _numbered_docx(tmp_path / "dpa.docx", [
        ("Definitions", 900, 0),
        ("Sub-processors", 900, 0),
        ("The Processor shall not engage another processor without authorisation.", 900, 1),
        ("The Processor shall:", 900, 1),
        ("inform the Controller of any intended change;", 900, 2),
        ("impose the same data protection obligations.", 900, 2),
        ("which includes security measures;", 900, 3),
        ("Security", 900, 0),
        ("The Processor shall implement appropriate measures.", 900, 1),
        ("Names and e-mail addresses", 901, 0),
    ])
    document = extract_file(path, file_id="f", display_name="dpa.docx")
    texts = [b.text for b in document.blocks]
    assert texts == [
        "1. Definitions",
        "2. Sub-processors",
        "2.1 The Processor shall not engage another processor without authorisation.",
        "2.2 The Processor shall:",
        "(a) inform the Controller of any intended change;",
        "(b) impose the same data protection obligations.",
        "i) which includes security measures;",
        "3. Security",
        "3.1 The Processor shall implement appropriate measures.",
        "\u2022 Names and e-mail addresses",
    ]
    ids = [c.clause_id for c in segment([document])]
    assert {"cl-2", "cl-2.1", "cl-2.2", "cl-2.2(a)", "cl-2.2(b)", "cl-3.1"} <= set(ids)


def test_a_start_override_restarts_the_list_and_a_legal_level_shows_decimals(tmp_path: Path) -> None:
    path = _numbered_docx(tmp_path / "c.docx", [
        ("First list item.", 900, 0),
        ("Second list item.", 900, 0),
        ("Restarted item.", 902, 0),
        ("Legal numbering.", 903, 0),
        ("Legal sub-clause.", 903, 1),
        ("Unnumbered closing text.", None, 0),
    ])
    texts = [b.text for b in extract_file(path, file_id="f", display_name="c.docx").blocks]
    assert texts == [
        "1. First list item.",
        "2. Second list item.",
        "1. Restarted item.",
        "1. Legal numbering.",
        "1.1 Legal sub-clause.",
        "Unnumbered closing text.",
    ]


def test_a_numbered_style_numbers_its_paragraphs(tmp_path: Path) -> None:
    document = docx.Document()
    numbering = document.part.numbering_part.element
    first_num = numbering.find(qn("w:num"))
    abstract = parse_xml(_abstract(93, (("upperRoman", "Article %1"),)))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    numbering.append(parse_xml(_num(930, 93)))
    style = document.styles.add_style("ArticleHeading", 1)
    style.element.get_or_add_pPr().append(
        parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="930"/></w:numPr>')
    )
    document.add_paragraph("Scope", style="ArticleHeading")
    document.add_paragraph("Term", style="ArticleHeading")
    path = tmp_path / "s.docx"
    document.save(str(path))
    texts = [b.text for b in extract_file(path, file_id="f", display_name="s.docx").blocks]
    assert texts == ["Article I Scope", "Article II Term"]


def test_numbers_are_written_in_every_list_format() -> None:
    assert [format_number(n, "lowerLetter") for n in (1, 2, 26, 27)] == ["a", "b", "z", "aa"]
    assert [format_number(n, "upperRoman") for n in (4, 9, 14, 40)] == ["IV", "IX", "XIV", "XL"]
    assert format_number(3, "decimalZero") == "03" and format_number(5, "none") == ""
