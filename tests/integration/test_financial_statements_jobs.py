"""financial_statements end to end: a PDF report through ingest and a real worker, artifacts back in ingest."""

# ruff: noqa: F811
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import openpyxl
from file_job_fixtures import FileStack, chunked, download, file_stack  # noqa: F401 - fixture
from fixtures import financial
from fixtures.contracts.docgen import write_scanned_pdf
from fixtures.scans import image_only_pdf, needs_tesseract
from ingest_fixtures import new_tenant, submit_requests

from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import ingest_service_pb2 as ing
from assay.v1 import job_pb2

Job = job_pb2.Job


async def test_a_pdf_report_yields_typed_statements_and_downloadable_csv_and_json(
    file_stack: FileStack, tmp_path: Path,
) -> None:
    tenant = new_tenant()
    report = financial.annual_report_pdf(tmp_path / "report.pdf").read_bytes()
    params = job_pb2.JobParams(financial_statements=fs.FinancialStatementsParams())
    worker = await file_stack.start_worker(worker_analyzers="financial_statements")
    try:
        submitted = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(report), analyzer="financial_statements", name="report.pdf", params=params),
            metadata=file_stack.ingest.token(tenant=tenant))
        assert submitted.file.media_type == "application/pdf"
        done = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=60)
        scanned = write_scanned_pdf(tmp_path / "scan.pdf").read_bytes()
        refused = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(scanned), analyzer="financial_statements", name="scan.pdf", params=params),
            metadata=file_stack.ingest.token(tenant=tenant))
        failed = await file_stack.settled(refused.job.id, tenant, Job.STATE_FAILED, timeout=60)
    finally:
        await worker.stop(2.0)

    result = done.result.financial_statements
    assert [s.type for s in result.statements] == [fs.STATEMENT_TYPE_BALANCE_SHEET, fs.STATEMENT_TYPE_INCOME,
                                                   fs.STATEMENT_TYPE_CASH_FLOW]
    assert result.checks_failed == 0 and result.checks_passed > 0
    by_name = {a.name: a for a in done.artifacts}
    assert set(by_name) == {"balance_sheet.csv", "income_statement.csv", "cash_flow.csv", "financial_statements.json",
                            "financial_statements.xlsx"}
    owner = file_stack.ingest.token(tenant=tenant)

    async def fetch(name: str) -> bytes:
        link = await file_stack.ingest.files.GetDownloadUrl(ing.GetDownloadUrlRequest(id=by_name[name].file_id),
                                                            metadata=owner)
        return await download(link.url)

    rows = list(csv.reader(io.StringIO((await fetch("balance_sheet.csv")).decode(), newline="")))
    assert ["Total assets", "total assets", "0", "true", "6", "1000", "5000", "4700"] in rows
    whole = json.loads(await fetch("financial_statements.json"))
    assert whole["entity"] == "ACME WIDGETS, INC." and len(whole["statements"]) == 3
    book = openpyxl.load_workbook(io.BytesIO(await fetch("financial_statements.xlsx")))
    assert book.sheetnames == ["Balance sheet", "Income statement", "Cash flow", "Sources"]
    assert book["Balance sheet"]["C7"].value == "=SUM(C5:C6)"

    # a scan of shapes only: OCR reads no statement (without tesseract: OCR_UNAVAILABLE naming the pages)
    assert failed.error.code == ("NO_STATEMENTS" if shutil.which("tesseract") else "OCR_UNAVAILABLE")
    assert not failed.error.retryable and failed.attempt == 1


@needs_tesseract
async def test_an_image_only_report_is_read_by_ocr_in_a_real_worker(file_stack: FileStack, tmp_path: Path) -> None:
    tenant = new_tenant()
    scan = image_only_pdf(financial.annual_report_pdf(tmp_path / "report.pdf", filler_pages=0).read_bytes())
    worker = await file_stack.start_worker(worker_analyzers="financial_statements")
    try:
        submitted = await file_stack.ingest.files.SubmitDocument(
            submit_requests(chunked(scan), analyzer="financial_statements", name="scan.pdf",
                            params=job_pb2.JobParams(financial_statements=fs.FinancialStatementsParams())),
            metadata=file_stack.ingest.token(tenant=tenant))
        done = await file_stack.settled(submitted.job.id, tenant, Job.STATE_SUCCEEDED, timeout=120)
    finally:
        await worker.stop(2.0)
    result = done.result.financial_statements
    assert [s.type for s in result.statements] == [fs.STATEMENT_TYPE_BALANCE_SHEET, fs.STATEMENT_TYPE_INCOME,
                                                   fs.STATEMENT_TYPE_CASH_FLOW]
    assert result.checks_failed == 0 and list(result.ocr.pages) == [1, 2, 3, 4, 5]
