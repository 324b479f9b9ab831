"""A lead-in that negates its duty negates the items that complete it (analyzer 1.17.0).

"Hook0 does not undertake to, at the end of the Terms of Services:" followed by "1. return or destroy
...", "2. delete all existing copies ..." takes deletion and return away; so does "Within thirty (30)
days ..., Anthropic will not be required to:" over items numbered "H.1.a.", "H.1.b.". Before, such items
were read as clauses of their own: a list numbered afresh inside a numbered section was taken for top-level
clauses, an item numbered in lower case or in outline ("H.1.a.") was no item at all, and a negation's scope
ended at the lead-in's colon. Each item then met the requirement on its own (PRESENT), quoting a duty its
lead-in takes away.

The document is the EU DPA fixture with its deletion clause rewritten in those forms; no evaluation
document is quoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import STATUS, edited_findings, eu_primary, normalise

from assay.analysis.analyzers.contract_review.binding import binds_processor
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.segment import segment

DELETION = "art28-3g-deletion-return"

NUMBERED_AFRESH = (
    "9.1 The Controller remains responsible for the retention periods of the Personal Data.\n\n"
    "Without prejudice to applicable law, the Processor does not undertake to, at the end of the provision "
    "of the services:\n\n"
    "1. Return all the Personal Data to the Controller;\n\n"
    "2. Delete existing copies of the Personal Data."
)
NUMBERED_IN_LOWER_CASE = (
    "9.1 Without prejudice to applicable law, the Processor does not undertake to, at the end of the provision "
    "of the services:\n\n"
    "1. return all the Personal Data to the Controller;\n\n"
    "2. delete existing copies of the Personal Data."
)
BULLETS = (
    "9.1 Upon the end of the provision of the services, the Processor will not be required to:\n\n"
    "- Return all the Personal Data to the Controller, or\n\n"
    "- Delete existing copies of the Personal Data."
)
OUTLINE_NUMBERS = (
    "I.1. Within thirty days of the end of the provision of the services, the Processor will not be required "
    "to:\n\n"
    "I.1.a. return all the Personal Data to the Controller; and\n\n"
    "I.1.b. delete existing copies of the Personal Data."
)


@pytest.mark.parametrize(
    ("clause", "negation"),
    [
        (NUMBERED_AFRESH, "does not undertake to"),
        (NUMBERED_IN_LOWER_CASE, "does not undertake to"),
        (OUTLINE_NUMBERS, "will not be required"),
        (BULLETS, "will not be required"),
    ],
    ids=["list-numbered-afresh-in-a-section", "items-numbered-in-lower-case", "outline-numbers", "bullets"],
)
def test_items_under_a_negated_lead_in_are_contradicted_not_met(tmp_path: Path, clause: str, negation: str) -> None:
    for finding in edited_findings(tmp_path, {"9.1": clause}, DELETION):  # lexical, and embeddings when installed
        assert finding.status == STATUS.STATUS_CONTRADICTED, finding.explanation
        assert any(negation in normalise(e.excerpt) for e in finding.evidence), [e.excerpt for e in finding.evidence]


def test_an_item_completing_its_lead_in_is_read_with_its_negation() -> None:
    primary = eu_primary(DELETION)
    item = "the Processor does not undertake to, at the end of the services: 2. delete all existing copies of the data;"
    found = contradiction(item, primary.operative, primary.restricts)
    assert found is not None and found.negates and found.cue == "does not undertake to"
    # A bullet's mark is not in its item's text: the lead-in's colon alone joins them (1.25.0).
    bullet = "the Processor does not undertake to, at the end of the services: Delete all existing copies of the data."
    found = contradiction(bullet, primary.operative, primary.restricts)
    assert found is not None and found.negates and found.cue == "does not undertake to"
    # The same lead-in affirmed negates nothing; an item with a subject of its own stays apart from its lead-in.
    assert contradiction(item.replace("does not undertake", "undertakes"), primary.operative) is None
    transfers = eu_primary("chapter-v-transfers")
    completed = (
        "A transfer is made under the SCCs, completed as follows: (ii) in Clause 7, the docking clause does not apply;"
    )
    assert contradiction(completed, transfers.operative, transfers.restricts) is None


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(c.kind, c.number) for c in segment([extract_text(text)])]


def test_lists_numbered_afresh_in_lower_case_or_in_outline_are_items_of_their_lead_in() -> None:
    afresh = (
        "11. RETENTION AND DELETION\n\nAcme will, at the end of the services:\n\n1. Return the data;\n\n"
        "2. Delete the copies.\n\n12. AUDITS\n\n12.1 Acme allows audits."
    )
    assert _kinds(afresh) == [
        ("heading", "11"), ("paragraph", ""), ("list_item", "1"), ("list_item", "2"), ("heading", "12"),
        ("paragraph", "12.1"),
    ]  # fmt: skip
    # Under a numbered clause too; "3." after "2.1 ...:" is the next clause.
    under_a_clause = "9.1 Acme will:\n\n1. Return the data;\n\n2. Delete the copies.\n\n10. Acme allows audits."
    assert [kind for kind, _ in _kinds(under_a_clause)] == ["paragraph", "list_item", "list_item", "paragraph"]
    lower_case = "Acme will:\n\n1. return the data;\n\n2. delete the copies."
    assert [kind for kind, _ in _kinds(lower_case)] == ["paragraph", "list_item", "list_item"]
    outline = "H.1. Acme will:\n\nH.1.a. return the data; and\n\nH.1.b. delete the copies.\n\nH.2. Acme allows audits."
    assert _kinds(outline) == [
        ("paragraph", "H.1"), ("list_item", "H.1.a"), ("list_item", "H.1.b"), ("paragraph", "H.2"),
    ]  # fmt: skip


def test_the_party_a_lead_in_names_binds_the_item_that_completes_it() -> None:
    # "In respect of Personal Data, Acme: 2) shall notify ...": the item's modal binds the lead-in's party.
    lead_in = "In respect of Personal Data processed under the Agreement, the Processor:"
    item = "2) shall notify the Controller if, in its opinion, an instruction infringes the GDPR;"
    assert binds_processor(f"{lead_in} {item}", lead_in)
    assert not binds_processor(
        f"{lead_in.replace('Processor', 'Controller')} {item}", lead_in.replace("Processor", "Controller")
    )
