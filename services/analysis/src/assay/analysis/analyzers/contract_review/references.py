"""BY_REFERENCE: a requirement the document does not meet itself but hands to another document.

Runs after matching, on requirements found MISSING only (a requirement met by operative text
stays PRESENT or WEAK, one negated stays CONTRADICTED). Such a requirement is BY_REFERENCE when

- a sentence in context names the requirement's topic (the first operative pattern of its
  primary recogniser, e.g. ``secur|technical and organisational|...`` for Art. 32 security) and
  refers to a named document with a reference cue ("the Standard Contractual Clauses are
  incorporated", "the measures set out in the Security Policy", "as described at https://...");
  or
- for the processing details (a description, no operative concept), a sentence in context points
  to the description in a named other document ("Annex I(B) on the Cover Page describes the
  subject matter ...", :func:`.sentence_kind.describes_elsewhere`; 1.8.0); or
- the document is an agreement that only incorporates a DPA by reference (``document_type``):
  then every processor requirement is left to that DPA, quoting the sentence that incorporates it.

The finding quotes the referring sentence and names what is referenced; its status tells the
reviewer to check the referenced document, which is not part of the review.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assay.analysis.analyzers.contract_review.document_type import DocumentTypeVerdict
from assay.analysis.analyzers.contract_review.matching import Evidence, RequirementMatch, Unit
from assay.analysis.analyzers.contract_review.sentence_kind import MAIN_AGREEMENT, describes_elsewhere

_DOCUMENT = re.compile(
    r"standard\s+contractual\s+clauses|\bSCCs?\b|"
    r"(?:information\s+)?(?:security|data\s+protection|privacy)\s+"
    r"(?:policy|policies|standards?|documentation|whitepaper|white\s+paper|addendum|exhibit|schedule|annex|overview)|"
    r"data\s+process(?:ing|or)\s+(?:addendum|agreement|terms)|\bDPA\b|trust\s+(?:center|centre|portal)|"
    r"https?://[^\s)\]]+|\b(?:annex|appendix|schedule|exhibit)\s+(?:[A-Z]\b|\d+|[IVX]+\b)",
    re.IGNORECASE,
)
_CUE = re.compile(
    r"set\s+(?:out|forth)\s+in|described\s+(?:in|at)|specified\s+in|contained\s+in|detailed\s+in|"
    r"in\s+accordance\s+with|pursuant\s+to|as\s+per\b|incorporat|available\s+(?:at|on|upon)|located\s+at|"
    r"forms?\s+(?:a\s+)?part|subject\s+to|governed\s+by|compl(?:y|ies)\s+with|refer(?:red)?\s+to|\bsee\b",
    re.IGNORECASE,
)
_SELF = re.compile(r"\b(?:this|these|the\s+present)\s+$", re.IGNORECASE)
"""``this DPA`` is the document itself, not a reference."""
_DPA = re.compile(r"data\s+process(?:ing|or)\s+(?:addendum|agreement|terms)|\bDPA\b", re.IGNORECASE)


def referenced_document(text: str) -> str:
    """The document a sentence refers to ("Standard Contractual Clauses"), or empty."""
    if _CUE.search(text) is None:
        return ""
    return _named_document(text)


def _named_document(text: str) -> str:
    """The first other document ``text`` names ("Annex I", not "this Annex"), or empty."""
    for found in _DOCUMENT.finditer(text):
        if _SELF.search(text, 0, found.start()) is None:
            return " ".join(found.group(0).split()).rstrip(".,;")
    return ""


_DETAILS = re.compile(
    r"subject[- ]matter|\bnature\s+(?:and\s+purposes?\s+)?of\s+(?:the\s+)?processing|"
    r"(?:purposes?|duration)\s+of\s+(?:the\s+)?processing|"
    r"(?:types?|categor(?:y|ies)|kinds?)\s+(?:and\s+categories\s+)?of\s+(?:personal\s+data|data\s+subjects?)|"
    r"(?:details|description)\s+of\s+(?:the\s+)?(?:processing|transfers?)|processing\s+details",
    re.IGNORECASE,
)
"""What the description of the processing consists of (Art. 28(3), first subparagraph)."""


def _description_reference(units: Sequence[Unit]) -> tuple[Unit, str] | None:
    """A pointer to the description of the processing in another document ("Annex I(B) on the
    Cover Page describes the subject matter ...", "... the categories of personal data and the
    purposes set out in Appendix 1"): the processing details are left to it (1.8.0). A pointer to
    anything else ("the measures listed in Annex 2") is not."""
    for unit in units:
        if unit.in_context and _DETAILS.search(unit.match_text) and describes_elsewhere(unit.match_text):
            name = _named_document(unit.match_text) or _main_agreement(unit.match_text)
            if name:
                return unit, name
    return None


_MAIN_AGREEMENT = re.compile(MAIN_AGREEMENT, re.IGNORECASE)


def _main_agreement(text: str) -> str:
    """The agreement the DPA supplements, where the description is left to it ("The subject matter and
    duration of the processing ... are set out in the Principal Agreement", 1.27.0)."""
    found = _MAIN_AGREEMENT.search(text)
    return " ".join(found.group(0).split()) if found else ""


def _topic_reference(match: RequirementMatch, units: Sequence[Unit]) -> tuple[Unit, str] | None:
    primary = match.requirement.primary
    if primary is None and match.requirement.elements_together:
        return _description_reference(units)
    if primary is None or not primary.operative:
        return None
    topic = primary.operative[0]
    for unit in units:
        if unit.in_context and topic.search(unit.concept_text):
            name = referenced_document(unit.match_text)
            if name:
                return unit, name
    return None


def _dpa_reference(units: Sequence[Unit]) -> tuple[Unit, str] | None:
    """The first sentence incorporating a DPA; operative sentences before definitions."""
    for unit in sorted(units, key=lambda u: not u.in_context):
        name = referenced_document(unit.match_text)
        if _DPA.fullmatch(name):
            return unit, name
    return None


def apply_references(
    matches: Sequence[RequirementMatch],
    units: Sequence[Unit],
    document_type: DocumentTypeVerdict,
) -> list[RequirementMatch]:
    """``matches`` with MISSING requirements that the document hands to another one BY_REFERENCE."""
    incorporated = _dpa_reference(units) if document_type.type == "agreement_incorporating_dpa" else None
    out: list[RequirementMatch] = []
    for match in matches:
        found = _topic_reference(match, units) if match.status == "missing" else None
        if found is None and match.status == "missing":
            found = incorporated
        if found is None:
            out.append(match)
            continue
        unit, name = found
        note = (
            f"Not met in this document; {unit.clause.clause_id} refers to {name}, "
            "which must be checked for this requirement."
        )
        out.append(
            replace(
                match,
                status="by_reference",
                evidence=(Evidence(unit, 1.0, match.requirement.id),),
                explanation=note,
                referenced=(name,),
            )
        )
    return out
