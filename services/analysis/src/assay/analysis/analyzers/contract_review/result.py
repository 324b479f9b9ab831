"""Result building: requirement matches and risky terms into the typed ContractReviewResult."""

from __future__ import annotations

from collections.abc import Sequence

from assay.analysis.analyzers.contract_review.document_type import DocumentType, DocumentTypeVerdict
from assay.analysis.analyzers.contract_review.language import Language
from assay.analysis.analyzers.contract_review.matching import RequirementMatch, Unit
from assay.analysis.analyzers.contract_review.playbook import Playbook, Severity
from assay.analysis.analyzers.contract_review.risks import RiskMatch
from assay.analysis.analyzers.contract_review.sentence_kind import clean_markup
from assay.v1 import contract_review_pb2 as pb

MAX_EXCERPT_CHARS = 400
MAX_EVIDENCE = 4

SEVERITY = {
    "low": pb.CONTRACT_SEVERITY_LOW,
    "medium": pb.CONTRACT_SEVERITY_MEDIUM,
    "high": pb.CONTRACT_SEVERITY_HIGH,
    "critical": pb.CONTRACT_SEVERITY_CRITICAL,
}
STATUS = {
    "present": pb.ContractRequirementFinding.STATUS_PRESENT,
    "weak": pb.ContractRequirementFinding.STATUS_WEAK,
    "missing": pb.ContractRequirementFinding.STATUS_MISSING,
    "contradicted": pb.ContractRequirementFinding.STATUS_CONTRADICTED,
    "by_reference": pb.ContractRequirementFinding.STATUS_BY_REFERENCE,
    "not_assessed": pb.ContractRequirementFinding.STATUS_NOT_ASSESSED,
}
DOCUMENT_TYPE: dict[DocumentType, pb.ContractDocumentType.ValueType] = {
    "processor_terms": pb.CONTRACT_DOCUMENT_TYPE_PROCESSOR_TERMS,
    "agreement_with_processor_terms": pb.CONTRACT_DOCUMENT_TYPE_AGREEMENT_WITH_PROCESSOR_TERMS,
    "agreement_incorporating_dpa": pb.CONTRACT_DOCUMENT_TYPE_AGREEMENT_INCORPORATING_DPA,
    "nda": pb.CONTRACT_DOCUMENT_TYPE_NDA,
    "privacy_notice": pb.CONTRACT_DOCUMENT_TYPE_PRIVACY_NOTICE,
    "other_contract": pb.CONTRACT_DOCUMENT_TYPE_OTHER_CONTRACT,
    "not_a_contract": pb.CONTRACT_DOCUMENT_TYPE_NOT_A_CONTRACT,
}
_RANK: dict[Severity, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


def excerpt(text: str) -> str:
    """Quote without markup, whitespace normalised, cut at a word boundary when long."""
    text = clean_markup(text)
    if len(text) <= MAX_EXCERPT_CHARS:
        return text
    cut = text.rfind(" ", 0, MAX_EXCERPT_CHARS)
    return text[: cut if cut > 0 else MAX_EXCERPT_CHARS]


def evidence(unit: Unit, score: float) -> pb.ContractEvidence:
    """A quoted excerpt with its clause, page or paragraph and file."""
    return pb.ContractEvidence(
        clause_id=unit.clause.clause_id,
        excerpt=excerpt(unit.text),
        page=unit.span.page,
        paragraph=unit.span.paragraph,
        file_id=unit.span.file_id,
        score=round(min(max(score, 0.0), 1.0), 3),
    )


def requirement_finding(match: RequirementMatch) -> pb.ContractRequirementFinding:
    """One requirement's typed finding."""
    req = match.requirement
    items = sorted(match.evidence, key=lambda e: -e.score)[:MAX_EVIDENCE]
    items.sort(key=lambda e: e.unit.clause.ordinal)
    return pb.ContractRequirementFinding(
        requirement_id=req.id,
        title=req.title,
        status=STATUS[match.status],
        severity=SEVERITY[req.severity],
        legal_reference=req.legal_reference,
        recommendation=req.recommendation,
        clause_ids=list(dict.fromkeys(e.unit.clause.clause_id for e in items)),
        evidence=[evidence(e.unit, e.score) for e in items],
        explanation=match.explanation,
        missing_elements=list(match.missing_elements),
        referenced_documents=list(match.referenced),
    )


def risk_finding(match: RiskMatch) -> pb.ContractRiskFinding:
    """One risky term's typed finding."""
    return pb.ContractRiskFinding(
        risk_id=match.rule.id,
        title=match.rule.title,
        severity=SEVERITY[match.rule.severity],
        legal_reference=match.rule.legal_reference,
        recommendation=match.rule.recommendation,
        evidence=evidence(match.unit, 1.0),
        explanation=match.explanation,
    )


def summary(
    playbook: Playbook,
    matches: Sequence[RequirementMatch],
    risks: Sequence[RiskMatch],
    clauses: int,
    pages: int,
    unit_name: str,
    document_type: DocumentTypeVerdict,
    language: Language,
) -> str:
    """One paragraph led by the document type: counts by status, the most serious gaps, the risky terms."""
    if not language.supported:
        return (
            f"Document type: {document_type.label} (confidence {document_type.confidence:.2f}). "
            f"Language: '{language.code}', which {playbook.title} ({playbook.id} v{playbook.version}) cannot read: "
            f"none of its {len(matches)} requirements was assessed (NOT_ASSESSED, not MISSING) and no risky term "
            f"was looked for in {pages} {unit_name}{'' if pages == 1 else 's'}."
        )
    present = sum(1 for m in matches if m.status == "present")
    weak = sum(1 for m in matches if m.status == "weak")
    missing = sum(1 for m in matches if m.status == "missing")
    contradicted = sum(1 for m in matches if m.status == "contradicted")
    referenced = sum(1 for m in matches if m.status == "by_reference")
    parts = [
        f"Document type: {document_type.label} (confidence {document_type.confidence:.2f}).",
        f"Checked {pages} {unit_name}{'' if pages == 1 else 's'} ({clauses} clauses) against "
        f"{playbook.title} ({playbook.id} v{playbook.version}): {present} of {len(matches)} "
        f"requirements present, {weak} weak, {missing} missing"
        + (f", {contradicted} contradicted" if contradicted else "")
        + (f", {referenced} left to a referenced document" if referenced else "")
        + "; "
        + f"{len(risks)} risky term{'' if len(risks) == 1 else 's'} flagged.",
    ]
    gaps = [m for m in matches if m.status != "present"]
    gaps.sort(key=lambda m: (-_RANK[m.requirement.severity], m.status not in ("missing", "contradicted")))
    if gaps:
        listed = "; ".join(f"{m.requirement.title} ({m.requirement.legal_reference}, {m.status})" for m in gaps[:3])
        parts.append(f"Most serious gaps: {listed}.")
    if risks:
        titles = ", ".join(dict.fromkeys(r.rule.title for r in risks))
        parts.append(f"Risky terms: {titles}.")
    if missing == len(matches):
        parts.append("No requirement was found: the document may not be this kind of contract.")
    return " ".join(parts)


def build_result(
    playbook: Playbook,
    matches: Sequence[RequirementMatch],
    risks: Sequence[RiskMatch],
    *,
    clauses: int,
    pages: int,
    unit_name: str,
    matcher: str,
    document_type: DocumentTypeVerdict,
    language: Language,
) -> pb.ContractReviewResult:
    """The full typed result."""
    issues = sum(1 for m in matches if m.status not in ("present", "not_assessed")) + len(risks)
    return pb.ContractReviewResult(
        summary=summary(playbook, matches, risks, clauses, pages, unit_name, document_type, language),
        clauses_found=clauses,
        issues_detected=issues,
        playbook_id=playbook.id,
        playbook_version=playbook.version,
        requirements=[requirement_finding(m) for m in matches],
        risks=[risk_finding(r) for r in risks],
        pages_processed=pages,
        matcher=matcher,
        document_type=DOCUMENT_TYPE[document_type.type],
        document_type_confidence=document_type.confidence,
        document_type_reason=document_type.reason,
        language=language.code,
        language_unsupported=not language.supported,
    )
