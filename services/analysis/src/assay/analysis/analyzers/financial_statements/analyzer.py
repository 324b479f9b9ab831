"""The financial_statements analyzer: find the primary statements, read every line, check the sums."""

from __future__ import annotations

from pathlib import Path

from opentelemetry import trace

from assay.analysis.analyzers.financial_statements import formats
from assay.analysis.analyzers.financial_statements.artifacts import write_artifacts
from assay.analysis.analyzers.financial_statements.blocks import Block
from assay.analysis.analyzers.financial_statements.classify import ALL_TYPES
from assay.analysis.analyzers.financial_statements.entity import entity_name
from assay.analysis.analyzers.financial_statements.spec import SPEC
from assay.analysis.analyzers.financial_statements.statements import (
    adjust_for_cross_checks,
    build,
    candidates,
    choose,
)
from assay.analysis.ocr import OcrRun
from assay.analysis.plugin import AnalysisInputError, InputDocument, RunContext, single_file
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2

_tracer = trace.get_tracer(__name__)
_SCAN_SHARE = 60
"""Percent of progress given to the page scan of a PDF."""


def wanted_types(params: job_pb2.JobParams) -> set[int]:
    which = params.WhichOneof("analyzer_params")
    if which not in (None, "financial_statements"):
        raise AnalysisInputError("PARAMS_INVALID", f"financial_statements takes JobParams.financial_statements, "
                                                   f"not {which}")
    chosen = {int(t) for t in params.financial_statements.statement_types}
    if fs.STATEMENT_TYPE_UNSPECIFIED in chosen:
        raise AnalysisInputError("PARAMS_INVALID", "statement_types holds STATEMENT_TYPE_UNSPECIFIED")
    return chosen or set(ALL_TYPES)


class FinancialStatementsAnalyzer:
    """Locates, classifies and extracts primary financial statements from PDF, HTML, markdown, CSV or XLSX."""

    spec = SPEC

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        source = single_file(ctx, "financial_statements", takes="reads a file; upload the filing",
                             needs="reads exactly one document per job")
        wanted = wanted_types(ctx.params)
        kind = formats.detect(source.path, source.media_type, source.display_name)
        ocr = OcrRun()
        with _tracer.start_as_current_span("financial_statements.read") as span:
            blocks, head, pages = _read(kind, source, ctx, ocr)
            span.set_attribute("assay.document.format", kind)
            span.set_attribute("assay.document.pages", pages)
            span.set_attribute("assay.tables", len(blocks))
            span.set_attribute("assay.ocr.pages", len(ocr.pages))
        ctx.check_cancelled()
        result = fs.FinancialStatementsResult(format=kind, pages=pages, entity=entity_name(head), ocr=ocr.summary())
        hint = Path(source.display_name).stem if kind in {formats.CSV, formats.XLSX} else ""
        groups = choose(candidates(blocks, hint), wanted)
        if not groups:
            raise AnalysisInputError("NO_STATEMENTS", f"{source.display_name}: no primary financial statement "
                                                      f"found in {pages} page(s) / {len(blocks)} table(s)")
        unreadable: list[fs.FinancialUnreadableCell] = []
        for index, group in enumerate(groups):
            result.statements.append(build(group, unreadable, index))
        adjust_for_cross_checks(result.statements)
        found = {s.type for s in result.statements}
        result.not_found.extend(fs.StatementType.ValueType(t) for t in ALL_TYPES if t in wanted and t not in found)
        result.unreadable_cells.extend(unreadable)
        checks = [c for s in result.statements for c in s.checks]
        result.checks_passed = sum(1 for c in checks if c.passed)
        result.checks_failed = len(checks) - result.checks_passed
        if not result.entity:
            result.entity = entity_name([line for g in groups for line in g[0].block.context])
        write_artifacts(result, ctx.artifact_path)
        ctx.report_progress(100)
        ctx.logger.info("financial_statements found %d statements in %d pages, checks %d passed %d failed",
                        len(result.statements), pages, result.checks_passed, result.checks_failed)
        return job_pb2.JobResult(financial_statements=result)


def _read(kind: str, source: InputDocument, ctx: RunContext, ocr: OcrRun) -> tuple[list[Block], list[str], int]:
    if kind == formats.PDF:
        return _read_pdf(source, ctx, ocr)
    if kind == formats.HTML:
        from assay.analysis.analyzers.financial_statements.markup import html_blocks

        return html_blocks(source.path)
    if kind == formats.MARKDOWN:
        from assay.analysis.analyzers.financial_statements.markup import markdown_blocks
        from assay.analysis.analyzers.financial_statements.sheets import decode

        blocks, head = markdown_blocks(decode(source.path.read_bytes()))
        return blocks, head, 1
    from assay.analysis.analyzers.financial_statements import sheets

    if kind == formats.XLSX:
        out = []
        formulas_only = []
        for number, (name, rows, uncached) in enumerate(sheets.xlsx_sheets(source.path), start=1):
            if rows:
                out.append(sheets.rows_block(rows, name, number))
            elif uncached:
                formulas_only.append(name)
        if not out and formulas_only:
            raise AnalysisInputError("FORMULAS_UNCALCULATED",
                                     f"sheet(s) {', '.join(formulas_only)} hold formulas with no saved values; "
                                     "open and save the workbook in a spreadsheet application first")
        if not out:
            raise AnalysisInputError("INPUT_EMPTY", f"{source.display_name} has no filled cells")
        return out, [], len(out)
    rows = sheets.csv_rows(source.path)
    if len(rows) < 2:
        raise AnalysisInputError("INPUT_EMPTY", f"{source.display_name} has no data rows")
    return [sheets.rows_block(rows, source.display_name)], [], 1


def _read_pdf(source: InputDocument, ctx: RunContext, ocr: OcrRun) -> tuple[list[Block], list[str], int]:
    """Every page's text (OCR for pages without a text layer), then positioned lines of the candidate pages."""
    from assay.analysis.analyzers.financial_statements import pdf

    doc = pdf.open_pdf(source.path)
    try:
        def tick(done: int, total: int) -> None:
            if done % 10 == 0 or done == total:
                ctx.check_cancelled()
                ctx.report_progress(min(99, done * _SCAN_SHARE // max(1, total)))

        texts = pdf.page_texts(doc, tick)
        textless = pdf.textless_pages(texts)
        for done, (number, scanned) in enumerate(ocr.read_pages(doc, textless), start=1):
            if scanned is not None:
                texts[number - 1] = scanned.text()
            ctx.check_cancelled()
            ctx.report_progress(min(99, _SCAN_SHARE + done * (99 - _SCAN_SHARE) // len(textless)))
        pages = pdf.candidate_pages(texts)
        if not pages and ocr.unread:
            raise ocr.error(len(texts), "no statement was found on the other pages")
        head = [line for text in texts[:3] for line in text.splitlines()]
        return pdf.blocks(doc, pages, ocr.pages), head, len(texts)
    finally:
        doc.close()
