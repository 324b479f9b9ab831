"""contract_review's document type, 1.10.0: how an agreement names its processor and its DPA.

Three drafting patterns of ordinary agreements that the type rules misread:

- the processor is declared by name away from the opening, often without an article ("Client is
  the data controller and Northwind acts as data processor"): the duties that follow bind the
  processor as much as "the Processor shall ..." would;
- the DPA is one of the agreement's annexes, appendices or schedules ("the Data Processing
  Agreement at Schedule B", "consult the annex to this Agreement, specifically our Data Processing
  Agreement"), and hard-wrapped text breaks its name over two lines;
- an agreement opens with a list of the documents that go with it ("- Data Processing Agreement:
  https://...", "* [Data Processing Agreement](dpa)"): that list names other documents, not this
  one's title.
"""

from __future__ import annotations

from assay.analysis.analyzers.contract_review.document_type import classify

COMMERCIAL_TERMS = "\n\n".join(
    [
        "1. Services. Northwind shall provide the Services described in each Order Form to Client.",
        "2. Fees. Client shall pay the fees within thirty days of the invoice date.",
        "3. Term. This Agreement remains in force until terminated by either party on ninety days' notice.",
        "4. Liability. Neither party shall be liable for indirect or consequential damages.",
        "5. Governing law. This Agreement is governed by the laws of England and the parties submit to its courts.",
    ]
)
NAMED_PROCESSOR_DUTIES = "\n\n".join(
    [
        "6.1 Roles. For personal data entered by Client, Client is the **data controller** and Northwind "
        "acts as **data processor**.",
        "6.2 Instructions. Northwind shall process Client personal data only on Client's documented instructions.",
        "6.3 Security. Northwind will implement appropriate technical and organisational measures to protect "
        "personal data.",
        "6.4 Personnel. Northwind will ensure that its staff who process personal data are bound by confidentiality.",
        "6.5 Breaches. Northwind will notify Client without undue delay after becoming aware of a personal data "
        "breach affecting Client data.",
        "6.6 Deletion. On termination Northwind will delete or return all personal data processed for Client.",
    ]
)


def test_a_party_declared_the_processor_late_and_without_an_article_binds_its_duties() -> None:
    text = "# Terms of Service\n\n" + COMMERCIAL_TERMS + "\n\n## 6. Data protection\n\n" + NAMED_PROCESSOR_DUTIES
    verdict = classify(text)
    assert verdict.type == "agreement_with_processor_terms", verdict
    assert "5 sentences binding a processor" in verdict.reason


def test_a_controller_or_customer_declared_processor_for_others_is_not_read_as_the_supplier() -> None:
    text = (
        "# Terms of Service\n\n"
        + COMMERCIAL_TERMS
        + "\n\n6. Where Client acts as a processor for its own customers, Client will ensure that its "
        "instructions to Northwind about personal data are lawful."
    )
    assert classify(text).type == "other_contract"


def test_the_dpa_as_a_schedule_of_the_agreement_is_a_reference_even_when_its_name_is_wrapped() -> None:
    text = (
        "MASTER SERVICES AGREEMENT\n\n"
        + COMMERCIAL_TERMS
        + "\n\n6. Privacy. The parties' obligations as controller and processor are set out in the Data\n"
        "Processing Agreement at Schedule B."
    )
    verdict = classify(text)
    assert verdict.type == "agreement_incorporating_dpa", verdict
    assert "1 references to a DPA" in verdict.reason


def test_the_dpa_as_an_annex_to_consult_is_a_reference() -> None:
    text = (
        "Terms and Conditions for Hosting Services\n\n"
        + COMMERCIAL_TERMS
        + "\n\n## Data protection\n\nPlease consult the annex to this Agreement, specifically our "
        "[Data Processing Agreement](data-processing-agreement), for how we process your data."
    )
    assert classify(text).type == "agreement_incorporating_dpa"


def test_an_ordinary_agreement_saying_nothing_of_a_dpa_stays_another_contract() -> None:
    text = "MASTER SERVICES AGREEMENT\n\n" + COMMERCIAL_TERMS + "\n\nSchedule A sets out the service levels."
    assert classify(text).type == "other_contract"


def test_a_list_of_linked_documents_in_the_opening_is_not_the_title() -> None:
    text = (
        "Support Terms\n\nThese terms come with the following documents, which you accept with them:\n\n"
        "* [**Data Processing Agreement**](data-processing-agreement) - how we process personal data for you\n"
        "* [**Service Descriptions**](service-descriptions) - what each support plan includes\n\n" + COMMERCIAL_TERMS
    )
    verdict = classify(text)
    assert verdict.type != "processor_terms", verdict


def test_a_dash_list_of_document_links_is_not_the_title() -> None:
    text = (
        "Customer Terms\n\nRelated documents:\n\n- Data Processing Agreement (DPA): https://example.com/dpa\n"
        "- Privacy Policy: https://example.com/privacy\n\n" + COMMERCIAL_TERMS
    )
    assert classify(text).type != "processor_terms"


def test_a_banner_linking_to_another_document_is_not_the_title() -> None:
    # a web page's banner above the DPA's own title points to the site's privacy notice (1.16.0)
    banner = "[**We recently updated our consumer Privacy Notice.**](https://example.com/privacy-notice)\n\n"
    text = banner + "We added more detail about cookies.\n\nNorthwind Data Processing Addendum\n" + "=" * 34
    verdict = classify(text + "\n\n" + NAMED_PROCESSOR_DUTIES)
    assert verdict.type == "processor_terms", verdict
    # a privacy notice titled as such keeps its title, with or without a link elsewhere
    notice = "# Privacy Notice\n\nWe collect your information when you use our site. See [our terms](/terms).\n"
    assert classify(notice).type == "privacy_notice"


def test_a_dpa_titled_in_a_heading_or_its_first_line_keeps_its_type() -> None:
    for heading in ("# Data Processing Agreement", "DATA PROCESSING ADDENDUM", "**Acme Data Processing Agreement**"):
        text = heading + "\n\n" + NAMED_PROCESSOR_DUTIES
        assert classify(text).type == "processor_terms", heading
