"""contract_review's document-type verdict: what the document is, with a confidence and a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import context, fixture_text, lexical_analyzer, params

from assay.analysis.analyzers.contract_review.document_type import classify, read_signals
from assay.v1 import contract_review_pb2 as pb

PROCESSOR_CLAUSES = "\n\n".join(
    [
        "Processor shall process the personal data only on the documented instructions of the Customer.",
        "Processor shall ensure that persons authorised to process personal data are bound by confidentiality.",
        "Processor shall implement appropriate technical and organisational measures to protect personal data.",
        "Processor shall not engage a sub-processor for personal data without the written authorisation of Customer.",
        "Processor shall notify Customer of a personal data breach without undue delay.",
        "At the end of the services Processor shall delete or return all personal data to Customer.",
    ]
)
SERVICES_TERMS = "\n\n".join(
    [
        "1. Services. Provider shall provide the Services described in each Order Form to Customer.",
        "2. Fees. Customer shall pay the fees within thirty days of the invoice date.",
        "3. Term. This Agreement remains in force until terminated by either party on ninety days' notice.",
        "4. Liability. Neither party shall be liable for indirect or consequential damages.",
        "5. Governing law. This Agreement is governed by the laws of Ireland and the parties submit to its courts.",
    ]
)


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("eu_dpa.txt", "processor_terms"),
        ("uk_dpa.txt", "processor_terms"),
        ("co_processor_agreement.txt", "processor_terms"),
        ("ca_service_provider_addendum.txt", "processor_terms"),
        ("mutual_nda.txt", "nda"),
        ("eu_privacy_notice.txt", "privacy_notice"),
    ],
)
def test_fixture_documents_get_their_type(fixture: str, expected: str) -> None:
    verdict = classify(fixture_text(fixture))
    assert verdict.type == expected, verdict
    assert 0.5 <= verdict.confidence <= 1.0
    assert verdict.reason


def test_a_services_agreement_embedding_processor_terms_is_told_from_a_dpa() -> None:
    text = "MASTER SERVICES AGREEMENT\n\n" + SERVICES_TERMS + "\n\n6. Data protection\n\n" + PROCESSOR_CLAUSES
    verdict = classify(text)
    assert verdict.type == "agreement_with_processor_terms", verdict
    assert "6 sentences binding a processor" in verdict.reason


def test_an_agreement_that_only_incorporates_a_dpa_by_reference_is_named_so() -> None:
    text = (
        "MASTER SUBSCRIPTION AGREEMENT\n\n"
        + SERVICES_TERMS
        + "\n\n6. Data Processing Addendum. The Data Processing Addendum available at "
        "https://vendor.example/dpa is incorporated into this Agreement by reference."
    )
    assert classify(text).type == "agreement_incorporating_dpa"
    assert classify("MASTER SUBSCRIPTION AGREEMENT\n\n" + SERVICES_TERMS).type == "other_contract"


def test_a_dpa_without_a_title_is_read_from_its_processor_duties() -> None:
    text = "Between Customer (controller) and Vendor (processor).\n\n" + PROCESSOR_CLAUSES
    verdict = classify(text)
    assert verdict.type == "processor_terms", verdict
    assert "no type named" in verdict.reason


def test_an_annual_report_is_not_a_contract() -> None:
    text = (
        "UNITED STATES SECURITIES AND EXCHANGE COMMISSION\n\nFORM 10-K\n\nAnnual report for the fiscal year "
        "ended December 31, 2025.\n\nTrust is the foundation of our relationship with drivers. Net income rose "
        "12% in the fiscal year; our stockholders approved the plan. We process personal data of riders "
        "in many countries and transfer it internationally."
    )
    verdict = classify(text)
    assert verdict.type == "not_a_contract", verdict
    assert verdict.confidence >= 0.9


def test_the_result_carries_the_type_and_the_summary_leads_with_it(tmp_path: Path) -> None:
    result = (
        lexical_analyzer()
        .run(context(tmp_path, params("vendor_dpa", "EU"), text=fixture_text("mutual_nda.txt")))
        .contract_review
    )
    assert result.document_type == pb.CONTRACT_DOCUMENT_TYPE_NDA
    assert result.document_type_confidence >= 0.5
    assert result.document_type_reason
    assert result.summary.startswith("Document type: non-disclosure agreement (confidence ")


STATEMENT_OPENING = (
    "# Data Processing Addendum (DPA) Statement\n\n"
    "This statement explains how Acme Ltd (\"Acme\") handles personal data in its licence shop and why a "
    "separate Article 28 data processing addendum is not required for it."
)
CONTROLLER_EXPLANATION = (
    "A DPA under Article 28 is required where a processor processes personal data on behalf of a controller, "
    "acting only on that controller's documented instructions.\n\n"
    "Acme processes account, billing and support data for its own purposes, not on customer instructions. "
    "Acme therefore acts as an **independent controller** for this personal data rather than as the "
    "customer's processor.\n\n"
    "The categories of personal data, legal bases and retention periods are described in the Privacy Policy."
)


def test_a_text_that_says_it_is_no_contract_is_a_notice_whatever_its_title() -> None:
    text = (
        STATEMENT_OPENING
        + "\n\nThis statement is provided for transparency. It is not a contract and does not create rights or "
        "obligations beyond those in the Terms.\n\n"
        + CONTROLLER_EXPLANATION
    )
    verdict = classify(text)
    assert verdict.type == "privacy_notice", verdict
    assert "says it is no contract" in verdict.reason


def test_a_statement_about_no_personal_data_that_says_it_is_no_contract_is_not_a_contract() -> None:
    text = (
        "# Service Level Statement\n\nThis document describes the uptime the hosting service aims for. "
        "This document does not constitute an agreement. Monthly uptime was 99.95 % in 2025."
    )
    assert classify(text).type == "not_a_contract"


def test_a_vendor_declaring_itself_controller_not_processor_explains_the_law() -> None:
    verdict = classify(STATEMENT_OPENING + "\n\n" + CONTROLLER_EXPLANATION)
    assert verdict.type == "privacy_notice", verdict
    assert "controller, not a processor" in verdict.reason


@pytest.mark.parametrize(
    "aside",
    [
        # An agreement saying something of another thing, or a DPA that names the vendor's own
        # controller role for its account data, stays what it is.
        "This Agreement is not a contract of employment and creates no partnership.",
        "With regard to its own account data, Processor acts as an independent controller, not as a processor.",
    ],
)
def test_processor_terms_keep_their_type_beside_such_asides(aside: str) -> None:
    text = "DATA PROCESSING AGREEMENT\n\n" + aside + "\n\n" + PROCESSOR_CLAUSES
    assert classify(text).type == "processor_terms"


def test_a_vendor_controller_for_some_data_and_declared_processor_of_the_rest_is_the_readers_processor() -> None:
    """1.27.0: a brand written as its lower-case domain ("acme.io") was no name, so "acme.io is the processor for
    ..." declared no processor, and its controller role for its own sign-in data made a long DPA page a notice."""
    text = (
        "# Data Processing Agreement\n\n"
        "This Data Processing Agreement forms part of the contract between acme.io and the customer that uses the "
        'Product ("Customer").\n\n'
        "For its own sign-in accounts acme.io decides the purposes and means of processing itself and is controller "
        "rather than processor.\n\n"
        "acme.io is the processor for personal data that Customer stores in the Product."
    )
    signals = read_signals(text)
    assert not signals.controller_not_processor
    assert read_signals(text.replace("acme.io is the processor", "It keeps")).controller_not_processor
