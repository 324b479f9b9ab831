"""Client-supplied file names made safe to store, display and send back in headers."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from assay.ingest.validation.errors import Reason, UploadRejected

MAX_DISPLAY_NAME_BYTES = 255
"""The longest display name kept, in UTF-8 bytes (a common file-system name limit)."""

DISPLAY_NAME_FIELD = "header.display_name"

# ANSI/VT100 escape sequences: CSI (ESC [ ... final) and OSC (ESC ] ... BEL or ESC \). Removing
# only the ESC would leave "[31m" behind in the name.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")
# Characters Windows refuses in names; '<', '>' and '"' are also the usual markup breakers.
_RESERVED = re.compile(r'[<>:"|?*]')
_WHITESPACE = re.compile(r"\s+")
# Control (Cc), format (Cf: zero-width and bidi overrides that disguise "exe.pdf") and lone
# surrogates (Cs) never belong in a name.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_WINDOWS_DEVICE_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)}
)
# An extension longer than this is more likely part of the name than a real suffix.
_MAX_EXTENSION_BYTES = 16
# RFC 5987 attr-char beyond what urllib.parse.quote always leaves alone (ALPHA DIGIT _ . - ~).
_ATTR_CHAR_SAFE = "!#$&+^`|"
# Characters kept in the quoted ASCII fallback: no quote or backslash (quoted-string escapes that
# clients handle inconsistently) and no '%' (some browsers percent-decode the fallback).
_ASCII_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 !#$&'()+,\-.;=@\[\]^_`{}~]")


def sanitize_display_name(raw: str, *, field: str = DISPLAY_NAME_FIELD) -> str:
    """Return a display name that is safe to store and show, derived from the client's name.

    The result is NFC-normalised, keeps only the last path component (``/`` and ``\\`` both
    separate), has no control, format or escape characters, no Windows-reserved characters
    (replaced by ``_``), no leading dots, no trailing dots or spaces, collapsed whitespace, and is
    at most 255 UTF-8 bytes with its extension preserved. The name is only ever displayed: storage
    keys are generated, never derived from it.

    Args:
        raw: The client's file name.
        field: The request field named in a rejection.

    Raises:
        UploadRejected: ``DISPLAY_NAME_INVALID`` when nothing usable remains.
    """
    name = unicodedata.normalize("NFC", raw)
    name = _ANSI_ESCAPE.sub("", name)
    # Whitespace controls (tab, newline, ...) separate words: keep them as spaces.
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = _last_component(name)
    name = _RESERVED.sub("_", name)
    name = _WHITESPACE.sub(" ", name).strip()
    name = name.lstrip(". ").rstrip(". ")
    if not name:
        raise UploadRejected(
            Reason.DISPLAY_NAME_INVALID,
            field,
            f"display name {_preview(raw)} has no usable characters once directories and "
            "control characters are removed; send a plain file name such as report.pdf",
        )
    # Windows treats "CON.txt" and "con.tar.gz" as the console device.
    if name.split(".", 1)[0].rstrip().upper() in _WINDOWS_DEVICE_NAMES:
        name = "_" + name
    # Dropping format characters can leave a decomposed sequence behind: normalise once more.
    name = unicodedata.normalize("NFC", name)
    return _truncate_keeping_extension(name)


def content_disposition(display_name: str, *, disposition: str = "attachment") -> str:
    """Return a ``Content-Disposition`` header value for a stored display name (RFC 6266).

    It carries an ASCII ``filename`` fallback for old clients and the exact name as
    ``filename*=UTF-8''...`` (RFC 5987 percent-encoding). Control characters are dropped again
    here so that no name, sanitized or not, can inject a header line.

    Args:
        display_name: The name to offer; normally the output of :func:`sanitize_display_name`.
        disposition: ``attachment`` (download) or ``inline``.

    Raises:
        ValueError: for a disposition other than ``attachment`` or ``inline``.
    """
    if disposition not in ("attachment", "inline"):
        raise ValueError(f"disposition must be attachment or inline, not {disposition!r}")
    name = "".join(ch for ch in display_name if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    name = _last_component(unicodedata.normalize("NFC", name)).strip() or "download"
    fallback = _ascii_fallback(name)
    encoded = quote(name, safe=_ATTR_CHAR_SAFE, encoding="utf-8", errors="strict")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _last_component(name: str) -> str:
    parts = [p for p in re.split(r"[/\\]", name) if p.strip(" .")]
    return parts[-1] if parts else ""


def _truncate_keeping_extension(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_DISPLAY_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = dot + ext
    if not dot or not stem or len(suffix.encode("utf-8")) > _MAX_EXTENSION_BYTES or " " in ext:
        stem, suffix = name, ""
    budget = MAX_DISPLAY_NAME_BYTES - len(suffix.encode("utf-8"))
    # Cut on a character boundary, then tidy what the cut exposed.
    cut = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(". ")
    return (cut or "file") + suffix


def _ascii_fallback(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    ascii_stem = _to_ascii(stem).strip(" .")
    ascii_ext = _to_ascii(ext).strip(" .")
    if not any(ch.isalnum() for ch in ascii_stem):
        ascii_stem = "download"
    return f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem


def _to_ascii(text: str) -> str:
    # NFKD splits "é" into "e" and a combining accent, which the ASCII encoding then drops.
    decomposed = unicodedata.normalize("NFKD", text).encode("ascii", errors="ignore")
    return _ASCII_FALLBACK_UNSAFE.sub("_", decomposed.decode("ascii"))


def _preview(raw: str) -> str:
    shown = raw if len(raw) <= 40 else raw[:40] + "..."
    return ascii(shown)
