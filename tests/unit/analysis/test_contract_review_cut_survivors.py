"""What is left after a requirement's clauses are cut must not hold it up (playbooks 1.14.0, analyzer 1.18.0):
data that should not be there, deleted once found, is no deletion at the end of the services; a term defined
in bold rather than quotes is still a definition.

Sentences written for these tests (the EU DPA fixture with clauses rewritten); none is taken from an
evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import edited_findings, normalise

from assay.analysis.analyzers.contract_review.sentence_kind import is_definition

DELETION = "art28-3g-deletion-return"


@pytest.mark.parametrize(
    "found",
    [
        "12.1 If the Processor becomes aware that it processes data of children, it will notify the Controller and "
        "take immediate steps to delete the data.",
        "12.1 Where the Processor accidentally detects the processing of special categories of Personal Data, it "
        "shall notify the Controller so that it can take corrective measures, including the deletion of such data.",
    ],
)
def test_data_deleted_once_found_is_no_deletion_at_the_end_of_the_services(tmp_path: Path, found: str) -> None:
    quoted = normalise(found.split(" ", 1)[1])
    for finding in edited_findings(tmp_path, {"12.1": found, "9.1": ""}, DELETION):  # lexical, and embeddings
        assert not any(quoted in normalise(e.excerpt) for e in finding.evidence), finding.explanation


@pytest.mark.parametrize(
    ("sentence", "definition"),
    [
        ("- **Data Subject(s)** means any information relating to an identified or identifiable person.", True),
        ("**Processing** means any operation or set of operations performed on Personal Data.", True),
        ("Sub-processor shall mean any processor engaged by the Processor.", True),
        # A sentence about what something entails, or a duty, is none.
        ("This means that the Processor shall delete the Personal Data.", False),
        ("The Processor shall delete the Personal Data at the end of the services.", False),
    ],
)
def test_a_term_defined_without_quotes_is_a_definition(sentence: str, definition: bool) -> None:
    assert is_definition(sentence) is definition
