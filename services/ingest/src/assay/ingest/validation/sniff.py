"""Media types decided by content against an allow-list, never by the client's word.

HTML is accepted as ``text/html`` (content that starts like an HTML document, or an XHTML root) and
markdown as ``text/markdown`` (a ``.md``/``.markdown`` name, or a ``text/markdown`` declaration, on
text content). Neither is ever served for a browser to render: :func:`download_media_type` names
HTML ``application/octet-stream`` on download, and every download is ``Content-Disposition:
attachment``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from enum import StrEnum

from assay.ingest.validation.errors import Reason, UploadRejected
from assay.ingest.validation.zipcheck import CONTENT_FIELD, ZipLimits, ZipSource, open_zip

MEDIA_TYPE_FIELD = "header.media_type"


class MediaType(StrEnum):
    """The media types Assay accepts; every value is a plain ``str``."""

    PDF = "application/pdf"
    ZIP = "application/zip"
    DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    XML = "application/xml"
    JSON = "application/json"
    NDJSON = "application/x-ndjson"
    CSV = "text/csv"
    TEXT = "text/plain"
    MARKDOWN = "text/markdown"
    HTML = "text/html"


ALLOWED_MEDIA_TYPES: frozenset[str] = frozenset(MediaType)
"""Every accepted media type."""

# Content that is recognisably something we refuse, named so the client learns what we saw.
# (offset, magic, description), first match wins.
_FORBIDDEN_MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x7fELF", "ELF executable"),
    (0, b"MZ", "Windows executable"),
    (0, b"\xfe\xed\xfa\xce", "Mach-O executable"),
    (0, b"\xfe\xed\xfa\xcf", "Mach-O executable"),
    (0, b"\xce\xfa\xed\xfe", "Mach-O executable"),
    (0, b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (0, b"\xca\xfe\xba\xbe", "Mach-O universal binary or Java class file"),
    (0, b"\x00asm", "WebAssembly module"),
    (0, b"dex\n", "Android DEX executable"),
    (0, b"\x89PNG\r\n\x1a\n", "PNG image"),
    (0, b"\xff\xd8\xff", "JPEG image"),
    (0, b"GIF87a", "GIF image"),
    (0, b"GIF89a", "GIF image"),
    (0, b"II*\x00", "TIFF image"),
    (0, b"MM\x00*", "TIFF image"),
    (0, b"\x00\x00\x01\x00", "ICO image"),
    (0, b"8BPS", "Photoshop image"),
    (0, b"\x1f\x8b", "gzip archive"),
    (0, b"\xfd7zXZ\x00", "xz archive"),
    (0, b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (0, b"Rar!\x1a\x07", "RAR archive"),
    (0, b"\x28\xb5\x2f\xfd", "Zstandard archive"),
    (0, b"PK\x07\x08", "split ZIP archive"),
    (0, b"MSCF", "Microsoft cabinet archive"),
    (257, b"ustar", "tar archive"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office (OLE2) document"),
    (0, b"SQLite format 3\x00", "SQLite database"),
    (0, b"ID3", "MP3 audio"),
    (0, b"OggS", "Ogg media"),
    (0, b"fLaC", "FLAC audio"),
    (0, b"\x1a\x45\xdf\xa3", "Matroska/WebM video"),
    (4, b"ftyp", "MP4/QuickTime media or HEIF image"),
    (0, b"%!PS", "PostScript document"),
    (0, b"\xff\xfe\x00\x00", "UTF-32 text"),
    (0, b"\x00\x00\xfe\xff", "UTF-32 text"),
    (0, b"\xff\xfe", "UTF-16 text"),
    (0, b"\xfe\xff", "UTF-16 text"),
)
_RIFF_KINDS = {b"WEBP": "WebP image", b"WAVE": "WAV audio", b"AVI ": "AVI video"}
_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_UTF8_BOM = codecs.BOM_UTF8
# A text file may hold tab, newline, vertical tab, form feed, carriage return, ESC (ANSI colour
# in logs) and SUB (DOS end of file); any other C0 control, or DEL, hints at binary content.
_ODD_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MAX_ODD_CONTROL_RATIO = 0.01
_XML_START = re.compile(r"<(?:\?xml[\s?]|!--|!DOCTYPE\s|[A-Za-z_])")
# The first element, skipping the declaration, processing instructions, comments and doctype.
_XML_PROLOG_ITEM = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S)
_XML_ELEMENT = re.compile(r"\s*<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")
_HTML_START = re.compile(r"<!doctype\s+html|<(?:html|head|body|script|iframe)[\s>/]", re.I)
# A markup root a browser would render, script and all, if the file were ever served inline; an
# XHTML root is stored as HTML (and so downloaded as octet-stream), an SVG one is refused.
_SVG_ROOT = "svg"
_HTML_ROOT = "html"
_CSV_DELIMITERS = ",;\t|"
_CSV_SAMPLE_LINES = 50
_CSV_SUFFIXES = (".csv", ".tsv")
_MARKDOWN_SUFFIXES = (".md", ".markdown")
# Stored types a browser would render inline if a download carried them: served as a plain download.
_DOWNLOAD_AS: dict[str, str] = {MediaType.HTML: "application/octet-stream"}


def sniff_media_type(head: bytes, display_name: str) -> MediaType:
    """Return the allowed media type of content whose first bytes are ``head``.

    PDF and ZIP are told by magic bytes; for ZIP, call :func:`refine_zip_type` once the whole
    file is at hand to tell DOCX and XLSX apart. UTF-8 text (an optional BOM allowed, no NUL) is
    HTML (a doctype, ``<html>``, ``<head>``, ``<body>``, ``<script>`` or ``<iframe>`` first, or an
    XHTML root), markdown (a ``.md`` or ``.markdown`` display name), XML (``<?xml`` or a root
    element), JSON (``{``/``[``; NDJSON when a first complete line is a JSON object or array and
    more lines follow), CSV (a ``.csv``/``.tsv`` display name, or lines that split
    consistently on one delimiter) or else plain text.

    Args:
        head: The leading bytes of the content (8 KiB is plenty; a multi-byte character cut at
            the end is tolerated).
        display_name: The sanitized display name; only a ``.csv``, ``.tsv``, ``.md`` or
            ``.markdown`` suffix counts.

    Raises:
        UploadRejected: ``FILE_EMPTY`` for no bytes, ``MEDIA_TYPE_NOT_ALLOWED`` for anything else,
            naming what the content looks like when it is recognisable.
    """
    if not head:
        raise UploadRejected(
            Reason.FILE_EMPTY, CONTENT_FIELD, "upload has no content; send at least one byte"
        )
    if head.startswith(b"%PDF-"):
        return MediaType.PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return MediaType.ZIP
    text = _as_text(head)
    forbidden = _recognise_forbidden(head, is_text=text is not None)
    if forbidden is not None:
        raise _not_allowed(forbidden)
    if text is None:
        raise _not_allowed("binary data or text that is not utf-8")
    body = text.lstrip()
    if body.startswith("{\\rtf"):
        raise _not_allowed("RTF document")
    if body.startswith("#!"):
        raise _not_allowed("executable script")
    is_markdown = display_name.lower().endswith(_MARKDOWN_SUFFIXES)
    if body.startswith("<"):
        markup = _sniff_markup(body)
        if markup is not None and not (markup == MediaType.XML and is_markdown):
            return markup  # markdown may open with inline HTML (a comment, a <div>)
    if is_markdown:
        return MediaType.MARKDOWN
    if body.startswith(("{", "[")):
        return _sniff_json(body)
    if display_name.lower().endswith(_CSV_SUFFIXES) or _looks_delimited(text):
        return MediaType.CSV
    return MediaType.TEXT


def refine_zip_type(source: ZipSource, *, limits: ZipLimits | None = None) -> MediaType:
    """Tell a DOCX or XLSX from a plain ZIP by its entries; needs the whole, seekable file.

    An Office Open XML package has ``[Content_Types].xml`` and its main part under ``word/``
    (DOCX) or ``xl/`` (XLSX). Only the central directory is read, its size bounded by
    ``limits.max_entries``.

    Raises:
        UploadRejected: ``ZIP_CORRUPT`` or ``ZIP_TOO_MANY_ENTRIES``.
    """
    limits = limits or ZipLimits()
    with open_zip(source, max_entries=limits.max_entries) as zf:
        names = set(zf.namelist())
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return MediaType.DOCX
        if any(n.startswith("xl/") for n in names):
            return MediaType.XLSX
    return MediaType.ZIP


# Client spellings of the same type, mapped to ours.
_ALIASES: dict[str, str] = {
    "application/x-pdf": MediaType.PDF,
    "application/x-zip-compressed": MediaType.ZIP,
    "application/x-zip": MediaType.ZIP,
    "multipart/x-zip": MediaType.ZIP,
    "text/xml": MediaType.XML,
    "text/json": MediaType.JSON,
    "application/jsonl": MediaType.NDJSON,
    "application/jsonlines": MediaType.NDJSON,
    "application/x-jsonlines": MediaType.NDJSON,
    "application/x-jsonl": MediaType.NDJSON,
    "text/comma-separated-values": MediaType.CSV,
    "application/csv": MediaType.CSV,
    "text/x-csv": MediaType.CSV,
    "text/tab-separated-values": MediaType.CSV,
    "text/x-markdown": MediaType.MARKDOWN,
    "application/xhtml+xml": MediaType.HTML,
}
# Declared types that say "I don't know": no contradiction possible.
_UNSPECIFIED = frozenset({"", "application/octet-stream", "binary/octet-stream"})
# Declared -> sniffed pairs that differ only in how closely the content was looked at.
_COMPATIBLE: frozenset[tuple[str, str]] = frozenset(
    {
        (MediaType.TEXT, MediaType.CSV),
        (MediaType.CSV, MediaType.TEXT),
        (MediaType.JSON, MediaType.NDJSON),
        (MediaType.NDJSON, MediaType.JSON),
        (MediaType.ZIP, MediaType.DOCX),
        (MediaType.ZIP, MediaType.XLSX),
        # Markdown is plain text with a name; HTML content stays HTML whatever text type is declared.
        (MediaType.TEXT, MediaType.MARKDOWN),
        (MediaType.CSV, MediaType.MARKDOWN),
        (MediaType.TEXT, MediaType.HTML),
        (MediaType.XML, MediaType.HTML),
        (MediaType.MARKDOWN, MediaType.HTML),
    }
)
# Declared -> sniffed pairs where the declaration says more than content sniffing can: markdown
# looks like text (a table like CSV, leading inline HTML like XML); an HTML fragment like text or XML.
_REFINED_BY_DECLARATION: dict[tuple[str, str], MediaType] = {
    (MediaType.MARKDOWN, MediaType.TEXT): MediaType.MARKDOWN,
    (MediaType.MARKDOWN, MediaType.CSV): MediaType.MARKDOWN,
    (MediaType.MARKDOWN, MediaType.XML): MediaType.MARKDOWN,
    (MediaType.HTML, MediaType.TEXT): MediaType.HTML,
    (MediaType.HTML, MediaType.XML): MediaType.HTML,
    (MediaType.HTML, MediaType.MARKDOWN): MediaType.HTML,
}


def check_declared_media_type(
    declared: str | None, sniffed: MediaType, *, field: str = MEDIA_TYPE_FIELD
) -> MediaType:
    """Refuse a declared media type that contradicts the sniffed one; return the type to store.

    Parameters (``; charset=utf-8``) and case are ignored, common aliases (``text/xml``,
    ``application/x-zip-compressed``, ``text/x-markdown``, ...) are understood, and an empty or
    ``application/octet-stream`` declaration says nothing. text/plain and text/csv are
    interchangeable, as are application/json and application/x-ndjson, and a DOCX or XLSX may be
    declared application/zip. For ZIP content pass the type :func:`refine_zip_type` returned.

    The stored type is the sniffed one, except where the declaration is the only way to tell:
    ``text/markdown`` declared for text (or a table sniffed as CSV, or leading inline HTML sniffed
    as XML) stores markdown, ``text/html`` declared for text or XML stores HTML. Content sniffed as
    HTML is stored as HTML under any text declaration.

    Raises:
        UploadRejected: ``MEDIA_TYPE_MISMATCH``.
    """
    base = (declared or "").split(";", 1)[0].strip().lower()
    if base in _UNSPECIFIED:
        return sniffed
    base = _ALIASES.get(base, base)
    if base == sniffed or (base, sniffed) in _COMPATIBLE:
        return sniffed
    refined = _REFINED_BY_DECLARATION.get((base, sniffed))
    if refined is not None:
        return refined
    raise UploadRejected(
        Reason.MEDIA_TYPE_MISMATCH,
        field,
        f"declared media type {base[:100]!a} does not match the content, which is {sniffed}; "
        "declare the right type or leave it empty",
    )


def _recognise_forbidden(head: bytes, *, is_text: bool) -> str | None:
    for offset, magic, description in _FORBIDDEN_MAGIC:
        # A printable magic ("MZ", "ID3", "GIF89a") may just be how a text file starts: it only
        # names content that is not text anyway.
        if head.startswith(magic, offset) and not (
            is_text and magic.isascii() and _printable(magic)
        ):
            return description
    if is_text:
        return None
    if head.startswith(b"RIFF") and len(head) >= 12:
        return _RIFF_KINDS.get(head[8:12], "RIFF media")
    if _BZIP2.match(head):
        return "bzip2 archive"
    return None


def _printable(magic: bytes) -> bool:
    return all(0x20 <= b < 0x7F or b in b"\t\n\r" for b in magic)


def _as_text(head: bytes) -> str | None:
    # An incremental decoder keeps back a multi-byte character that the 8 KiB cut split.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        text = decoder.decode(head.removeprefix(_UTF8_BOM), final=False)
    except UnicodeDecodeError:
        return None
    if "\x00" in text or len(_ODD_CONTROL.findall(text)) > _MAX_ODD_CONTROL_RATIO * len(text):
        return None
    return text


def download_media_type(stored: str) -> str:
    """The ``Content-Type`` a download of a file stored as ``stored`` is served with.

    HTML is served as ``application/octet-stream`` so that no browser renders (and runs) an
    uploaded page even if it ignored ``Content-Disposition: attachment``; every other type as
    stored.
    """
    return _DOWNLOAD_AS.get(stored, stored)


def _sniff_markup(body: str) -> MediaType | None:
    if _HTML_START.match(body):
        return MediaType.HTML
    if not _XML_START.match(body):
        return None
    position = 0
    while item := _XML_PROLOG_ITEM.match(body, position):
        if item.end() == position:
            break
        position = item.end()
    root = _XML_ELEMENT.match(body, position)
    if root is not None:
        name = root.group(2).lower()
        if name == _HTML_ROOT:
            return MediaType.HTML
        if name == _SVG_ROOT:
            raise _not_allowed("SVG image")
    return MediaType.XML


def _sniff_json(body: str) -> MediaType:
    lines = [line for line in body.splitlines() if line.strip()]
    if len(lines) >= 2:
        try:
            first = json.loads(lines[0])
        except (ValueError, RecursionError):
            return MediaType.JSON
        if isinstance(first, dict | list):
            return MediaType.NDJSON
    return MediaType.JSON


def _looks_delimited(text: str) -> bool:
    # csv.Sniffer would do, but its quote-guessing regex is quadratic: 8 KiB of crafted text
    # costs it most of a second on the event loop. Trying each delimiter with the linear C
    # reader answers the only question we have: do the lines split consistently?
    lines = text.splitlines()
    if lines and not text.endswith(("\n", "\r")):
        lines.pop()  # the head may have cut the last line short
    sample = "\n".join(line for line in lines[:_CSV_SAMPLE_LINES] if line.strip())
    for delimiter in _CSV_DELIMITERS:
        if delimiter not in sample:
            continue
        try:
            widths = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter)]
        except csv.Error:
            continue
        if len(widths) >= 2 and widths[0] >= 2 and len(set(widths)) == 1:
            return True
    return False


def _not_allowed(detected: str) -> UploadRejected:
    allowed = ", ".join(sorted(ALLOWED_MEDIA_TYPES))
    return UploadRejected(
        Reason.MEDIA_TYPE_NOT_ALLOWED,
        CONTENT_FIELD,
        f"content looks like {detected}, which is not accepted; upload one of {allowed}",
    )
