"""Display names: whatever the client sends, what is stored is a plain, bounded file name."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from assay.ingest.validation import (
    MAX_DISPLAY_NAME_BYTES,
    Reason,
    UploadRejected,
    content_disposition,
    sanitize_display_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\evil\\a.pdf", "a.pdf"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("\x00\x1b[31mx.pdf", "x.pdf"),
        ("\x1b]0;pwned\x07title.txt", "title.txt"),
        ("a.pdf/", "a.pdf"),
        ("dir/..", "dir"),
        (".bashrc", "bashrc"),
        ("...hidden.csv", "hidden.csv"),
        ("trailing.pdf. . ", "trailing.pdf"),
        ("  quarterly \t\n  report.pdf  ", "quarterly report.pdf"),
        ("e\u0301t\u00e9.pdf", "\u00e9t\u00e9.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("zero\u200bwidth.txt", "zerowidth.txt"),
        ('a<b>"c":d|e?f*.txt', "a_b__c__d_e_f_.txt"),
        ("CON.txt", "_CON.txt"),
        ("lpt1", "_lpt1"),
        ("Résumé \u2013 2024.docx", "Résumé \u2013 2024.docx"),
    ],
)
def test_display_names_are_reduced_to_a_safe_last_component(raw: str, expected: str) -> None:
    assert sanitize_display_name(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "..", "../..", "/", "\\", "....", "\x00", "\x1b[0m", "\u202e", "./."]
)
def test_a_name_with_nothing_usable_left_is_refused(raw: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        sanitize_display_name(raw)
    assert caught.value.reason == Reason.DISPLAY_NAME_INVALID
    assert caught.value.field == "header.display_name"
    assert not caught.value.resource_exhausted


def test_the_refused_field_can_be_named_for_submit_document() -> None:
    with pytest.raises(UploadRejected) as caught:
        sanitize_display_name("..", field="header.file.display_name")
    assert caught.value.field == "header.file.display_name"


def test_a_thousand_character_name_is_cut_to_255_bytes_keeping_its_extension() -> None:
    name = sanitize_display_name("a" * 1000 + ".pdf")
    assert len(name.encode("utf-8")) == MAX_DISPLAY_NAME_BYTES
    assert name.endswith("a.pdf")


def test_a_long_multibyte_name_is_cut_on_a_character_boundary() -> None:
    name = sanitize_display_name("\u00e9" * 1000 + ".xlsx")
    encoded = name.encode("utf-8")
    assert len(encoded) <= MAX_DISPLAY_NAME_BYTES
    assert name.endswith("\u00e9.xlsx")
    assert encoded.decode("utf-8") == name


def test_a_long_name_without_a_plausible_extension_is_cut_as_a_whole() -> None:
    name = sanitize_display_name("x" * 300 + "." + "y" * 300)
    assert name == "x" * MAX_DISPLAY_NAME_BYTES


def test_sanitizing_is_idempotent() -> None:
    for raw in ["../../etc/passwd", "\x00\x1b[31mx.pdf", "a" * 1000 + ".pdf", " .. a  b .csv"]:
        once = sanitize_display_name(raw)
        assert sanitize_display_name(once) == once


def test_content_disposition_for_an_ascii_name_carries_both_forms() -> None:
    assert content_disposition("report.pdf") == (
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
    )


def test_content_disposition_for_a_unicode_name_has_an_ascii_fallback_and_exact_utf8() -> None:
    header = content_disposition("Résumé 2024.pdf", disposition="inline")
    assert header.startswith('inline; filename="Resume 2024.pdf"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert encoded == "R%C3%A9sum%C3%A9%202024.pdf"
    assert unquote(encoded) == "Résumé 2024.pdf"


def test_content_disposition_for_a_name_with_no_ascii_falls_back_to_download() -> None:
    header = content_disposition("报告.pdf")
    assert 'filename="download.pdf"' in header
    assert unquote(header.split("UTF-8''", 1)[1]) == "报告.pdf"


def test_content_disposition_cannot_be_used_to_inject_headers_or_break_quoting() -> None:
    header = content_disposition('evil"\r\nSet-Cookie: a=b;\\x%41.pdf')
    assert "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\\" not in fallback and "%" not in fallback
    assert header.isascii()


def test_content_disposition_refuses_an_unknown_disposition() -> None:
    with pytest.raises(ValueError, match="attachment or inline"):
        content_disposition("a.pdf", disposition="form-data")
