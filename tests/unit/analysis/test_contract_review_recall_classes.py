"""Requirements present but not found, by class (analyzer 1.9.0: recall).

Each case rewrites clauses of the EU DPA fixture in ordinary drafting that 1.8.0 did not find or did
not quote: (G) the requirement's wording unknown to the playbook: a breach named in Art. 4(12)'s own
words ("a breach of personal data security ... must be notified"), security as the direct object of
the duty ("maintain information security"); (R) a sentence a gate rejected: a Markdown heading line
with no blank line after it glued to the clause it heads (read as a heading), and the destination of
a transfer described by a negated relative clause ("a country that does not ensure an adequate
level of protection") read as a negation of the transfer term. The sentences were written for these
tests; none is taken from an evaluation document.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures.contracts.support import (
    POSITIVE,
    assert_found_and_quoted,
    assert_not_quoted,
    eu_primary,
    lexical_findings,
    normalise,
)

from assay.analysis.analyzers.contract_review import matching
from assay.analysis.analyzers.contract_review.extract import extract_text
from assay.analysis.analyzers.contract_review.negation import contradiction
from assay.analysis.analyzers.contract_review.obligation import non_binding
from assay.analysis.analyzers.contract_review.playbook import builtin_playbooks
from assay.analysis.analyzers.contract_review.segment import segment

CASES = {
    "breach notice, 'a breach of personal data security ... must be notified'": (
        "art33-2-breach-notification",
        {
            "8.1": "8.1 Where a breach of personal data security is suspected, or events indicate one, this must be "
            "notified to the Controller at once."
        },
    ),
    "security, 'maintain information security'": (
        "art28-3c-security",
        {
            "5.1": "5.1 The Processor shall make without delay every change needed to maintain information security "
            "in its hosting environment."
        },
    ),
    "data-subject assistance, 'data-subject requests' hyphenated": (
        "art28-3e-data-subject-rights",
        {
            "7.1": "7.1 The Processor will help the Controller answer data-subject requests within the "
            "time the GDPR allows."
        },
    ),
    "data-subject assistance, notice to the controller of a request received": (
        "art28-3e-data-subject-rights",
        {
            "7.1": "7.1 The Processor shall tell the Controller without delay, where the law allows, on receiving a "
            "complaint or request from a Data Subject about the processing."
        },
    ),
    "transfers, the destination described by a negated relative clause": (
        "chapter-v-transfers",
        {
            "11.1": "11.1 Where the Processor stores Personal Data in a country that does not ensure an adequate "
            "level of protection, the Processor shall do so under the standard contractual clauses adopted by the "
            "Commission."
        },
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_requirement_is_found_in_this_wording_and_quoted(tmp_path: Path, case: str) -> None:
    requirement, changes = CASES[case]
    assert_found_and_quoted(tmp_path, changes, requirement)


@pytest.mark.parametrize(
    "changes,requirement",
    [
        # compliance with "data security" in general, after another duty's object, is no Art. 32 duty
        (
            {
                "5.1": "5.1 The obligation of the Processor to ensure compliance with data protection and data "
                "security remains unaffected by the engagement of sub-processors."
            },
            "art28-3c-security",
        ),
        # a data security incident to be maintained in a register is breach handling, not security
        (
            {"5.1": "5.1 The Processor shall maintain data security incident records for three years."},
            "art28-3c-security",
        ),
        # notice of a request from an authority is no data-subject assistance
        (
            {
                "7.1": "7.1 The Processor shall notify the Controller of any request from a supervisory authority "
                "relating to the processing."
            },
            "art28-3e-data-subject-rights",
        ),
        # a breach of personal data protection law is an infringement, not a personal data breach
        (
            {
                "8.1": "8.1 Any breach of personal data protection law by a party shall be reported to the other party "
                "within thirty days."
            },
            "art33-2-breach-notification",
        ),
    ],
)
def test_neighbouring_wordings_stay_unmet(tmp_path: Path, changes: dict[str, str], requirement: str) -> None:
    assert_not_quoted(tmp_path, changes, requirement)


TRANSFERS = "chapter-v-transfers"


@pytest.mark.parametrize(
    "sentence,negated",
    [
        # the destination described: no negation of the transfer term
        (
            "If the Processor transfers Personal Data to a territory for which the European Commission has not "
            "issued an adequacy decision, the Processor will put appropriate safeguards in place for the transfer.",
            False,
        ),
        (
            "Transfers to third countries which do not provide an adequate level of protection take place only "
            "under the standard contractual clauses.",
            False,
        ),
        (
            "Where data is hosted in a jurisdiction whose laws do not ensure adequate protection, the Supplier "
            "shall transfer it only under binding corporate rules.",
            False,
        ),
        # the transfer term itself negated, with or without such a destination: still a negation
        (
            "The Processor shall not be required to use the standard contractual clauses for transfers to a country "
            "that lacks an adequacy decision.",
            True,
        ),
        ("Transfers to third countries do not require standard contractual clauses.", True),
    ],
)
def test_a_destination_described_by_a_negation_is_no_negation_of_the_transfer_term(
    sentence: str, negated: bool
) -> None:
    primary = eu_primary(TRANSFERS)
    found = contradiction(sentence, primary.operative, primary.restricts)
    assert (found is not None) is negated, found


MARKDOWN = """# Data Processing Agreement

This Data Processing Agreement is entered into between Northwind Retail GmbH ("Controller") and
Cloudlane Analytics Ltd ("Processor") for the processing of personal data.

## 4. Data Use
### 4.1 Processing of Client Data
The Processor will process Personal Data only on the documented instructions of the Controller.
### 4.2 Aggregated Data
The Processor may create aggregated statistics that identify no data subject.
## 5. Assessments The Processor shall assist the Controller with its data protection impact assessments.
"""


def test_a_markdown_heading_line_without_a_blank_line_after_it_is_a_heading_of_its_own() -> None:
    clauses = segment([extract_text(MARKDOWN, file_id="f1", display_name="dpa.md")])
    headings = [c.text for c in clauses if c.kind == "heading"]
    assert "### 4.1 Processing of Client Data" in headings
    assert "### 4.2 Aggregated Data" in headings
    body = next(c for c in clauses if "documented instructions" in c.text)
    assert body.text.startswith("The Processor will process Personal Data only on the documented instructions")
    assert body.heading.endswith("Processing of Client Data")
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    units = matching.build_units(clauses, playbook)
    unit = next(u for u in units if "documented instructions" in u.text)
    assert unit.in_context
    # a heading line that runs into its clause's text reads as no title: it stays the clause
    clause = next(c for c in clauses if "impact assessments" in c.text)
    assert clause.kind == "paragraph"
    assert next(u for u in units if "impact assessments" in u.text).in_context


def test_the_clause_under_a_markdown_heading_is_quoted(tmp_path: Path) -> None:
    changes = {
        "3.1": "## Instructions of the Controller\n### 3.1 Processing on Instructions\nThe Processor shall process "
        "Personal Data only on the documented instructions of the Controller, including with regard to transfers to "
        "a third country."
    }
    finding = lexical_findings(tmp_path, changes)["art28-3a-documented-instructions"]
    assert finding.status in POSITIVE, finding.explanation
    assert any(e.excerpt.startswith("The Processor shall process Personal Data only") for e in finding.evidence), [
        e.excerpt for e in finding.evidence
    ]


def test_a_later_limb_of_a_run_in_list_completes_the_words_before_its_first(tmp_path: Path) -> None:
    changes = {
        "3.2": "3.2 The Processor shall notify the Controller at once if it finds that (a) it can no longer meet its "
        "obligations under this DPA; (b) a sub-processor has breached this DPA; or (c) in its opinion, an "
        "instruction of the Controller infringes the GDPR."
    }
    finding = lexical_findings(tmp_path, changes)["art28-3-infringing-instructions"]
    assert finding.status in POSITIVE, finding.explanation
    assert any("an instruction of the Controller infringes the GDPR" in normalise(e.excerpt) for e in finding.evidence)


def test_a_later_limb_is_embedded_and_read_by_the_head_with_the_words_it_completes() -> None:
    text = (
        "2.4 Assistance. Taking into account the nature of processing, the Processor will assist the Controller "
        "with: (a) data-subject requests; (b) security, breach notifications, DPIAs and consultations; and (c) "
        "demonstrating compliance with Article 28.\n"
    )
    playbook = builtin_playbooks()["eu-gdpr-processor-terms"]
    units = matching.build_units(segment([extract_text(text, file_id="t")]), playbook)
    limb = next(u for u in units if u.match_text.startswith("(b) security"))
    assert limb.semantic_text == (
        "Taking into account the nature of processing, the Processor will assist the Controller with: (b) security, "
        "breach notifications, DPIAs and consultations; and (c) demonstrating compliance with Article 28."
    )


def test_only_a_first_limb_closed_by_a_semicolon_opens_a_run_in_list() -> None:
    lead = "The Processor shall inform the Controller if it finds that"
    assert matching._run_in_lead(f"{lead} (a) it can no longer comply with this DPA;") == lead
    assert matching._run_in_lead(f"{lead} (a) it can no longer comply with this DPA; or") == lead
    assert matching._run_in_lead(f"{lead} (a) it can no longer comply with this DPA.") == ""
    assert matching._run_in_lead("The Processor shall keep records of processing;") == ""


def test_business_secrets_are_no_controller_before_the_processors_permission() -> None:
    # a permission of the processor binds it to nothing, whatever it protects (no security duty)
    said = (
        "To the extent necessary to protect business secrets or other confidential information, including personal "
        "data, the Processor may redact the text of its agreement with its sub-processor before sharing a copy."
    )
    assert non_binding(said) == "processor permission"
    # the CCPA's business is the controller's side: its permission is not the processor's
    assert non_binding("The Business may ask the Service Provider for a copy of its security policy.") == ""


def test_a_negation_reaches_over_a_clause_label_inside_the_sentence() -> None:
    primary = eu_primary("art28-3e-data-subject-rights")
    said = (
        "When it processes Personal Data for the Services, the Processor will not be required to 3.2. notify the "
        "Controller upon receiving a request from a Data Subject."
    )
    found = contradiction(said, primary.operative, primary.restricts)
    assert found is not None and found.cue == "not be required to"


def test_of_sentences_tied_on_a_pattern_the_one_carrying_the_duty_is_quoted(tmp_path: Path) -> None:
    # both name the measures by a pattern; the first only gives access to their description
    changes = {
        "5.1": "5.1 The Processor shall give the Controller access to its written technical and organisational "
        "security measures.\n\n5.2 The Processor shall implement appropriate technical and organisational "
        "measures to ensure a level of security appropriate to the risk."
    }
    finding = lexical_findings(tmp_path, changes)["art28-3c-security"]
    assert finding.status in POSITIVE, finding.explanation
    excerpts = [normalise(e.excerpt) for e in finding.evidence]
    assert any("shall implement appropriate technical" in e for e in excerpts), excerpts
    assert not any("give the Controller access" in e for e in excerpts), excerpts
