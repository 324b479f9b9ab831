"""Which clause introduces a list item (analyzer 1.22.0): an item ending with a colon introduces the items under
it that are marked otherwise ("(a) Assist the Controller with:" and its bullets), a stray line that ends as
an item does ("Personal Data;", a wrapped item) does not take the place of the list's lead-in, and a clause
number in bold ("**4.1** Ensure ...") makes an item of the lead-in's list.

Sentences written for these tests (the EU DPA fixture with clauses rewritten); none is taken from an evaluation
document.
"""

from __future__ import annotations

from pathlib import Path

from fixtures.contracts.support import POSITIVE, STATUS, edited_findings, normalise

RIGHTS = "art28-3e-data-subject-rights"


def _quoted(tmp_path: Path, changes: dict[str, str], requirement: str, wanted: str) -> None:
    for finding in edited_findings(tmp_path, changes, requirement):  # lexical, and embeddings when installed
        assert finding.status in POSITIVE, finding.explanation
        assert any(wanted in normalise(e.excerpt) for e in finding.evidence), [e.excerpt for e in finding.evidence]


def test_the_items_of_an_item_ending_with_a_colon_are_read_with_it(tmp_path: Path) -> None:
    nested = (
        "7.1 The Processor commits to:\n\n"
        "(a) keep a record of all processing activities;\n\n"
        "(b) Assist the Controller with:\n\n"
        "- requests from data subjects exercising their rights, within a reasonable time;\n\n"
        "- impact assessments where they apply;\n\n"
        "(c) cooperate with the supervisory authority."
    )
    _quoted(tmp_path, {"7.1": nested, "7.2": ""}, RIGHTS, "requests from data subjects exercising their rights")


def test_a_negated_item_ending_with_a_colon_negates_the_items_under_it_and_is_quoted(tmp_path: Path) -> None:
    nested = (
        "7.1 The Processor commits to:\n\n"
        "(a) keep a record of all processing activities;\n\n"
        "(b) The Processor is not required to assist the Controller with:\n\n"
        "- requests from data subjects exercising their rights, within a reasonable time;\n\n"
        "- impact assessments where they apply;\n\n"
        "(c) cooperate with the supervisory authority."
    )
    for finding in edited_findings(tmp_path, {"7.1": nested, "7.2": ""}, RIGHTS):
        assert finding.status == STATUS.STATUS_CONTRADICTED, finding.explanation
        assert any("not required to assist the Controller with" in e.excerpt for e in finding.evidence), [
            e.excerpt for e in finding.evidence
        ]


def test_a_wrapped_items_last_line_does_not_replace_the_lists_lead_in(tmp_path: Path) -> None:
    wrapped = (
        "7.1 The Processor will assist the Controller in responding to:\n\n"
        "(a) enquiries from supervisory authorities about the\n\n"
        "Personal Data;\n\n"
        "(b) requests from data subjects exercising their rights under Chapter III of the GDPR."
    )
    _quoted(tmp_path, {"7.1": wrapped}, RIGHTS, "requests from data subjects exercising their rights")


def test_what_the_controller_shall_do_under_bold_clause_numbers_binds_no_processor(tmp_path: Path) -> None:
    controllers = (
        "12.1 This DPA is governed by the laws of Germany.\n\n"
        "The Controller shall:\n\n"
        "**12.2** Not give instructions that infringe the GDPR.\n\n"
        "**12.3** Inform the Processor without undue delay if, in the Controller's opinion, an instruction given to "
        "the Processor infringes the GDPR."
    )
    for finding in edited_findings(tmp_path, {"3.2": "", "12.1": controllers}, "art28-3-infringing-instructions"):
        assert finding.status not in POSITIVE, finding.explanation
