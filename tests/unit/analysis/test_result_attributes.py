"""The analyze span's summary attributes, per analyzer result."""

from __future__ import annotations

from assay.analysis.result_attributes import result_attributes
from assay.v1 import bank_statement_pb2, compare_pb2, job_pb2, sentiment_pb2, xml_to_csv_pb2


def test_each_result_tells_its_rows_and_outcome_counts() -> None:
    sentiment = job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(
        statistics=sentiment_pb2.SentimentStatistics(rows_total=7)))
    assert result_attributes(sentiment) == {"assay.rows_processed": 7}
    xml = job_pb2.JobResult(xml_to_csv=xml_to_csv_pb2.XmlToCsvResult(rows_total=120, documents_converted=3,
                                                                      documents_skipped=2))
    assert result_attributes(xml) == {"assay.rows_processed": 120, "assay.documents_converted": 3,
                                      "assay.documents_skipped": 2}
    compared = job_pb2.JobResult(compare=compare_pb2.CompareResult(
        old=compare_pb2.CompareInput(rows=10), new=compare_pb2.CompareInput(rows=11), added=2, removed=1, changed=4))
    assert result_attributes(compared) == {"assay.rows_processed": 21, "assay.rows_added": 2,
                                           "assay.rows_removed": 1, "assay.rows_changed": 4}
    statement = job_pb2.JobResult(bank_statement=bank_statement_pb2.BankStatementResult(
        transactions_total=40, pages=3, reconciliation=bank_statement_pb2.BankReconciliation(
            reconciled=False, mismatches_total=2)))
    assert result_attributes(statement) == {"assay.rows_processed": 40, "assay.pages": 3, "assay.reconciled": 0,
                                            "assay.mismatches": 2}
    assert result_attributes(job_pb2.JobResult()) == {}


def test_a_financial_statements_result_tells_its_lines_statements_and_failed_checks() -> None:
    from assay.v1 import financial_statements_pb2 as fs

    found = fs.FinancialStatementsResult(checks_failed=1, statements=[
        fs.FinancialStatement(line_items=[fs.FinancialLineItem(label="a"), fs.FinancialLineItem(label="b")]),
        fs.FinancialStatement(line_items=[fs.FinancialLineItem(label="c")])])
    assert result_attributes(job_pb2.JobResult(financial_statements=found)) == {
        "assay.rows_processed": 3, "assay.statements_found": 2, "assay.checks_failed": 1}


def test_pages_read_by_ocr_are_counted_on_the_span_and_in_the_metrics() -> None:
    import prometheus_client

    from assay.analysis.runtime import _count_ocr
    from assay.v1 import ocr_pb2

    ocr = ocr_pb2.OcrSummary(pages=[2, 3], unread_pages=[4], seconds=1.25)
    result = job_pb2.JobResult(bank_statement=bank_statement_pb2.BankStatementResult(transactions_total=5, ocr=ocr))
    attributes = result_attributes(result)
    assert {k: v for k, v in attributes.items() if k.startswith("assay.ocr.")} == {
        "assay.ocr.pages": 2, "assay.ocr.unread_pages": 1, "assay.ocr.ms": 1250}

    def sample(name: str, **labels: str) -> float:
        return prometheus_client.REGISTRY.get_sample_value(name, {"analyzer": "bank_statement", **labels}) or 0.0

    before = (sample("assay_worker_ocr_pages_total", outcome="read"), sample("assay_worker_ocr_seconds_total"))
    _count_ocr("bank_statement", result)
    assert sample("assay_worker_ocr_pages_total", outcome="read") == before[0] + 2
    assert sample("assay_worker_ocr_seconds_total") == before[1] + 1.25
    assert "assay.ocr.pages" not in result_attributes(job_pb2.JobResult(
        bank_statement=bank_statement_pb2.BankStatementResult(transactions_total=5)))
