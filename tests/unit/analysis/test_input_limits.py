"""Inputs that are too amplifying or too big once inflated are INPUT_TOO_COMPLEX input errors."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from assay.analysis.analyzers.contract_review.extract import extract_file
from assay.analysis.input_limits import MAX_DOCX_INFLATED_BYTES, MAX_PDF_STREAM_BYTES, pdf_decoding_limits
from assay.analysis.plugin import AnalysisInputError

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_DOCUMENT = (
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
    '<w:t>{text}</w:t></w:r></w:p></w:body></w:document>'
)


def billion_laughs_docx(path: Path) -> Path:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    document = f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY lol0 "lol">{entities}]>' + \
        _DOCUMENT.format(text="&lol9;")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document)
    return path


def test_a_billion_laughs_docx_is_input_too_complex(tmp_path: Path) -> None:
    path = billion_laughs_docx(tmp_path / "laughs.docx")
    with pytest.raises(AnalysisInputError) as refused:
        extract_file(path, file_id="f", display_name="laughs.docx")
    assert refused.value.code == "INPUT_TOO_COMPLEX"


def test_a_docx_inflating_past_the_cap_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", _DOCUMENT.format(text="fine"))
        with archive.open("word/padding.bin", "w") as padding:
            block = b"\0" * (1024 * 1024)
            for _ in range(MAX_DOCX_INFLATED_BYTES // len(block) + 1):
                padding.write(block)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(AnalysisInputError) as refused:
        extract_file(path, file_id="f", display_name="bomb.docx")
    assert refused.value.code == "INPUT_TOO_COMPLEX"


def test_pdf_decompression_is_capped_while_pdfs_are_parsed() -> None:
    from pypdf import get_configuration

    default = get_configuration().zlib_maximum_output_length
    with pdf_decoding_limits():
        assert get_configuration().zlib_maximum_output_length == MAX_PDF_STREAM_BYTES < default
    assert get_configuration().zlib_maximum_output_length == default
