"""Safe, streaming XML events: entity declarations and external references refused, leading
whitespace before the declaration skipped, and errors turned into reasons.

Entity declarations can only appear in the DTD, which comes before the root element. So the
prolog (everything up to the root's start tag) is read first by defusedxml's hardened parser,
which refuses entity declarations (billion laughs, XXE) and external references; once the root
element starts, the whole document is parsed again from the first byte by the standard library's
C-accelerated ``iterparse`` (several times faster than defusedxml's pure-Python parser class).
Without declared entities the body can only hold the five predefined ones (any other reference
is malformed), and that parser never loads an external DTD or resource.

Every refusal is a :class:`DocumentRefused` with a stable code and a message a user can act on;
malformed XML names the line and (1-based) column in the original bytes.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import IO, Any, Final
from xml.etree.ElementTree import ParseError, iterparse
from xml.parsers import expat

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

EVENTS: Final = ("start", "end", "start-ns")
"""What the passes listen to: element starts (attributes complete), ends (text complete) and
namespace declarations."""

ENTITIES_FORBIDDEN = "XML_ENTITIES_FORBIDDEN"
EXTERNAL_REFERENCE_FORBIDDEN = "XML_EXTERNAL_REFERENCE_FORBIDDEN"
MALFORMED = "XML_MALFORMED"
NOT_XML = "NOT_XML"

_WHITESPACE = b" \t\r\n"
_SNIFF_BYTES = 64 * 1024
_PROLOG_CHUNK = 16 * 1024


class DocumentRefused(Exception):
    """A document that is not converted: ``code`` is stable, ``message`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _SkippedPrefix:
    """A binary stream with its leading whitespace removed (and counted, to fix error positions)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        head = raw.read(_SNIFF_BYTES)
        skipped = b""
        if not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            bom = codecs.BOM_UTF8 if head.startswith(codecs.BOM_UTF8) else b""
            body = head[len(bom):]
            stripped = body.lstrip(_WHITESPACE)
            skipped = body[: len(body) - len(stripped)]
            head = bom + stripped
        self.first_byte = head[:1]
        self._head = head
        self.lines_skipped = skipped.count(b"\n")
        self.columns_skipped = len(skipped) - (skipped.rfind(b"\n") + 1)
        self.consumed = len(skipped)

    def unread(self, data: bytes) -> None:
        """Put ``data`` back in front of what is left (the prolog check's bytes, for the real parse)."""
        self._head = data + self._head
        self.consumed -= len(data)

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0 or size >= len(self._head):
                data, self._head = self._head, b""
                if size < 0:
                    data += self._raw.read()
            else:
                data, self._head = self._head[:size], self._head[size:]
        else:
            data = self._raw.read(size)
        self.consumed += len(data)
        return data


class XmlEvents:
    """One pass over a document's events; ``bytes_read`` tells how far parsing has got."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self._source = _SkippedPrefix(raw)
        self._name = name
        first = self._source.first_byte
        if first and first != b"<" and not first.startswith((codecs.BOM_UTF8[:1], b"\xff", b"\xfe")):
            raise DocumentRefused(NOT_XML, f"{name} is not XML: it does not start with '<'")
        if not first:
            raise DocumentRefused(NOT_XML, f"{name} is empty")

    @property
    def bytes_read(self) -> int:
        return self._source.consumed

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        try:
            self._check_prolog()
            yield from iterparse(self._source, events=EVENTS)
        except EntitiesForbidden as err:
            raise DocumentRefused(
                ENTITIES_FORBIDDEN,
                f"{self._name} declares the entity {err.name!r} in its DTD; entity declarations are refused "
                "(they allow entity-expansion bombs such as billion laughs and external entity (XXE) reads)",
            ) from None
        except ExternalReferenceForbidden as err:
            raise DocumentRefused(
                EXTERNAL_REFERENCE_FORBIDDEN,
                f"{self._name} refers to the external resource {err.sysid!r}; external references are never loaded",
            ) from None
        except DTDForbidden as err:  # pragma: no cover - DTDs without entities are allowed
            raise DocumentRefused(ENTITIES_FORBIDDEN, f"{self._name} has a DTD ({err.name})") from None
        except ParseError as err:
            raise self._malformed(err) from None

    def _check_prolog(self) -> None:
        """Read up to the root element's start tag with the hardened parser, then rewind."""
        parser = DefusedXMLParser(target=_StopAtRoot(), forbid_dtd=False, forbid_entities=True,
                                  forbid_external=True)
        read: list[bytes] = []
        try:
            while chunk := self._source.read(_PROLOG_CHUNK):
                read.append(chunk)
                parser.feed(chunk)
            parser.close()
        except _RootStarted:
            pass
        self._source.unread(b"".join(read))

    def _malformed(self, err: ParseError) -> DocumentRefused:
        line, column = err.position
        if line == 1:
            column += self._source.columns_skipped
        line += self._source.lines_skipped
        reason = expat.errors.messages.get(err.code, str(err)) if isinstance(err.code, int) else str(err)
        return DocumentRefused(MALFORMED, f"{self._name} is not well-formed XML: {reason} at line {line}, "
                                          f"column {column + 1}")


class _RootStarted(Exception):
    """The prolog is over: the root element starts."""


class _StopAtRoot:
    """A parser target that stops the prolog check at the first start tag."""

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        raise _RootStarted
