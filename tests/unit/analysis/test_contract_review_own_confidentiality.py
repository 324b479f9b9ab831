"""contract_review 1.11.0: the processor's own confidentiality of the data it processes.

Many processor terms bind the processor itself rather than its people ("The Processor shall keep the
Personal Data confidential", "ensures the confidentiality of the personal data", "undertakes to observe
confidentiality during processing"): those processing the data on its behalf are bound through it. Such a
sentence names Art. 28(3)(b)'s concept, so its negation is read as taking the duty away. A party's
Confidential Information (an NDA's or an MSA's subject) stays no part of it.

Sentences here were written for these tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, edit, embedding_analyzer, findings, fixture_text, needs_model

from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks

CONFIDENTIALITY = "art28-3b-confidentiality"


@pytest.mark.parametrize("playbook", ["eu-gdpr-processor-terms", "uk-gdpr-processor-terms"])
@pytest.mark.parametrize(
    ("sentence", "named"),
    [
        ("The Processor shall keep the Personal Data confidential.", True),
        ("The Processor does not ensure the confidentiality of the customer data it hosts.", True),
        ("The Processor undertakes to observe confidentiality during processing.", True),
        ("Each party shall keep the other party's Confidential Information confidential.", False),
        ("The Processor shall treat Customer Data as Confidential Information.", False),
        # Data kept after the end of processing, as a consequence of what precedes: retention, not Art. 28(3)(b).
        ("In such case, the Processor agrees to preserve the confidentiality of the retained personal data.", False),
        ("In that event, the Processor shall keep the personal data confidential.", False),
        ("Any personal data retained under clause 9 shall be kept confidential by the Processor.", False),
    ],
)
def test_the_processors_own_confidentiality_names_the_concept(playbook: str, sentence: str, named: bool) -> None:
    requirement = next(r for r in builtin_playbooks()[playbook].requirements if r.id == CONFIDENTIALITY)
    assert requirement.primary is not None
    assert all(p.search(sentence) for p in requirement.primary.operative) is named


@needs_model
@pytest.mark.parametrize(
    "clause",
    [
        "4.1 The Processor shall not be required to keep the Personal Data confidential.",
        "4.1 The Processor does not undertake to observe confidentiality during the processing.",
        "4.1 The Processor does not ensure the confidentiality of the Personal Data.",
    ],
)
def test_the_processors_own_confidentiality_negated_is_contradicted(tmp_path: Path, clause: str) -> None:
    text = edit(fixture_text("eu_dpa.txt"), {"4.1": clause})
    finding = findings(embedding_analyzer(), tmp_path, text)[CONFIDENTIALITY]
    assert finding.status == STATUS.STATUS_CONTRADICTED
    assert clause in [e.excerpt for e in finding.evidence]
