"""The contract_review plugin end to end: inputs, parameters, progress, and quoted evidence."""

from __future__ import annotations

import html
from pathlib import Path

import docx
import pytest
from fixtures.contracts import docgen
from fixtures.contracts.support import (
    STATUS,
    context,
    embedding_analyzer,
    fixture_text,
    lexical_analyzer,
    needs_model,
    normalise,
    params,
)
from pypdf import PdfReader

from assay.analysis.analyzers.contract_review import ANALYZER, ContractReviewAnalyzer
from assay.analysis.plugin import AnalysisCancelled, AnalysisInputError
from assay.v1 import contract_review_pb2, job_pb2


def _analyzers() -> list[ContractReviewAnalyzer]:
    found = [lexical_analyzer()]
    if embedding_analyzer()._embedder() is not None:
        found.append(embedding_analyzer())
    return found


def _evidence(result: contract_review_pb2.ContractReviewResult) -> list[contract_review_pb2.ContractEvidence]:
    return [e for f in result.requirements for e in f.evidence] + [r.evidence for r in result.risks]


def test_the_plugin_is_registered_as_contract_review() -> None:
    assert ANALYZER.spec.name == "contract_review"
    assert ANALYZER.spec.accepts_text
    assert "application/pdf" in ANALYZER.spec.accepted_media_types


def test_findings_quote_text_that_is_on_the_pdf_page_they_name(tmp_path: Path) -> None:
    pages = docgen.paginate(docgen.paragraphs(fixture_text("eu_dpa.txt")), lines_per_page=24)
    pdf = docgen.write_pdf(tmp_path / "dpa.pdf", pages)
    page_text = [normalise(p.extract_text()) for p in PdfReader(pdf).pages]
    assert len(page_text) >= 4
    for analyzer in _analyzers():
        result = analyzer.run(context(tmp_path, params("vendor_dpa", "EU"), files=[pdf])).contract_review
        assert result.pages_processed == len(page_text)
        assert all(f.status == STATUS.STATUS_PRESENT for f in result.requirements)
        evidence = _evidence(result)
        assert evidence
        for item in evidence:
            assert item.paragraph == 0 and item.file_id == "file-1"
            assert item.excerpt in page_text[item.page - 1], (item.page, item.excerpt)


def test_findings_quote_text_that_is_in_the_docx_paragraph_they_name(tmp_path: Path) -> None:
    items = docgen.paragraphs(fixture_text("uk_dpa.txt"))
    path = docgen.write_docx(tmp_path / "dpa.docx", items, headings=[i for i in items if len(i) < 40])
    paragraphs = [normalise(p.text) for p in docx.Document(str(path)).paragraphs]
    for analyzer in _analyzers():
        result = analyzer.run(context(tmp_path, params("vendor_dpa", "UK"), files=[path])).contract_review
        assert all(f.status == STATUS.STATUS_PRESENT for f in result.requirements)
        for item in _evidence(result):
            assert item.page == 0
            assert item.excerpt in paragraphs[item.paragraph - 1], (item.paragraph, item.excerpt)


def test_findings_on_html_quote_clean_text_of_the_paragraph_they_name(tmp_path: Path) -> None:
    items = docgen.paragraphs(fixture_text("eu_dpa.txt"))
    body = "".join(
        f"<h2>{html.escape(i)}</h2>" if len(i) < 40 else f'<p><span class="c1">{html.escape(i)}</span></p>'
        for i in items
    )
    path = tmp_path / "dpa.html"
    path.write_text(f"<!DOCTYPE html><html><head><script>alert(1)</script></head><body>{body}</body></html>")
    paragraphs = [normalise(i) for i in items]
    for analyzer in _analyzers():
        result = analyzer.run(context(tmp_path, params("vendor_dpa", "EU"), files=[path])).contract_review
        assert all(f.status == STATUS.STATUS_PRESENT for f in result.requirements)
        for item in _evidence(result):
            assert "<" not in item.excerpt and "alert" not in item.excerpt
            assert item.excerpt in paragraphs[item.paragraph - 1], (item.paragraph, item.excerpt)


def test_findings_on_inline_text_name_its_paragraphs(tmp_path: Path) -> None:
    text = fixture_text("ca_service_provider_addendum.txt")
    paragraphs = [normalise(p) for p in text.split("\n\n")]
    result = lexical_analyzer().run(context(tmp_path, params("msa", "US_CA"), text=text)).contract_review
    for item in _evidence(result):
        assert item.file_id == ""
        assert item.excerpt in paragraphs[item.paragraph - 1]


def test_a_result_carries_playbook_counts_and_per_requirement_details(tmp_path: Path) -> None:
    text = fixture_text("eu_dpa.txt").replace(
        "without undue delay, and in any event within 24 hours,", "within five business days"
    )
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    assert result.playbook_id == "eu-gdpr-processor-terms" and result.playbook_version == "1.23.0"
    assert result.matcher == "lexical"
    assert result.clauses_found == 40
    weak = [f for f in result.requirements if f.status != STATUS.STATUS_PRESENT]
    assert [f.requirement_id for f in weak] == ["art33-2-breach-notification"]
    assert result.issues_detected == len(weak) + len(result.risks) == 2
    finding = weak[0]
    assert finding.legal_reference == "GDPR Art. 33(2)"
    assert finding.severity == contract_review_pb2.CONTRACT_SEVERITY_CRITICAL
    assert finding.clause_ids == ["cl-8.1"] and finding.recommendation
    assert "1 weak" in result.summary and "Breach notification" in result.summary


def test_progress_grows_as_pages_are_processed_and_a_partial_result_is_reported(tmp_path: Path) -> None:
    pages = docgen.paginate(docgen.paragraphs(fixture_text("eu_dpa.txt")), lines_per_page=12)
    pdf = docgen.write_pdf(tmp_path / "dpa.pdf", pages)
    ctx = context(tmp_path, params("vendor_dpa", "EU"), files=[pdf])
    lexical_analyzer().run(ctx)
    assert len(ctx.progress) >= len(pages)
    assert ctx.progress == sorted(ctx.progress)
    assert ctx.progress[-1] == 95
    [partial] = ctx.partials
    assert partial.contract_review.clauses_found > 0


def test_a_cancelled_job_stops_between_pages(tmp_path: Path) -> None:
    pdf = docgen.write_pdf(tmp_path / "dpa.pdf", docgen.paginate(docgen.paragraphs(fixture_text("eu_dpa.txt")), 12))
    ctx = context(tmp_path, params("vendor_dpa", "EU"), files=[pdf])
    ctx.cancelled = True
    with pytest.raises(AnalysisCancelled):
        lexical_analyzer().run(ctx)
    assert len(ctx.progress) <= 1


def test_a_scanned_pdf_fails_with_no_text_layer(tmp_path: Path) -> None:
    scan = docgen.write_scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(AnalysisInputError) as caught:
        lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), files=[scan]))
    assert caught.value.code == "PDF_NO_TEXT_LAYER"


def test_an_nda_pdf_is_reviewed_without_crashing(tmp_path: Path) -> None:
    pdf = docgen.write_pdf(tmp_path / "nda.pdf", docgen.paginate(docgen.paragraphs(fixture_text("mutual_nda.txt"))))
    for analyzer in _analyzers():
        result = analyzer.run(context(tmp_path, params("vendor_dpa", "UK"), files=[pdf])).contract_review
        assert {f.status for f in result.requirements} == {STATUS.STATUS_MISSING}


def test_a_contract_split_over_two_files_is_reviewed_as_one(tmp_path: Path) -> None:
    text = fixture_text("eu_dpa.txt")
    head, tail = text.split("9. Deletion and Return")
    first = tmp_path / "main.txt"
    second = tmp_path / "annex.txt"
    first.write_text(head, encoding="utf-8")
    second.write_text("9. Deletion and Return" + tail, encoding="utf-8")
    result = (
        lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), files=[first, second])).contract_review
    )
    deletion = next(f for f in result.requirements if f.requirement_id == "art28-3g-deletion-return")
    assert deletion.status == STATUS.STATUS_PRESENT
    assert deletion.clause_ids == ["d2:cl-9.1"] and deletion.evidence[0].file_id == "file-2"


def test_the_playbook_parameter_overrides_the_default(tmp_path: Path) -> None:
    ctx = context(
        tmp_path, params("vendor_dpa", "EU", playbook="uk-gdpr-processor-terms"), text=fixture_text("uk_dpa.txt")
    )
    result = lexical_analyzer().run(ctx).contract_review
    assert result.playbook_id == "uk-gdpr-processor-terms"


def test_an_unknown_playbook_is_refused(tmp_path: Path) -> None:
    ctx = context(tmp_path, params("vendor_dpa", "EU", playbook="no-such-playbook"), text="1.1 Text.")
    with pytest.raises(AnalysisInputError) as caught:
        lexical_analyzer().run(ctx)
    assert caught.value.code == "PLAYBOOK_UNKNOWN"
    assert "eu-gdpr-processor-terms" in caught.value.message


@pytest.mark.parametrize(
    "job_params",
    [
        job_pb2.JobParams(),
        job_pb2.JobParams(contract_review=contract_review_pb2.ContractReviewParams(jurisdiction=1)),
        job_pb2.JobParams(contract_review=contract_review_pb2.ContractReviewParams(contract_type=1)),
    ],
    ids=["other-analyzer", "no-contract-type", "no-jurisdiction"],
)
def test_missing_parameters_are_refused(tmp_path: Path, job_params: job_pb2.JobParams) -> None:
    with pytest.raises(AnalysisInputError) as caught:
        lexical_analyzer().run(context(tmp_path, job_params, text="1.1 Text."))
    assert caught.value.code == "PARAMS_INVALID"


def test_a_job_without_any_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AnalysisInputError) as caught:
        lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU")))
    assert caught.value.code == "INPUT_MISSING"


@needs_model
def test_the_default_plugin_uses_the_embedding_model(tmp_path: Path) -> None:
    ctx = context(tmp_path, params("privacy_policy", "EU"), text=fixture_text("eu_privacy_notice.txt"))
    result = ANALYZER.run(ctx).contract_review
    assert result.matcher == "embedding:all-MiniLM-L6-v2-int8"
    assert all(f.status == STATUS.STATUS_PRESENT for f in result.requirements)
