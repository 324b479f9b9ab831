"""contract_review 1.19.0: a negated duty weighed against what is left of the requirement.

- A sentence read for several recognisers of one requirement is weighed with its strongest reading: a
  negation of "make available documentation ... or allow ... an audit" reads more like the audits than
  like the information, and outweighs the audits' conduct left beside it.
- The warning about an infringing instruction is named in its condition ("If the Processor believes that
  an instruction infringes ..., it shall inform"): that duty is read over the whole sentence, so its
  negation outweighs a neighbour that only touches it (the processing a law requires against the
  instructions).
- Playbooks 1.15.0: the German model's opening of the security section ("shall structure its internal
  organisation in such a way that it meets the special requirements of data protection"), handing over the
  data at the end as its return, and disclosing the information that demonstrates compliance; the
  standard contractual clauses' assistance "in particular to notify the competent supervisory authority and
  the affected data subjects" (holdout16).

Sentences written for these tests (the EU DPA fixture with clauses rewritten), after the readings the
originals of holdout12-15 showed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import (
    STATUS,
    carried_duties,
    edit,
    embedding_analyzer,
    eu_contradictions,
    findings,
    fixture_text,
    needs_model,
)

from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.analysis.analyzers.contract_review.weighing import prevailing
from assay.v1 import contract_review_pb2

AUDITS = "art28-3h-information-audits"
INFRINGING = "art28-3-infringing-instructions"
SECURITY = "art28-3c-security"
DELETION = "art28-3g-deletion-return"
ASSISTANCE = "art28-3f-assistance-arts-32-36"


def test_the_warning_about_an_infringing_instruction_is_carried_by_its_condition() -> None:
    assert INFRINGING in carried_duties(
        "If the Processor believes that an instruction violates applicable laws, it shall promptly notify the "
        "Controller."
    )
    # Another duty's condition still names no duty: read in the main clause.
    assert DELETION not in carried_duties("Upon deletion of the data, the Processor shall send an invoice.")


def test_the_warning_negated_in_its_main_clause_outweighs_a_neighbour_that_only_touches_it() -> None:
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    requirement = next(r for r in playbook.requirements if r.id == INFRINGING)
    negated = (
        "If the Processor believes that an instruction violates applicable laws, it shall not be required to "
        "promptly notify the Controller.",
        0.9,
        "not be required to",
    )
    neighbour = (
        "If Data are processed according to legal provisions and contrary to Controller instructions, the "
        "Processor must inform the Controller in advance of the processing operation.",
        0.7,
    )
    assert prevailing(requirement.core_duty, playbook.duties, [negated], [neighbour]) == [0]


@pytest.mark.parametrize(
    ("requirement", "sentence", "duty"),
    [
        (
            SECURITY,
            "The Processor shall structure its internal organisation in such a way that it meets the special "
            "requirements of data protection.",
            SECURITY,
        ),
        (
            DELETION,
            "After completion of the contractual work, the Processor shall hand over to the Controller all data "
            "and documents in its possession.",
            DELETION,
        ),
        # The standard contractual clauses' Clause 8.6(d): the authority and data subjects notified, Arts 33-34.
        (
            ASSISTANCE,
            "The Processor shall cooperate with and assist the Controller to enable the Controller to comply with its "
            "obligations under the GDPR, in particular to notify the competent supervisory authority and the affected "
            "data subjects.",
            ASSISTANCE,
        ),
        (
            AUDITS,
            "The Processor shall disclose to the Controller the information necessary to demonstrate compliance "
            "with the obligations laid down in this DPA.",
            AUDITS,
        ),
    ],
)
def test_the_duty_worded_by_the_german_model_the_sccs_or_as_disclosure_is_carried_and_its_negation_read(
    requirement: str, sentence: str, duty: str
) -> None:
    assert duty in carried_duties(sentence)
    negated = sentence.replace("shall ", "shall not be required to ", 1)
    assert any(found.negates for found in eu_contradictions(requirement, negated))


def _findings(tmp_path: Path, changes: dict[str, str]) -> dict[str, contract_review_pb2.ContractRequirementFinding]:
    return findings(embedding_analyzer(), tmp_path, edit(fixture_text("eu_dpa.txt"), changes))


@needs_model
@pytest.mark.parametrize(
    ("requirement", "changes", "negated"),
    [
        (
            AUDITS,
            {
                "10.1": "10.1 Upon the Controller's written request, the Processor shall not be required to either: "
                "(i) make available documentation demonstrating the Processor's compliance with this DPA, or (ii) "
                "allow the Controller or its independent auditor to conduct an audit.",
                "10.2": "10.2 Any such audit by or on behalf of the Controller shall be conducted at its own costs.",
            },
            "10.1 Upon the Controller's written request, the Processor shall not be required to either: (i) make "
            "available documentation demonstrating the Processor's compliance with this DPA, or (ii) allow the "
            "Controller or its independent auditor to conduct an audit.",
        ),
    ],
)
def test_a_negated_duty_outweighs_the_neighbour_left_beside_it(
    tmp_path: Path, requirement: str, changes: dict[str, str], negated: str
) -> None:
    finding = _findings(tmp_path, changes)[requirement]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert [e.excerpt for e in finding.evidence] == [negated]


@needs_model
def test_the_internal_organisation_negated_contradicts_security(tmp_path: Path) -> None:
    negated = (
        "5.1 The Processor shall not be required to structure its internal organisation in such a way that it "
        "meets the special requirements of data protection."
    )
    finding = _findings(tmp_path, {"5.1": negated})[SECURITY]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert [e.excerpt for e in finding.evidence] == [negated]
