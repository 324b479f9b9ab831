"""contract_review 1.10.0: negated clauses whose negation was never read (the finding MISSING or
BY_REFERENCE instead of CONTRADICTED).

- a clause under a Markdown heading line ("### 6.2" / "The Processor shall not be required to ...",
  no blank line between) was read as part of the heading, so neither it nor its negation counted;
- a permission's "other ... than" compares the act with a whole relative clause ("in any other manner
  than what is agreed in this Agreement and on documented instructions"): the loophole is read to its
  end;
- a duty worded as a fact and negated ("does not maintain a list of authorised sub-processors") is read
  for its negation however little it reads like the playbook's wordings, when its main clause carries
  the requirement's own duty.

Sentences here were written for these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fixtures.contracts.support import STATUS, edit, embedding_analyzer, findings, fixture_text, needs_model

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.playbook import all_recognisers, builtin_playbooks
from assay.analysis.analyzers.contract_review.segment import segment

INSTRUCTIONS = "art28-3a-documented-instructions"
SECURITY = "art28-3c-security"
SUBPROCESSORS = "art28-2-4-subprocessors"


def _operative(requirement_id: str) -> tuple[Sequence[re.Pattern[str]], Sequence[re.Pattern[str]]]:
    requirement = next(r for r in builtin_playbooks()["eu-gdpr-processor-terms"].requirements if r.id == requirement_id)
    recogniser = requirement.primary or requirement.elements[0]
    return recogniser.operative, recogniser.restricts


def test_the_clause_under_a_markdown_heading_line_is_a_paragraph_of_its_own() -> None:
    text = (
        "## 6. Security\n### 6.1\nThe Supplier shall not be required to implement appropriate technical and "
        "organisational measures.\n\n### 6.2 Audit Rights\nThe Supplier will make available all information."
    )
    clauses = segment([extract_text(text)])
    assert [c.text for c in clauses if c.text.startswith("The Supplier")] == [
        "The Supplier shall not be required to implement appropriate technical and organisational measures.",
        "The Supplier will make available all information.",
    ]
    assert "### 6.1" in [c.text for c in clauses]


@needs_model
@pytest.mark.parametrize(
    ("clause", "status"),
    [
        (
            "The Processor shall not be required to implement appropriate technical and organisational measures to "
            "ensure a level of security appropriate to the risk of processing.",
            STATUS.STATUS_CONTRADICTED,
        ),
        (
            "The Processor shall implement appropriate technical and organisational measures to ensure a level of "
            "security appropriate to the risk of processing.",
            STATUS.STATUS_PRESENT,
        ),
    ],
)
def test_a_clause_under_its_numbered_heading_line_is_read(tmp_path: Path, clause: str, status: int) -> None:
    text = edit(fixture_text("eu_dpa.txt"), {"5.1": f"### 5.1\n{clause}"})
    finding = findings(embedding_analyzer(), tmp_path, text)[SECURITY]
    assert finding.status == status
    assert clause in [e.excerpt for e in finding.evidence]


def test_a_permission_compared_with_a_whole_relative_clause_is_a_loophole() -> None:
    sentence = (
        "The Supplier may process the Personal Data in any other manner than what is agreed in this Agreement and on "
        "documented instructions from the Customer."
    )
    found = contradiction(sentence, *_operative(INSTRUCTIONS))
    assert found is not None and found.cue.startswith("may process the Personal Data in any other manner than")


def test_a_comparison_that_stops_at_a_condition_is_no_loophole() -> None:
    sentence = (
        "The Supplier may process the Personal Data in other ways than those described in Annex 1 where the Customer "
        "so instructs in writing."
    )
    assert contradiction(sentence, *_operative(INSTRUCTIONS)) is None


def test_a_duty_worded_as_a_fact_and_negated_is_read_however_little_it_reads_like_the_wordings() -> None:
    # A negated fact-worded duty ("does not maintain a list of authorised sub-processors at <URL>") may
    # read less like the playbook's wordings than the 0.40 floor: it is read for its negation anyway,
    # when its main clause carries the requirement's own duty; a restriction worded as a fact is not.
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    text = (
        "1. Data processing agreement\n\n"
        "1.1 **Sub-processor List.** The Supplier does not maintain a list of authorised sub-processors at "
        "https://supplier.example/legal (or as otherwise notified).\n\n"
        "1.2 The Supplier does not engage any sub-processor without the prior written authorisation of the "
        "Customer.\n\n"
        "1.3 The Supplier does not store the personal data of data subjects outside the EU."
    )
    units = matching.build_units(segment([extract_text(text)]), playbook)
    recognisers = [r for req in playbook.requirements for r in all_recognisers(req)]
    requirement_of = np.asarray([i for i, req in enumerate(playbook.requirements) for _ in all_recognisers(req)])
    raw = np.full((len(units), len(recognisers)), 0.2, dtype=np.float32)  # far below the weak threshold
    context = np.asarray([u.in_context for u in units], dtype=bool)
    found = matching._own_duties_negated(units, raw, context, playbook, recognisers, requirement_of)
    subprocessors = requirement_of == next(i for i, r in enumerate(playbook.requirements) if r.id == SUBPROCESSORS)
    read = [units[row].match_text for row in np.flatnonzero(found[:, subprocessors].any(axis=1))]
    assert len(read) == 1 and "does not maintain a list" in read[0]


@needs_model
def test_a_restriction_worded_as_a_fact_stays_the_duty(tmp_path: Path) -> None:
    restriction = (
        "6.1 The Processor does not engage any Sub-processor without the prior written authorisation of the Controller."
    )
    text = edit(fixture_text("eu_dpa.txt"), {"6.1": restriction, "6.2": "", "6.3": "", "6.4": ""})
    finding = findings(embedding_analyzer(), tmp_path, text)[SUBPROCESSORS]
    assert finding.status != STATUS.STATUS_CONTRADICTED


AUDITS = "art28-3h-information-audits"


@needs_model
def test_a_mechanism_to_prove_compliance_taken_away_is_read(tmp_path: Path) -> None:
    # Proving compliance on request is the information duty (1.9.0); its operative concept now names it
    # too, so the duty taken away is read (it was MISSING: "prove" is not "proof").
    negated = (
        "10.1 The Processor shall not be required to set up a compliance mechanism to prove compliance with the GDPR "
        "on request of the Controller."
    )
    text = edit(fixture_text("eu_dpa.txt"), {"10.1": negated, "10.2": ""})
    finding = findings(embedding_analyzer(), tmp_path, text)[AUDITS]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert negated in [e.excerpt for e in finding.evidence]
