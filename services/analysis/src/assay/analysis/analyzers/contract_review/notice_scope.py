"""A privacy notice states no processor's duty (1.10.0).

A privacy notice (a privacy policy, or a statement whose author says it is no contract and explains
how it handles personal data) is the controller's own account to individuals of its processing
(GDPR Arts 13-14). Its "we" is the controller: "we will take appropriate measures to protect your
personal information", "we rely on the Standard Contractual Clauses for transfers from the EU", "we
collect and use personal data for the purposes of ..." describe the author's own practice and bind
no one to the other party. Checked against processor terms (a vendor DPA's playbook, whose
requirements are the processor's duties and the description of processing done on the
controller's behalf), such a text meets none of them, however much it reads like them: the
sentence-level checks read "we" as the processor, which in a notice it is not.

So when the document is typed a privacy notice (:mod:`.document_type`) from its title or because it
says it is no contract (confidence 0.7 or more), every finding of a processor-terms playbook that
it meets (PRESENT, WEAK) is MISSING, with an explanation that names the type. A text typed a
privacy notice only from its body (the rules' 0.6 verdicts) is left as read: an untitled extract of
processor terms must not lose its findings to a guess. CONTRADICTED, BY_REFERENCE and MISSING are
left as they are, and playbooks that bind no processor (the privacy-notice playbooks) are untouched.

Nothing here knows a particular document: the rule is what a privacy notice is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from assay.analysis.analyzers.contract_review.document_type import DocumentTypeVerdict
from assay.analysis.analyzers.contract_review.matching import RequirementMatch
from assay.analysis.analyzers.contract_review.playbook import Playbook

NOTICE_CONFIDENCE = 0.7
"""The least confidence of a privacy-notice verdict read from a title or the text's own statement;
below it (the body-only fallback) the findings stay as read."""
_MET = ("present", "weak")


def notice_findings(
    playbook: Playbook, matches: Sequence[RequirementMatch], document_type: DocumentTypeVerdict
) -> list[RequirementMatch]:
    """``matches`` with the processor duties a privacy notice seems to meet made MISSING."""
    if (
        not playbook.binds_processor
        or document_type.type != "privacy_notice"
        or document_type.confidence < NOTICE_CONFIDENCE
    ):
        return list(matches)
    note = (
        "The document is a privacy notice: it describes its author's own handling of personal data as a "
        "controller and binds no processor, so it meets no processor-terms requirement."
    )
    return [
        replace(
            match,
            status="missing",
            evidence=(),
            missing_elements=tuple(element.id for element in match.requirement.elements),
            explanation=note,
        )
        if match.status in _MET
        else match
        for match in matches
    ]
