"""Span attributes that summarise an analyzer's result, for the worker's ``analyze`` span."""

from __future__ import annotations

from assay.v1 import job_pb2, ocr_pb2


def result_attributes(result: job_pb2.JobResult) -> dict[str, int]:
    """``assay.rows_processed`` (rows read or written) and what else tells a run's size at a glance."""
    which = result.WhichOneof("analyzer_result")
    if which == "sentiment":
        return {"assay.rows_processed": result.sentiment.statistics.rows_total}
    if which == "xml_to_csv":
        xml = result.xml_to_csv
        return {"assay.rows_processed": xml.rows_total, "assay.documents_converted": xml.documents_converted,
                "assay.documents_skipped": xml.documents_skipped}
    if which == "compare":
        compared = result.compare
        return {"assay.rows_processed": compared.old.rows + compared.new.rows, "assay.rows_added": compared.added,
                "assay.rows_removed": compared.removed, "assay.rows_changed": compared.changed}
    if which == "financial_statements":
        found = result.financial_statements
        return {"assay.rows_processed": sum(len(s.line_items) for s in found.statements),
                "assay.statements_found": len(found.statements), "assay.checks_failed": found.checks_failed,
                **_ocr_attributes(found.ocr)}
    if which == "bank_statement":
        statement = result.bank_statement
        return {"assay.rows_processed": statement.transactions_total, "assay.pages": statement.pages,
                "assay.reconciled": int(statement.reconciliation.reconciled),
                "assay.mismatches": statement.reconciliation.mismatches_total, **_ocr_attributes(statement.ocr)}
    if which == "consolidate":
        consolidated = result.consolidate
        return {"assay.rows_processed": sum(len(s.lines) for s in consolidated.statements),
                "assay.consolidate.sources": len(consolidated.sources),
                "assay.consolidate.restated_values": consolidated.restated_values,
                "assay.consolidate.unmatched_lines": consolidated.unmatched_lines}
    if which == "ask":
        return {"assay.rows_processed": result.ask.questions, "assay.ask.answered": result.ask.answered}
    if which == "index":
        indexed = result.index
        return {"assay.rows_processed": indexed.chunks, "assay.index.files": len(indexed.files),
                "assay.pages": sum(f.pages for f in indexed.files)}
    return {}


def ocr_summary(result: job_pb2.JobResult) -> ocr_pb2.OcrSummary | None:
    """The result's OCR summary, for analyzers that OCR pages without a text layer."""
    which = result.WhichOneof("analyzer_result")
    if which == "financial_statements":
        return result.financial_statements.ocr
    if which == "bank_statement":
        return result.bank_statement.ocr
    return None


def _ocr_attributes(summary: ocr_pb2.OcrSummary) -> dict[str, int]:
    """``assay.ocr.pages`` / ``assay.ocr.unread_pages`` / ``assay.ocr.ms`` when a page needed OCR."""
    if not summary.pages and not summary.unread_pages:
        return {}
    return {"assay.ocr.pages": len(summary.pages), "assay.ocr.unread_pages": len(summary.unread_pages),
            "assay.ocr.ms": round(summary.seconds * 1000)}
