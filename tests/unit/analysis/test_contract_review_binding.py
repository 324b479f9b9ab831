"""Evidence of a processor's duty must bind the processor (issue 15, class D of the hold-out
misses): a field label with a value, a command whose recipient is the processor, a deeming
sentence and the controller's permission after an introductory clause bind no processor.

Sentences and documents here were written for these tests (the EU DPA fixture with clauses
rewritten); none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, lexical_findings

from assay.analysis.analyzers.contract_review.binding import binds_processor
from assay.analysis.analyzers.contract_review.obligation import controller_permission, non_binding

POSITIVE = {STATUS.STATUS_PRESENT, STATUS.STATUS_WEAK}


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("Backups: encrypted and retained for 30 days.", "description"),
        ("Access logs: kept for 12 months and reviewed every 90 days.", "description"),
        (
            "Use of the Service in accordance with the Agreement constitutes the Controller's documented instructions.",
            "deeming",
        ),
        (
            "The Processor may from time to time make changes to this DPA (including the Standard Contractual "
            "Clauses) that it reasonably considers are required by a change in the law.",
            "variation",
        ),
    ],
)
def test_sentences_that_bind_no_processor(sentence: str, kind: str) -> None:
    assert non_binding(sentence) == kind


@pytest.mark.parametrize(
    "sentence",
    [
        "Backups: the Processor encrypts them daily and retains them for 30 days.",
        "Backups: we encrypt them daily.",
        # A sentence broken before its object is no field label (1.25.0).
        "Transfers out of the EEA rely on: the Standard Contractual Clauses or an adequacy decision.",
        "the Processor will: Maintain appropriate organisational and technical security measures for 30 days.",
        "the Processor will: Notify the Customer of any Personal Data Breach within 72 hours.",
        "Notify the Controller of any Personal Data Breach within 24 hours.",
        "Assist the Controller with requests of data subjects.",
        "The Processor shall process the data only on documented instructions; use of the Service constitutes "
        "such instructions.",
    ],
)
def test_sentences_that_bind_the_processor_are_still_evidence(sentence: str) -> None:
    assert non_binding(sentence) == ""


@pytest.mark.parametrize(
    ("sentence", "permission"),
    [
        (
            "Where the Controller reasonably determines that more information is needed, the Controller may inspect.",
            True,
        ),
        ("Provide documented instructions to the Processor for all processing.", True),
        ("Notify the Processor of any change to the categories of data subjects.", True),
        ("Obtain information from the Processor.", True),
        ("Where the Controller asks, the Processor shall allow inspections.", False),
        ("Notify the Controller of any Personal Data Breach without undue delay.", False),
        ("Processing data in a secure way is important to us.", False),
        ("the Processor will: Provide information to the Controller on request.", False),
    ],
)
def test_the_controllers_permissions_and_commands_to_act_towards_the_processor(sentence: str, permission: bool) -> None:
    """Evidence only of the controller's rights (audits, objections), never of the processor's duties."""
    assert controller_permission(sentence) is permission


def test_a_field_label_with_a_value_is_not_evidence_of_security(tmp_path: Path) -> None:
    label = "5.1 Backups: encrypted with AES-256, access-controlled and retained for 30 days."
    assert _status(tmp_path, {}, "art28-3c-security") in POSITIVE
    assert _status(tmp_path, {"5.1": label}, "art28-3c-security") == STATUS.STATUS_MISSING


def test_a_command_to_the_controller_is_not_evidence_of_documented_instructions(tmp_path: Path) -> None:
    command = "3.1 Provide documented instructions to the Processor for all processing of Personal Data."
    changes = {"3.1": command, "3.2": ""}
    assert _status(tmp_path, changes, "art28-3a-documented-instructions") == STATUS.STATUS_MISSING


def _status(tmp_path: Path, changes: dict[str, str], requirement: str) -> int:
    return int(lexical_findings(tmp_path, changes)[requirement].status)


def test_what_the_controller_shall_do_is_no_evidence_of_the_processors_security(tmp_path: Path) -> None:
    """1.21.0: an item under "Customer shall:" read with its lead-in ("Customer shall: Implement appropriate
    technical and organizational measures") was a label's value listing duties, so it bound the processor and
    stood for its security once the processor's own clause was cut."""
    assert not binds_processor("Customer shall: Implement appropriate technical and organizational measures")
    assert binds_processor("The Processor shall: Implement appropriate technical and organizational measures")
    assert binds_processor("The measures include: Implementing and maintaining encrypted backups")
    changes = {"5.1": "5.1 The Controller shall:\n\n- Implement appropriate technical and organisational measures"}
    assert _status(tmp_path, changes, "art28-3c-security") == STATUS.STATUS_MISSING
