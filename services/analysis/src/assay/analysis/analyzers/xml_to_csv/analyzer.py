"""The xml_to_csv analyzer: every document of the input into CSV tables, a manifest, a summary."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from google.protobuf import json_format

from assay.analysis.analyzers.xml_to_csv.convert import ArtifactNames, Options, convert
from assay.analysis.analyzers.xml_to_csv.documents import Document, documents
from assay.analysis.analyzers.xml_to_csv.spec import MEMBERS_LISTED, SPEC
from assay.analysis.plugin import AnalysisInputError, RunContext, single_file
from assay.v1 import job_pb2, xml_to_csv_pb2

MANIFEST_NAME = "manifest.json"
_PROFILE_SHARE = 0.4
"""Share of a document's progress given to the first (profiling) pass."""


def parse_options(params: job_pb2.JobParams) -> Options:
    """Check the typed parameters; raise ``PARAMS_INVALID`` naming what to fix."""
    which = params.WhichOneof("analyzer_params")
    if which not in (None, "xml_to_csv"):
        raise AnalysisInputError("PARAMS_INVALID", f"xml_to_csv takes JobParams.xml_to_csv, not {which}")
    p = params.xml_to_csv
    paths = [path.strip() for path in p.record_paths]
    if any(not path for path in paths):
        raise AnalysisInputError("PARAMS_INVALID", "record_paths has an empty path")
    return Options(
        record_paths=tuple(paths),
        child_tables=p.repeated_children != xml_to_csv_pb2.XML_REPEATED_CHILDREN_INDEXED_COLUMNS,
        repeat_document_values=p.document_values == xml_to_csv_pb2.XML_DOCUMENT_VALUES_REPEAT_ON_ROWS,
    )


class XmlToCsvAnalyzer:
    """Flattens XML documents (or a ZIP of them) into CSV tables without losing a value."""

    spec = SPEC

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        source = single_file(ctx, "xml_to_csv", takes="converts a file; upload the XML or ZIP",
                             needs="converts exactly one XML document or ZIP archive per job")
        options = parse_options(ctx.params)
        result = xml_to_csv_pb2.XmlToCsvResult(manifest_artifact_name=MANIFEST_NAME)
        members: list[xml_to_csv_pb2.XmlMember] = []
        names = ArtifactNames()
        progress = _Progress(ctx, _total_bytes(source.path, source.display_name))
        with tempfile.TemporaryDirectory(prefix="xml-to-csv-") as spool:
            for document in documents(source.path, source.display_name):
                member = convert(document, options, Path(spool), ctx.artifact_path, names,
                                 progress.ticker(document, 0.0, _PROFILE_SHARE),
                                 progress.ticker(document, _PROFILE_SHARE, 1.0))
                progress.document_done(document)
                members.append(member)
                _count(result, member)
        if not members:
            raise AnalysisInputError("INPUT_EMPTY", f"{source.display_name} holds no documents")
        if result.documents_converted == 0:
            first = members[0]
            more = f" (and {len(members) - 1} more documents refused)" if len(members) > 1 else ""
            raise AnalysisInputError(first.skip_code, first.skip_reason + more)
        result.members.extend(members[:MEMBERS_LISTED])
        result.members_truncated = len(members) > MEMBERS_LISTED
        manifest = xml_to_csv_pb2.XmlToCsvResult()
        manifest.CopyFrom(result)
        del manifest.members[:]
        manifest.members.extend(members)
        manifest.members_truncated = False
        ctx.artifact_path(MANIFEST_NAME, "application/json").write_text(
            json_format.MessageToJson(manifest, preserving_proto_field_name=True), encoding="utf-8")
        ctx.report_progress(100)
        ctx.logger.info("xml_to_csv converted %d of %d documents into %d tables, %d rows",
                        result.documents_converted, len(members), result.tables_total, result.rows_total)
        return job_pb2.JobResult(xml_to_csv=result)


def _count(result: xml_to_csv_pb2.XmlToCsvResult, member: xml_to_csv_pb2.XmlMember) -> None:
    if member.skip_code:
        result.documents_skipped += 1
        return
    result.documents_converted += 1
    result.tables_total += len(member.tables) + (1 if member.header_artifact_name else 0)
    result.rows_total += sum(table.rows for table in member.tables)


def _total_bytes(path: Path, name: str) -> int:
    return sum(doc.size for doc in documents(path, name) if not doc.skip_code) or 1


class _Progress:
    """Bytes-based progress over every document and both passes; checks cancellation as it goes."""

    def __init__(self, ctx: RunContext, total: int) -> None:
        self._ctx = ctx
        self._total = total
        self._done = 0
        self._percent = 0

    def ticker(self, document: Document, start: float, end: float) -> Callable[[int], None]:
        """A tick for one pass over ``document``, covering ``start``-``end`` of its share."""
        def tick(bytes_read: int) -> None:
            self._ctx.check_cancelled()
            share = start + (end - start) * min(1.0, bytes_read / max(1, document.size))
            self._report(self._done + share * document.size)

        return tick

    def document_done(self, document: Document) -> None:
        self._done += document.size if not document.skip_code else 0
        self._report(self._done)

    def _report(self, done: float) -> None:
        percent = min(99, int(done * 100 / self._total))
        if percent > self._percent:
            self._percent = percent
            self._ctx.report_progress(percent)
