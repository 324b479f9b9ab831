"""Database client spans named ``{operation} {table}`` (``UPDATE jobs.jobs``), as the OpenTelemetry
database conventions name them, instead of the SQLAlchemy instrumentor's first word and database
(``WITH assay``).

The instrumentor offers no hook for the name and sets the statement only after the span started,
so the name is derived at export: :class:`DbSpanNames` wraps the exporter and renames each span
that carries a statement (``db.statement`` or ``db.query.text``), adding ``db.operation.name``
and ``db.collection.name``. Statements are constant text with bind parameters, so the derived
names are cached per statement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

STATEMENT_ATTRIBUTES = ("db.query.text", "db.statement")

_TOKEN = re.compile(r"""
    '(?:[^']|'')*'                     # a string literal (skipped)
  | --[^\n]*                           # a line comment (skipped)
  | /\*.*?\*/                          # a block comment (skipped)
  | %\(\w+\)s                         # a pyformat bind parameter (skipped)
  | (?P<name>(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))*)
  | (?P<open>\()
  | (?P<close>\))
  | [^\s'"(A-Za-z_-]+ | -                # anything else
""", re.VERBOSE | re.DOTALL)

_OPERATIONS = {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"}
_TABLE_AFTER = {"INSERT": "INTO", "DELETE": "FROM", "MERGE": "INTO", "SELECT": "FROM"}


class _Word(NamedTuple):
    text: str
    depth: int
    """Parentheses open around the word."""
    call: bool
    """Followed by "(": a function, not a table."""


def _words(statement: str) -> list[_Word]:
    """Every name in the statement, in order, with its nesting (literals and comments skipped)."""
    words: list[_Word] = []
    depth = 0
    previous_was_name = False
    for match in _TOKEN.finditer(statement):
        if match.group("name"):
            words.append(_Word(match.group("name"), depth, False))
            previous_was_name = True
            continue
        if match.group("open"):
            if previous_was_name:
                words[-1] = words[-1]._replace(call=True)
            depth += 1
        elif match.group("close"):
            depth = max(0, depth - 1)
        previous_was_name = False
    return words


@lru_cache(maxsize=1024)
def sql_span_name(statement: str) -> tuple[str, str] | None:
    """(operation, table) of a SQL statement: the statement's own operation — for ``WITH … AS (…)
    UPDATE t`` the UPDATE after the common table expressions — and the table it works on ("" when
    it reads no table, e.g. ``SELECT pg_try_advisory_lock(…)``); None when it is no DML statement."""
    words = _words(statement)
    if not words:
        return None
    if words[0].text.upper() == "WITH":
        words = words[1:]
        start = next((i for i, w in enumerate(words) if w.depth == 0 and w.text.upper() in _OPERATIONS), None)
        if start is None:
            return None
        words = words[start:]
    operation = words[0].text.upper()
    if operation not in _OPERATIONS:
        return None
    top = [w for w in words[1:] if w.depth == 0]
    keyword = _TABLE_AFTER.get(operation)
    if keyword is None:  # UPDATE [ONLY] table
        targets = top
    else:
        at = next((i for i, w in enumerate(top) if w.text.upper() == keyword), None)
        targets = top[at + 1:] if at is not None else []
    table = next((w for w in targets if w.text.upper() != "ONLY"), None)
    if table is None or (table.call and operation != "INSERT"):  # INSERT INTO t (columns) is no call
        return operation, ""
    return operation, table.text.replace('"', "")


def _renamed(span: ReadableSpan) -> ReadableSpan:
    attributes = span.attributes or {}
    statement = next((attributes[key] for key in STATEMENT_ATTRIBUTES if key in attributes), None)
    if not isinstance(statement, str):
        return span
    parsed = sql_span_name(statement)
    if parsed is None:
        return span
    operation, table = parsed
    extra = {"db.operation.name": operation} | ({"db.collection.name": table} if table else {})
    return ReadableSpan(
        name=f"{operation} {table}".rstrip(), context=span.context, parent=span.parent, resource=span.resource,
        attributes={**attributes, **extra}, events=span.events, links=span.links, kind=span.kind,
        status=span.status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class DbSpanNames(SpanExporter):
    """Passes spans to ``exporter`` with database spans named ``{operation} {table}``."""

    def __init__(self, exporter: SpanExporter) -> None:
        self._exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self._exporter.export([_renamed(span) for span in spans])

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._exporter.force_flush(timeout_millis)
