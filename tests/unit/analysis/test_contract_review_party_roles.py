"""Parties read however a document names them (1.12.0): a role word given by the document's own
role statement (a supplier's own terms call it "the Company" and say "the Customer shall be the
Data Controller and the Company shall be the Data Processor"; its duties are then the processor's,
and so are their negations), and brand names written in lower case ("quillSoft", "tessera B.V.").

The document is the EU DPA fixture with its parties renamed; no evaluation document is quoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, STATUS, analyzers, edit, edited_findings, findings, fixture_text

from assay.analysis.analyzers.contract_review.obligation import controller_permission
from assay.analysis.analyzers.contract_review.parties import PartyAliases

ROLES = (
    "2.0 The parties agree that the Customer shall be the Data Controller and the Company shall be the Data Processor."
)


def _company_as_processor(changes: dict[str, str] | None = None) -> str:
    """The fixture with the processor called "the Company" and the controller "the Customer"."""
    text = fixture_text("eu_dpa.txt")
    text = text.replace(
        'Northwind Retail GmbH ("Controller") and Cloudlane Analytics Ltd ("Processor")',
        "Northwind Retail GmbH and Cloudlane Analytics Ltd",
    )
    text = text.replace("2. Details of the Processing\n\n", f"2. Details of the Processing\n\n{ROLES}\n\n")
    text = text.replace("the Processor", "the Company").replace("The Processor", "The Company")
    text = text.replace("the Controller", "the Customer").replace("The Controller", "The Customer")
    return edit(text, changes or {})


@pytest.mark.parametrize(
    ("statement", "name", "role"),
    [
        (ROLES, "The Company", "Processor"),
        (
            "Between them, the Company shall be the Data Controller and the Supplier the processor.",
            "The Company",
            "Controller",
        ),
        ("Nimbus Hosting GmbH shall act as the Data Processor.", "Nimbus Hosting", "Processor"),
        ("For the Customer Data, Harbour Labs will be the Data Processor.", "Harbour Labs", "Processor"),
        ('between quillSoft ("Provider") and the Customer', "quillSoft", "Provider"),
        ("The Service is operated by tessera B.V. and tessera B.V. is the processor.", "tessera B.V.", "Processor"),
        ("The Service is operated by tessera B.V. and tessera B.V. is the processor.", "tessera", "Processor"),
        # The possessive "on Customer's behalf", and "is its Processor" (1.17.0).
        ("Services through which Nimbus processes Personal Data on Customer’s behalf.", "Nimbus", "Processor"),
        ("Personal Data processed by Harbour Labs on the Customer's behalf.", "Harbour Labs", "Processor"),
        ("Customer is the Controller, and Nimbus is its Processor or Subprocessor.", "Nimbus", "Processor"),
        # Whoever else is the controller of the data a party processes (1.24.0).
        (
            "to the extent Nimbus processes Personal Data for which such Authorized Affiliates qualify as the"
            " Controller.",
            "Nimbus",
            "Processor",
        ),
        # A heading in capitals, and the processor's obligations named as its own (1.20.0).
        ("PART II - PERSONAL DATA PROCESSING FOR WHICH NIMBUS IS A PROCESSOR", "NIMBUS", "Processor"),
        (
            "information necessary to demonstrate Nimbus's compliance with its obligations as a Processor",
            "Nimbus",
            "Processor",
        ),
    ],
)
def test_a_role_statement_names_the_party_however_it_is_called(statement: str, name: str, role: str) -> None:
    parties = PartyAliases.from_texts([statement])
    assert parties.normalise(f"{name} shall delete the data.") == f"the {role} shall delete the data."


def test_a_role_without_an_article_names_the_party_and_one_said_in_a_relative_clause_does_not() -> None:
    # 1.22.0: "will act as processor" (no article) named no one, and "personal data for which X is a controller"
    # made the processor the controller, so none of its duties bound a processor.
    parties = PartyAliases.from_texts(
        [
            "With regard to the processing of Customer Data, Harbour Labs will act as processor to Customer.",
            "Nothing prevents Harbour Labs from answering requests about personal data for which Harbour Labs is a "
            "controller.",
        ]
    )
    assert parties.normalise("Harbour Labs shall delete the data.") == "the Processor shall delete the data."
    assert PartyAliases.from_texts(["data for which Harbour Labs is a controller"]).aliases == ()
    acting = PartyAliases.from_texts(["To the extent that Harbour Labs is acting as a Data Processor for you:"])
    assert acting.normalise("Harbour Labs will:") == "the Processor will:"


def test_a_role_stated_after_the_opening_names_the_processor_only_when_the_opening_named_none() -> None:
    # 1.23.0: roles were read from the first forty clauses only; "To the extent that Self is acting as a Data
    # Processor for you" came at clause 41, so none of the processor's duties bound anyone.
    later = ["To the extent that Harbour Labs is acting as a Data Processor for you, Harbour Labs will:"]
    opening = ["1. Definitions", "This DPA forms part of the Terms of Service."]
    parties = PartyAliases.from_texts(opening, rest=later)
    assert parties.normalise("Harbour Labs will delete the data.") == "the Processor will delete the data."
    named = PartyAliases.from_texts([*opening, "Nimbus shall act as the Data Processor."], rest=later)
    assert named.aliases == (("Nimbus", "Processor"),)


@pytest.mark.parametrize(
    "statement",
    [
        "Clauses apply to any transfer pursuant to the Agreement. When Customer is acting as a processor, they apply.",
        "It is Processed. Where Customer acts as a Controller, it decides.",
    ],
)
def test_a_name_does_not_run_back_across_a_full_stop(statement: str) -> None:
    # 1.23.0: "Agreement. When Customer" was read as the processor's name, and its alias "Agreement." turned every
    # "the Agreement." into "the Processor".
    assert PartyAliases.from_texts([statement]).aliases == ()


def test_the_short_name_defined_beside_the_role_names_the_party() -> None:
    # 1.23.0: in 'F7 Platform, Inc. ("Processor" or "F7")' only the role was read, and "F7" (two characters, a
    # digit) was no alias, so "F7 implements the following measures" bound no one.
    parties = PartyAliases.from_texts(['This DPA is between F7 Platform, Inc. ("Processor" or "F7") and the customer.'])
    assert parties.normalise("F7 implements the measures.") == "the Processor implements the measures."
    # Beside "we" the party is the first person, in capitals too; its short names stay names ("we" reads only as a
    # subject: "Provide instructions to Courier" is no "to we").
    supplier = PartyAliases.from_texts(['Nimbus Industries Ltd ("Cirrus", OR "WE")'])
    assert supplier.normalise("Nimbus Industries shall notify you.") == "we shall notify you."
    assert supplier.normalise("Provide instructions to Cirrus.") == "Provide instructions to Cirrus."


def test_a_document_named_before_a_partys_bracket_is_no_party() -> None:
    # 1.23.0: "The Customer that accepted the Principal Agreement ("Controller", "you")" made "Principal Agreement"
    # the controller.
    parties = PartyAliases.from_texts(['The Customer that accepted the Principal Agreement ("Controller", "you").'])
    assert parties.aliases == ()


def test_a_term_defined_for_more_than_the_words_before_it_and_a_product_are_no_aliases() -> None:
    # 1.24.0: '... their rights under applicable Data Protection Laws ("Data Subject Requests")' made every "Data
    # Protection Laws" the "Data Subject Requests", and the platform a user uses was read as the user.
    parties = PartyAliases.from_texts(
        [
            'requests from Data Subjects to exercise their rights under applicable Data Protection Laws ("Data Subject'
            ' Requests").',
            'These Terms apply to any person who uses the Nimbus Analytics Platform ("User" or "you").',
        ]
    )
    assert parties.aliases == ()
    # A term made of the words before it, or of their initials, or a company's short name, still is.
    kept = PartyAliases.from_texts(
        [
            'the Keboola Order Form ("Order Form"), a Data Protection Impact Assessment ("DPIA") and Motif Land Inc.'
            ' ("Markprompt")'
        ]
    )
    assert {alias for alias, _ in kept.aliases} == {
        "Keboola Order Form",
        "Data Protection Impact Assessment",
        "Motif Land Inc.",
    }


def test_a_legal_form_s_full_stop_is_no_sentence_break() -> None:
    parties = PartyAliases.from_texts(["Harbour Labs Inc. Europe shall act as the Data Processor."])
    assert parties.normalise("Harbour Labs Inc. Europe will:") == "the Processor will:"


def test_the_words_of_a_heading_in_capitals_before_the_name_are_no_name() -> None:
    parties = PartyAliases.from_texts(["PART II - PERSONAL DATA PROCESSING FOR WHICH NIMBUS IS A PROCESSOR"])
    assert parties.aliases == (("NIMBUS", "Processor"),)


def test_the_processors_role_said_beside_its_name_is_dropped() -> None:
    parties = PartyAliases.from_texts(["Nimbus shall act as the Data Processor."])
    assert parties.normalise("As a Subcontractor, Nimbus undertakes to respect the following obligations:") == (
        "the Processor undertakes to respect the following obligations:"
    )
    assert parties.normalise("As a Subcontractor, the Customer may engage Nimbus.") == (
        "As a Subcontractor, the Customer may engage the Processor."
    )
    assert parties.normalise("The responsibility of Nimbus, as a subcontractor, is limited to this DPA.") == (
        "The responsibility of the Processor is limited to this DPA."
    )


def test_the_customer_stated_as_controller_stays_the_customer() -> None:
    assert PartyAliases.from_texts(["The Customer shall be the Data Controller."]).aliases == ()


def test_lower_case_words_are_no_names_without_a_capital_inside_or_a_legal_form_after() -> None:
    assert (
        PartyAliases.from_texts(
            ["Where personal data is the processor's to protect, data acts as the processor."]
        ).aliases
        == ()
    )


def test_the_company_stated_as_processor_is_bound_by_the_processors_duties(tmp_path: Path) -> None:
    text = _company_as_processor()
    for analyzer in analyzers():
        found = findings(analyzer, tmp_path, text)
        for requirement in ("art28-3c-security", "art28-3f-assistance-arts-32-36", "art33-2-breach-notification"):
            assert found[requirement].status == STATUS.STATUS_PRESENT, requirement


def test_the_company_stated_as_processor_relieved_of_a_duty_is_contradicted(tmp_path: Path) -> None:
    negated = (
        "7.2 The Company shall not be required to assist the Customer in ensuring compliance with the obligations "
        "pursuant to Articles 32 to 36 of the GDPR."
    )
    text = _company_as_processor({"7.2": negated})
    for analyzer in analyzers():
        finding = findings(analyzer, tmp_path, text)["art28-3f-assistance-arts-32-36"]
        assert finding.status == STATUS.STATUS_CONTRADICTED
        assert any("shall not be required to assist" in e.excerpt for e in finding.evidence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Admin users in the Controller's account may delete any user in the account, also deleting their data.",
        "As part of the single sign-on integration, our customers can enforce two-factor authentication.",
        "Authorised users can export or erase their records from the dashboard.",
    ],
)
def test_what_the_controllers_users_may_do_binds_no_processor(sentence: str) -> None:
    assert controller_permission(sentence)


def test_a_restriction_on_users_beside_the_processors_duty_is_no_permission() -> None:
    assert not controller_permission("Users may not delete the data, and the Processor shall delete it on request.")


def test_a_cut_deletion_clause_is_not_replaced_by_what_the_controllers_users_may_delete(tmp_path: Path) -> None:
    users = "9.1 Admin users in the Controller's account may delete any user in the account, also deleting their data."
    for finding in edited_findings(tmp_path, {"9.1": users}, "art28-3g-deletion-return"):
        assert finding.status not in POSITIVE
