"""The contract_review analyzer plugin: GDPR, UK GDPR, CCPA and CPA checks with quoted evidence.

Pipeline, one module each: :mod:`.extract` (PDF/DOCX/text with page or paragraph numbers),
:mod:`.segment` (clauses with stable ids), :mod:`.playbook` (requirements as data files in
``playbooks/``), :mod:`.embedding` / :mod:`.lexical` (semantic or lexical similarity),
:mod:`.matching` (present / weak / missing per requirement), :mod:`.risks` (risky terms) and
:mod:`.result` (the typed ``ContractReviewResult``).
"""

from assay.analysis.analyzers.contract_review.analyzer import (
    MAX_INPUT_BYTES,
    MAX_TEXT_CHARS,
    VERSION,
    ContractReviewAnalyzer,
    ReviewParams,
    parse_params,
)
from assay.analysis.analyzers.contract_review.embedding import (
    Embedder,
    OnnxMiniLM,
    default_embedder,
)
from assay.analysis.analyzers.contract_review.playbook import (
    Playbook,
    PlaybookError,
    Requirement,
    RiskRule,
    builtin_playbooks,
    parse_playbook,
    select_playbook,
)

ANALYZER = ContractReviewAnalyzer()
"""The registered plugin object."""

__all__ = [
    "ANALYZER",
    "MAX_INPUT_BYTES",
    "MAX_TEXT_CHARS",
    "VERSION",
    "ContractReviewAnalyzer",
    "Embedder",
    "OnnxMiniLM",
    "Playbook",
    "PlaybookError",
    "Requirement",
    "ReviewParams",
    "RiskRule",
    "builtin_playbooks",
    "default_embedder",
    "parse_params",
    "parse_playbook",
    "select_playbook",
]
