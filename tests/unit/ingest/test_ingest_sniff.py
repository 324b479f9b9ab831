"""Media types from magic bytes against the allow-list, and declared types held to them."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from assay.ingest.validation import (
    ALLOWED_MEDIA_TYPES,
    MediaType,
    Reason,
    UploadRejected,
    ZipLimits,
    check_declared_media_type,
    download_media_type,
    refine_zip_type,
    sniff_media_type,
)

_DOCX_TYPES = (
    b'<?xml version="1.0"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def office_zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.writestr(name, _DOCX_TYPES if name.endswith(".xml") else b"data")
    return buffer.getvalue()


def not_allowed(head: bytes, display_name: str = "upload") -> str:
    with pytest.raises(UploadRejected) as caught:
        sniff_media_type(head, display_name)
    assert caught.value.reason == Reason.MEDIA_TYPE_NOT_ALLOWED
    assert caught.value.field == "chunk"
    assert "application/pdf" in caught.value.message  # the allow-list is spelled out
    return caught.value.message


@pytest.mark.parametrize(
    ("head", "name", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a.pdf", MediaType.PDF),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "a.zip", MediaType.ZIP),
        (b"PK\x05\x06" + bytes(18), "empty.zip", MediaType.ZIP),
        (b'<?xml version="1.0" encoding="UTF-8"?>\n<root/>', "a.xml", MediaType.XML),
        (b'\xef\xbb\xbf  \n<?xml version="1.0"?><root/>', "bom.xml", MediaType.XML),
        (b"<!-- exported -->\n<statement><line/></statement>", "a.xml", MediaType.XML),
        (b'<!DOCTYPE note SYSTEM "note.dtd">\n<note/>', "a.xml", MediaType.XML),
        (b'{"reviews": [{"text": "great"}]}', "a.json", MediaType.JSON),
        (b"  [1, 2, 3]\n", "a.json", MediaType.JSON),
        (b'{\n  "pretty": true,\n  "lines": 4\n}\n', "a.json", MediaType.JSON),
        (b'{"a": 1}\n', "one-line.json", MediaType.JSON),
        (b'{"text": "good"}\n{"text": "bad"}\n{"text": "meh"}\n', "r.jsonl", MediaType.NDJSON),
        (b'\xef\xbb\xbf{"text": "good"}\r\n{"text": "bad"}', "r.ndjson", MediaType.NDJSON),
        (b"id,text\n1,hello\n2,bye\n", "reviews.csv", MediaType.CSV),
        (b"just one line", "REVIEWS.CSV", MediaType.CSV),
        (b"id;text;score\n1;good;5\n2;bad;1\n3;ok;3\n", "export", MediaType.CSV),
        (b"id\ttext\n1\tgood\n2\tbad\n", "export.txt", MediaType.CSV),
        (b"Hello world.\nThis is a plain note.\n", "note.txt", MediaType.TEXT),
        (b"Dear sir, thank you.\nYours, me, again, and again.\n", "letter", MediaType.TEXT),
        ("Grüße \u2013 ünïcödé text\n".encode(), "note", MediaType.TEXT),
        (b"MZ-4421 maintenance report\nall fine\n", "report.txt", MediaType.TEXT),
        (b"GIF89a was a good year for image formats.\n", "essay.txt", MediaType.TEXT),
        (b"<3 this product\n", "review.txt", MediaType.TEXT),
        (b"2024-01-01 \x1b[32mINFO\x1b[0m started\n", "app.log", MediaType.TEXT),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "page", MediaType.HTML),
        (b"  <html lang=en><script>alert(1)</script></html>", "a.txt", MediaType.HTML),
        (b"<body><p>Processor shall</p></body>", "dpa.xml", MediaType.HTML),
        (b'<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"/>', "a.xml", MediaType.HTML),
        (b"# Data Processing Agreement\n\n1. Processor shall\n", "dpa.md", MediaType.MARKDOWN),
        (b"| a | b |\n|---|---|\n| 1 | 2 |\n", "TABLE.MARKDOWN", MediaType.MARKDOWN),
        (b'<div align="center">\n\n# Title\n</div>\n', "README.md", MediaType.MARKDOWN),
        (b"<!DOCTYPE html><html></html>", "page.md", MediaType.HTML),
        (b"# not markdown by name\n", "notes.txt", MediaType.TEXT),
    ],
)
def test_each_allowed_type_is_recognised(head: bytes, name: str, expected: MediaType) -> None:
    assert sniff_media_type(head, name) == expected


def test_a_head_cut_inside_a_multibyte_character_is_still_text() -> None:
    head = ("é" * 5000).encode("utf-8")[:8191]
    assert sniff_media_type(head, "note.txt") == MediaType.TEXT


def test_a_head_cut_inside_a_long_first_ndjson_line_is_json() -> None:
    head = json.dumps({"text": "x" * 10_000}).encode()[:8192]
    assert sniff_media_type(head, "r.jsonl") == MediaType.JSON


def test_deeply_nested_json_does_not_break_the_sniffer() -> None:
    head = b"[" * 5000 + b"\n" + b"[]\n"
    assert sniff_media_type(head, "deep.json") == MediaType.JSON


@pytest.mark.parametrize(
    ("head", "detected"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + bytes(8), "ELF executable"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "Windows executable"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", "Mach-O executable"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG image"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "GIF image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "WebP image"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip archive"),
        (b"BZh91AY&SY\x00\x01", "bzip2 archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "7-Zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(8), "legacy Office (OLE2) document"),
        (b"SQLite format 3\x00\x10\x00", "SQLite database"),
        (bytes(257) + b"ustar\x0000", "tar archive"),
        ("\ufeffhello".encode("utf-16-le").rjust(12, b"\xff"), "UTF-16 text"),
        (b"\xff\xfeh\x00i\x00", "UTF-16 text"),
        (b"\x00\x01\x02\x03binary", "binary data"),
        (b"text with a nul\x00 inside", "binary data"),
        (b"\xc3\x28 invalid utf-8", "not utf-8"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG image"),
        (b'<?xml version="1.0"?><!-- x --><svg:svg xmlns:svg="x"/>', "SVG image"),
        (b"{\\rtf1\\ansi hello}", "RTF document"),
        (b"#!/bin/sh\nrm -rf /\n", "executable script"),
    ],
)
def test_content_outside_the_allow_list_is_refused_naming_what_it_is(
    head: bytes, detected: str
) -> None:
    assert detected in not_allowed(head)


def test_an_empty_head_is_an_empty_file() -> None:
    with pytest.raises(UploadRejected) as caught:
        sniff_media_type(b"", "a.pdf")
    assert caught.value.reason == Reason.FILE_EMPTY


def test_the_allow_list_is_exactly_the_documented_types() -> None:
    assert {
        "application/pdf",
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/xml",
        "application/json",
        "application/x-ndjson",
        "text/csv",
        "text/plain",
        "text/markdown",
        "text/html",
    } == ALLOWED_MEDIA_TYPES


def test_a_minimal_docx_is_told_apart_from_a_zip() -> None:
    data = office_zip("[Content_Types].xml", "_rels/.rels", "word/document.xml")
    assert sniff_media_type(data[:8192], "contract.docx") == MediaType.ZIP
    assert refine_zip_type(io.BytesIO(data)) == MediaType.DOCX


def test_a_minimal_xlsx_is_told_apart_from_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "statement.xlsx"
    path.write_bytes(office_zip("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/a.xml"))
    assert refine_zip_type(path) == MediaType.XLSX
    assert refine_zip_type(str(path)) == MediaType.XLSX


@pytest.mark.parametrize(
    "names",
    [
        ("a.xml", "b.xml"),
        ("word/document.xml",),  # no [Content_Types].xml: a folder called word, not a DOCX
        ("[Content_Types].xml", "ppt/presentation.xml"),
    ],
)
def test_other_archives_stay_plain_zip(names: tuple[str, ...]) -> None:
    assert refine_zip_type(io.BytesIO(office_zip(*names))) == MediaType.ZIP


def test_refining_a_corrupt_archive_is_refused_as_corrupt() -> None:
    with pytest.raises(UploadRejected) as caught:
        refine_zip_type(io.BytesIO(b"PK\x03\x04" + bytes(64)))
    assert caught.value.reason == Reason.ZIP_CORRUPT


def test_refining_bounds_the_central_directory_before_reading_it() -> None:
    data = bytearray(office_zip(*(f"f{i}.xml" for i in range(20))))
    eocd = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 1, 1)
    with pytest.raises(UploadRejected) as caught:
        refine_zip_type(io.BytesIO(bytes(data)), limits=ZipLimits(max_entries=10))
    assert caught.value.reason == Reason.ZIP_TOO_MANY_ENTRIES


@pytest.mark.parametrize(
    ("declared", "sniffed"),
    [
        (None, MediaType.PDF),
        ("", MediaType.PDF),
        ("application/octet-stream", MediaType.XML),
        ("application/pdf", MediaType.PDF),
        ("Application/PDF", MediaType.PDF),
        ("text/csv; charset=utf-8", MediaType.CSV),
        ("text/plain", MediaType.CSV),
        ("text/csv", MediaType.TEXT),
        ("application/json", MediaType.NDJSON),
        ("application/x-ndjson", MediaType.JSON),
        ("application/jsonl", MediaType.NDJSON),
        ("text/xml", MediaType.XML),
        ("application/x-zip-compressed", MediaType.ZIP),
        ("application/zip", MediaType.DOCX),
        ("application/zip", MediaType.XLSX),
        (MediaType.DOCX.value, MediaType.DOCX),
        ("text/plain", MediaType.MARKDOWN),
        ("text/markdown", MediaType.MARKDOWN),
        ("text/html; charset=utf-8", MediaType.HTML),
    ],
)
def test_a_declared_type_that_agrees_with_the_content_is_accepted(
    declared: str | None, sniffed: MediaType
) -> None:
    assert check_declared_media_type(declared, sniffed) == sniffed


@pytest.mark.parametrize(
    ("declared", "sniffed", "stored"),
    [
        ("text/markdown", MediaType.TEXT, MediaType.MARKDOWN),
        ("text/markdown; charset=utf-8", MediaType.CSV, MediaType.MARKDOWN),
        ("text/x-markdown", MediaType.XML, MediaType.MARKDOWN),
        ("text/html", MediaType.TEXT, MediaType.HTML),
        ("application/xhtml+xml", MediaType.XML, MediaType.HTML),
        # HTML content is never stored under a type that hides it, whatever text type is declared.
        ("text/plain", MediaType.HTML, MediaType.HTML),
        ("application/xml", MediaType.HTML, MediaType.HTML),
        ("text/markdown", MediaType.HTML, MediaType.HTML),
    ],
)
def test_a_declaration_names_the_stored_type_only_where_content_cannot_tell(
    declared: str, sniffed: MediaType, stored: MediaType
) -> None:
    assert check_declared_media_type(declared, sniffed) == stored


def test_html_is_downloaded_as_octet_stream_and_every_other_type_as_stored() -> None:
    assert download_media_type(MediaType.HTML) == "application/octet-stream"
    for other in ALLOWED_MEDIA_TYPES - {MediaType.HTML}:
        assert download_media_type(other) == other


@pytest.mark.parametrize(
    ("declared", "sniffed"),
    [
        ("application/pdf", MediaType.TEXT),
        ("image/png", MediaType.PDF),
        ("text/plain", MediaType.JSON),
        ("application/json", MediaType.CSV),
        (MediaType.DOCX.value, MediaType.ZIP),
        (MediaType.DOCX.value, MediaType.XLSX),
        ("application/xml", MediaType.PDF),
        ("text/markdown", MediaType.PDF),
        ("text/html", MediaType.JSON),
        ("text/markdown", MediaType.DOCX),
    ],
)
def test_a_declared_type_that_contradicts_the_content_is_refused(
    declared: str, sniffed: MediaType
) -> None:
    with pytest.raises(UploadRejected) as caught:
        check_declared_media_type(declared, sniffed)
    assert caught.value.reason == Reason.MEDIA_TYPE_MISMATCH
    assert caught.value.field == "header.media_type"
    assert str(sniffed) in caught.value.message
