"""The processing details are a description (analyzer 1.9.0): a sentence counts for them only if it
describes the processing. Role statements, other duties, a duty to do something else, the
controller's responsibility or acknowledgement, the legal basis, processing left outside the
contract, the contract's own applicability, definitions, a description form without its answers
and a continuation of any of these name the details' words and describe nothing; with the
description cut, they no longer keep the requirement PRESENT/WEAK.

Sentences and documents here were written for these tests (the EU DPA fixture with its details
clause replaced); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import (
    STATUS,
    edit,
    edited_findings,
    embedding_analyzer,
    findings,
    fixture_text,
    needs_model,
)

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.description import (
    continues,
    empty_field,
    lists_operations,
    not_description,
)
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.analysis.analyzers.contract_review.segment import segment

DETAILS = "art28-3-processing-details"
PLAYBOOK = builtin_playbooks()["eu-gdpr-processor-terms"]
ELEMENTS = {e.id for r in PLAYBOOK.requirements if r.id == DETAILS for e in r.elements}
CUT = {"2.1": "", "2.2": "", "2.3": "", "2.4": "", "2.5": ""}


def reason(sentence: str) -> str:
    return not_description(sentence, PLAYBOOK.duties, ELEMENTS)


@pytest.mark.parametrize(
    ("sentence", "why"),
    [
        (
            "The parties agree that the Controller is the data controller and that the Processor is its data "
            "processor in relation to the data processed in the course of providing the services.",
            "role",
        ),
        ("To clarify, the Controller may act as either a controller or a processor of the personal data.", "role"),
        ("The Processor processes certain account data of the Controller's staff as a controller.", "role"),
        ("The Controller processes the data for its own purposes.", "role"),
        ("Role: Controller and/or Processor depending on the type of processing.", "role"),
        (
            "The Processor shall maintain records of all categories of processing activities carried out on "
            "behalf of the Controller.",
            "duty: records",
        ),
        (
            "Any such sub-processors will be permitted to process data only to deliver the services the Processor "
            "has retained them to provide.",
            "duty: art28-2-4-subprocessors",
        ),
        (
            "The Processor shall not retain personal data longer than is necessary for the purposes for which the "
            "personal data are processed.",
            "other act",
        ),
        (
            "The Processor will grant access to the personal data to its personnel only to the extent necessary "
            "for providing the services.",
            "other act",
        ),
        (
            "When the Processor processes personal data in the course of providing the services, the Processor will:",
            "other act",
        ),
        ("The Controller alone is responsible for the type and structure of the data.", "controller"),
        (
            "The Controller acknowledges that the Processor cannot control which types of personal data the "
            "Controller submits.",
            "controller",
        ),
        (
            "The legal basis for processing personal data under this DPA is the performance of the Services "
            "Agreement for the provision of services.",
            "legal basis",
        ),
        ("Processing of this type of personal data is outside the scope of this DPA.", "out of scope"),
        (
            "To the extent that the Processor processes the Controller's customer data as part of the services, "
            "the terms contained in this DPA apply.",
            "applicability",
        ),
        (
            "This DPA will apply only to the extent that the Processor processes personal data on behalf of the "
            "Controller.",
            "applicability",
        ),
        (
            '"Customer Data" means the personal data that the Controller uploads to the platform in order to '
            "obtain reports.",
            "definition",
        ),
    ],
)
def test_sentences_that_describe_nothing(sentence: str, why: str) -> None:
    assert reason(sentence) == why


@pytest.mark.parametrize(
    "sentence",
    [
        "The Processor will process the Controller's account data for the purpose of providing the Service.",
        "The Processor shall only process personal data for the following purposes:",
        "The Processor shall process personal data solely for the purpose of providing the translation services.",
        "The Processor uses the personal data only to pay the Controller's staff and file their tax returns.",
        "Personal data will be processed for the duration of the Services Agreement.",
        "Customer personal data will be retained during the term of the Agreement.",
        "Collection, recording, organisation, storage, retrieval, erasure and destruction of the data.",
        "Our processing includes the collection, storage, structuring, deletion and destruction of data.",
        "This DPA applies to the visitor data processed by the Processor on behalf of the Controller.",
        "The subject matter and duration of the processing shall be determined by the Controller in accordance "
        "with Annex 1 of this document.",
        "Categories of data subjects: the Controller's employees and customers.",
        "The Controller may submit personal data to the services, the extent of which is determined by the "
        "Controller, relating to the following categories of data subjects:",
        "The processing concerns the following categories of natural persons:",
        "The group of data subjects affected includes the end users of the Controller's websites.",
        "The categories of data subjects are the Controller's customers and the Processor's support contacts.",
    ],
)
def test_descriptions_still_describe(sentence: str) -> None:
    assert reason(sentence) == ""


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Categories of data subjects whose personal data is transferred", True),
        (
            "The period for which the personal data will be retained, or, if that is not possible, the criteria "
            "used to determine that period",
            True,
        ),
        (
            "Categories of personal data set out under Section 2 of the Addendum to which the Clauses are attached.",
            True,
        ),
        ("Categories of data subjects: the Controller's employees", False),
        ("Categories of data subjects include the Controller's employees and customers.", False),
        ("Duration: for as long as the services are provided", False),
        ("The Processor processes names and email addresses.", False),
    ],
)
def test_a_form_field_without_its_value_is_empty(sentence: str, expected: bool) -> None:
    assert empty_field(sentence) is expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Such personal data may include the names of the Controller's contact persons.", True),
        ("This includes the names and email addresses of users.", True),
        ("These may include log data and IP addresses.", True),
        ("This DPA applies to the visitor data processed on behalf of the Controller.", False),
        ("The personal data includes names and email addresses.", False),
    ],
)
def test_a_continuation_is_known_by_its_opening(sentence: str, expected: bool) -> None:
    assert continues(sentence) is expected


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Collection, recording, storage, retrieval and erasure of the data.", True),
        ("The activities include receiving, storing, displaying and erasing personal data.", True),
        (
            "The Processor may transfer personal data to providers responsible for hosting, backups, storage and "
            "analytics.",
            False,
        ),
        (
            "Ensuring that, in the course of processing, personal data cannot be read, copied, modified or "
            "removed without authorisation.",
            False,
        ),
    ],
)
def test_operations_listed_as_the_nature(sentence: str, expected: bool) -> None:
    assert lists_operations(sentence) is expected


CUT_VARIANTS = {
    "role statements": {
        "2.1": "2.1 The parties agree that the Controller is the data controller and that the Processor is its data "
        "processor in relation to the customer relationship data processed in the course of providing the "
        "analytics services.",
        "2.2": "2.2 To clarify, the Controller may act as either a controller or a processor of the personal data it "
        "uploads to the platform.",
    },
    "other duties": {
        "2.1": "2.1 The Processor shall keep a record of all categories of processing activities carried out on "
        "behalf of the Controller, including the types of personal data and the categories of data subjects "
        "concerned.",
        "2.2": "2.2 The Processor shall not retain personal data longer than is necessary for the purposes for which "
        "the personal data are processed.",
    },
    "the controller's responsibility": {
        "2.1": "2.1 The Controller alone is responsible for the types of personal data it uploads and for the "
        "categories of data subjects concerned.",
        "2.2": "2.2 The Controller acknowledges that the Processor cannot control which types of personal data the "
        "Controller submits for processing in connection with the services.",
    },
    "processing outside the contract": {
        "2.1": "2.1 The Processor also processes certain personal data as a controller, such as the names and email "
        "addresses of the Controller's contact persons used for billing.",
        "2.2": "2.2 Such personal data, including the contact details of the Controller's employees, is processed by "
        "the Processor in order to manage the customer account. Processing of this type of personal data is "
        "outside the scope of this DPA.",
    },
    "a form without its answers": {
        "2.1": "2. Description of the transfer\n\nCategories of data subjects whose personal data is transferred\n\n"
        "Categories of personal data transferred\n\nThe period for which the personal data will be retained, or, "
        "if that is not possible, the criteria used to determine that period",
    },
    "a lead-in of duties": {
        "2.1": "2.1 When the Processor processes the customer relationship data in the course of providing the "
        "analytics services, the Processor will:\n\n- notify the Controller of any request it receives from a "
        "data subject;\n\n- keep the data confidential.",
    },
    # under a heading naming an element, whose the matter is stays what it is (1.21.0)
    "the controller's responsibility under a description heading": {
        "2.1": "## Purpose of the data processing\n\n1. The Controller processes data for its own purposes.\n\n"
        "2. The Controller alone is responsible for the type and structure of the data.",
    },
    "a continuation of another duty": {
        "2.1": "2.1 The Processor shall keep a record of the processing activities it carries out for the "
        "Controller. Such records may include the names and email addresses of the Controller's customers and "
        "employees and the purposes of the processing.",
    },
}


@pytest.mark.parametrize("changes", CUT_VARIANTS.values(), ids=list(CUT_VARIANTS))
def test_with_the_description_cut_what_only_names_it_leaves_the_details_missing(
    tmp_path: Path, changes: dict[str, str]
) -> None:
    for finding in edited_findings(tmp_path, {**CUT, **changes}, DETAILS):
        assert finding.status == STATUS.STATUS_MISSING, finding


def test_what_is_not_processed_is_no_contradiction_of_a_description(tmp_path: Path) -> None:
    """A description has no duty to negate: with the details cut, "does not collect ... special
    categories" leaves them MISSING, not CONTRADICTED."""
    changes = {
        **CUT,
        "2.1": "2.1 The Processor does not collect or store any special categories of personal data, and it does "
        "not process the data of children.",
    }
    for finding in edited_findings(tmp_path, changes, DETAILS):
        assert finding.status == STATUS.STATUS_MISSING, finding


def test_the_fixture_description_is_still_found(tmp_path: Path) -> None:
    for finding in edited_findings(tmp_path, {}, DETAILS):
        assert finding.status in {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}, finding


def test_numbered_paragraphs_under_a_heading_line_share_its_section() -> None:
    """A heading line ("## 2. Subject and duration of processing") over numbered paragraphs that the
    segmenter gives no heading: the paragraphs are one section of the description, the next heading
    starts another."""
    text = (
        "## 2. Subject and duration of processing\n\n"
        "1. The Processor provides web hosting services to the Controller.\n\n"
        "2. Processing starts on the date the Controller first uses the services.\n\n"
        "## 3. Obligations of the Processor\n\n"
        "1. The Processor shall process personal data only on documented instructions."
    )
    document = extract_text(text, file_id="", display_name="dpa.md")
    units = matching.build_units(segment([document]), PLAYBOOK)
    section = {u.text: s for u, s in zip(units, matching._described_sections(units), strict=True)}
    hosting = section["1. The Processor provides web hosting services to the Controller."]
    starts = section["2. Processing starts on the date the Controller first uses the services."]
    instructions = section["1. The Processor shall process personal data only on documented instructions."]
    assert hosting == starts
    assert instructions != starts


@pytest.mark.parametrize("playbook", ["eu-gdpr-processor-terms", "uk-gdpr-processor-terms"])
@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Processing starts from the date on which the client makes use of the services and shall continue "
            "for an indefinite period until termination of this contract.",
            True,
        ),
        ("The processing continues until the Services Agreement ends.", True),
        ("The processing lasts for the term of the Services Agreement.", True),
        ("The Processor shall continue to assist the Controller until the audit ends.", False),
    ],
)
def test_when_processing_starts_and_how_long_it_continues_is_its_duration(
    playbook: str, sentence: str, expected: bool
) -> None:
    details = next(r for r in builtin_playbooks()[playbook].requirements if r.id == DETAILS)
    duration = next(e for e in details.elements if e.id == "duration")
    assert any(p.search(sentence) for p in duration.patterns) is expected


@needs_model
def test_a_description_written_under_headings_that_name_its_elements_is_found(tmp_path: Path) -> None:
    """1.21.0: the value under "## Categories of data subjects" is embedded and read for its concept after its
    heading, as "Categories of data subjects: ..." on one line would be (the patterns still read the value
    alone, so the lexical fallback does not find it), and the headed elements one after another are one
    description. Before, sentence-case Markdown headings headed nothing and the values named no element."""
    changes = {
        **CUT,
        "2.1": "## Categories of data subjects\n\nVisitors to the websites the Controller has registered.\n\n"
        "## Categories of personal data\n\nPage paths, referrer hosts and an approximate location.\n\n"
        "## Duration of the processing\n\nFor as long as the Controller's account exists.",
    }
    finding = findings(embedding_analyzer(), tmp_path, edit(fixture_text("eu_dpa.txt"), changes))[DETAILS]
    assert finding.status in {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}, finding
    assert any("Visitors to the websites" in e.excerpt for e in finding.evidence), finding
