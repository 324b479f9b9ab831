"""contract_review's BY_REFERENCE status: a requirement left to another document, named."""

from __future__ import annotations

from pathlib import Path

from fixtures.contracts.support import STATUS, context, fixture_text, lexical_analyzer, params

from assay.analysis.analyzers.contract_review.references import referenced_document
from assay.v1 import contract_review_pb2 as pb

SECURITY = (
    "5.1 Taking into account the state of the art, the costs of implementation and the risks to Data "
    "Subjects, the Processor shall implement appropriate technical and organisational measures to ensure a "
    "level of security appropriate to the risk, including those listed in Annex 2."
)
BY_POLICY = "5.1 For security, see the Processor's Information Security Policy at https://vendor.example/security."


def _review(tmp_path: Path, text: str) -> dict[str, pb.ContractRequirementFinding]:
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    return {f.requirement_id: f for f in result.requirements}


def test_a_requirement_met_only_by_a_reference_is_by_reference_naming_the_document(tmp_path: Path) -> None:
    original = fixture_text("eu_dpa.txt")
    assert SECURITY in original
    assert _review(tmp_path, original)["art28-3c-security"].status == STATUS.STATUS_PRESENT
    finding = _review(tmp_path, original.replace(SECURITY, BY_POLICY))["art28-3c-security"]
    assert finding.status == STATUS.STATUS_BY_REFERENCE, finding
    assert list(finding.referenced_documents) == ["Information Security Policy"]
    assert [e.excerpt for e in finding.evidence] == [BY_POLICY]
    assert "Information Security Policy" in finding.explanation


def test_a_cut_requirement_without_a_reference_stays_missing(tmp_path: Path) -> None:
    finding = _review(tmp_path, fixture_text("eu_dpa.txt").replace(SECURITY, ""))["art28-3c-security"]
    assert finding.status == STATUS.STATUS_MISSING


def test_an_agreement_incorporating_a_dpa_leaves_the_processor_terms_to_it(tmp_path: Path) -> None:
    text = "\n\n".join(
        [
            "MASTER SUBSCRIPTION AGREEMENT",
            "1. Services. Provider shall provide the Services described in each Order Form to Customer.",
            "2. Fees. Customer shall pay the fees within thirty days of the invoice date.",
            "3. Governing law. This Agreement is governed by the laws of Ireland.",
            "4. Data Processing Addendum. With respect to the processing of personal data, the parties will "
            "comply with the Data Processing Addendum, which is incorporated into this Agreement.",
        ]
    )
    result = lexical_analyzer().run(context(tmp_path, params("vendor_dpa", "EU"), text=text)).contract_review
    assert result.document_type == pb.CONTRACT_DOCUMENT_TYPE_AGREEMENT_INCORPORATING_DPA
    statuses = {f.requirement_id: f for f in result.requirements}
    deletion = statuses["art28-3g-deletion-return"]
    assert deletion.status == STATUS.STATUS_BY_REFERENCE
    assert list(deletion.referenced_documents) == ["Data Processing Addendum"]
    assert all(f.status != STATUS.STATUS_PRESENT for f in result.requirements)
    assert "left to a referenced document" in result.summary


def test_a_reference_needs_both_a_cue_and_a_named_document() -> None:
    assert referenced_document("Transfers are governed by the Standard Contractual Clauses.") == (
        "Standard Contractual Clauses"
    )
    assert referenced_document("The measures are set out in Annex 2.") == "Annex 2"
    assert referenced_document("The Standard Contractual Clauses were adopted in 2021.") == ""
    assert referenced_document("The processor shall comply with applicable law.") == ""
    assert referenced_document("The same obligations as those set out in this DPA.") == ""
