"""Sentences about a term that are not the term (analyzer 1.22.0): a recital says why the parties contract, a
precedence clause which text wins a conflict, a reservation what a notification does not admit. None of them is
evidence that a requirement is met, so once the requirement's own clauses are cut it is no longer reported met.
And the other way round: a clause written as a Markdown heading line is still the clause.

Sentences written for these tests (the EU DPA fixture with clauses rewritten); none is taken from an evaluation
document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import POSITIVE, STATUS, assert_found_and_quoted, edited_findings, normalise

from assay.analysis.analyzers.contract_review.obligation import non_binding
from assay.analysis.analyzers.contract_review.sentence_kind import is_recital

INTRODUCTION = (
    'This Data Processing Agreement ("DPA") is entered into between Northwind Retail GmbH ("Controller") and '
    'Cloudlane Analytics Ltd ("Processor") and forms part of the Services Agreement between them.'
)


@pytest.mark.parametrize(
    ("heading", "text", "recital"),
    [
        ("", "WHEREAS, the Processor will host the Controller's customer data;", True),
        ("", "**WHEREAS**, the parties desire to supplement this DPA;", True),
        ("**WHEREAS**", "(C) The Parties seek to implement a data processing agreement.", True),
        ("Recitals", "B. The Processor provides hosting services to the Controller.", True),
        # The recitals end at the next heading; a background section states facts the parties rely on.
        ("NOW IT IS HEREBY AGREED", "1. The Processor shall process Personal Data only on instructions.", False),
        ("Background", "The duration of the Processing corresponds to the duration of the Agreement.", False),
        ("1. Instructions", "The Processor shall act only on instructions, whereas the Controller decides.", False),
    ],
)
def test_a_recital_opens_with_whereas_or_stands_under_its_heading(heading: str, text: str, recital: bool) -> None:
    assert is_recital(heading, text) is recital


def test_a_recital_is_no_description_of_the_processing(tmp_path: Path) -> None:
    recital = (
        "WHEREAS, the Processor will host and analyse the Controller's customer relationship data, names and email "
        "addresses of its customers, in its analytics platform for the term of the Services Agreement;"
    )
    details = {"2.1": "", "2.2": "", "2.3": "", "2.4": "", "2.5": "", "This": f"{INTRODUCTION}\n\n{recital}"}
    for finding in edited_findings(tmp_path, details, "art28-3-processing-details"):  # lexical, and embeddings
        assert not any("WHEREAS" in e.excerpt for e in finding.evidence), finding.explanation


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        (
            "To the extent there is any conflict between the Standard Contractual Clauses and any other terms in "
            "this DPA, the provisions of the Standard Contractual Clauses will prevail.",
            "precedence",
        ),
        (
            "Where the Standard Contractual Clauses have been executed, they shall prevail over this DPA with "
            "regard to international transfers.",
            "precedence",
        ),
        (
            "The Processor's notification of a Personal Data Breach shall not be construed as an acknowledgement "
            "by the Processor of any fault or liability.",
            "reservation",
        ),
        (
            "Our obligation to report a breach is not and will not be construed as an admission of fault.",
            "reservation",
        ),
        (
            "Annex II: Technical and organisational measures to ensure the security of the data: shall be "
            "completed as set forth in Annex II above.",
            "cross-reference",
        ),
    ],
)
def test_precedence_reservations_and_form_fields_bind_no_processor(sentence: str, kind: str) -> None:
    assert non_binding(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        # A duty beside the precedence or the reservation still binds; so does making the other text apply.
        "The Processor shall process data only on instructions, which shall prevail in case of conflict.",
        "The Standard Contractual Clauses apply to such transfers and prevail over this DPA in case of conflict.",
        "The Processor shall notify the Controller of a breach; notification is not an admission of fault.",
    ],
)
def test_a_duty_beside_a_precedence_or_a_reservation_still_binds(sentence: str) -> None:
    assert non_binding(sentence) == ""


@pytest.mark.parametrize(
    ("requirement", "changes"),
    [
        (
            "chapter-v-transfers",
            {
                "11.1": "11.1 In the event that the standard contractual clauses have been executed between the "
                "parties, they shall prevail over this DPA solely with regard to international transfers of "
                "Personal Data."
            },
        ),
        (
            "art33-2-breach-notification",
            {
                "8.1": "8.1 The Processor's notification of or response to a Personal Data Breach shall not be "
                "construed as an acknowledgement by the Processor of any fault or liability."
            },
        ),
    ],
)
def test_what_is_left_of_a_cut_term_does_not_meet_it(tmp_path: Path, requirement: str, changes: dict[str, str]) -> None:
    left = normalise(next(iter(changes.values())).split(" ", 1)[1])
    for finding in edited_findings(tmp_path, changes, requirement):  # lexical, and embeddings when installed
        assert finding.status not in POSITIVE, finding.explanation
        assert not any(left in normalise(e.excerpt) for e in finding.evidence), finding.explanation


def test_a_clause_written_as_a_markdown_heading_line_is_read_and_its_negation_caught(tmp_path: Path) -> None:
    # 1.22.0: every "####" line was heading-like, so a document writing its clauses as such lines had none.
    duty = (
        "#### The Processor will assist the Controller in responding to requests from data subjects exercising "
        "their rights under the GDPR."
    )
    assert_found_and_quoted(tmp_path, {"7.1": duty}, "art28-3e-data-subject-rights")
    negated = {"7.1": duty.replace("will assist", "will not be required to assist")}
    for finding in edited_findings(tmp_path, negated, "art28-3e-data-subject-rights"):
        assert finding.status == STATUS.STATUS_CONTRADICTED, finding.explanation
        assert any("not be required to assist" in e.excerpt for e in finding.evidence), finding.explanation
