"""The contract_review analyzer: extract, segment, match the playbook, flag risks, build the result."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from opentelemetry import trace

from assay.analysis.analyzers.contract_review.document_type import classify
from assay.analysis.analyzers.contract_review.embedding import Embedder, default_embedder
from assay.analysis.analyzers.contract_review.extract import (
    ExtractedDocument,
    extract_file,
    extract_text,
)
from assay.analysis.analyzers.contract_review.language import identify, not_assessed
from assay.analysis.analyzers.contract_review.matching import Matcher, build_units, match_playbook
from assay.analysis.analyzers.contract_review.notice_scope import notice_findings
from assay.analysis.analyzers.contract_review.playbook import Playbook, select_playbook
from assay.analysis.analyzers.contract_review.references import apply_references
from assay.analysis.analyzers.contract_review.result import build_result
from assay.analysis.analyzers.contract_review.risks import find_risks
from assay.analysis.analyzers.contract_review.segment import segment
from assay.analysis.plugin import AnalysisInputError, RunContext
from assay.common.analyzers import CONTRACT_REVIEW
from assay.v1 import contract_review_pb2 as pb
from assay.v1 import job_pb2

_tracer = trace.get_tracer(__name__)
VERSION = CONTRACT_REVIEW.version
MAX_INPUT_BYTES = CONTRACT_REVIEW.max_input_bytes
MAX_TEXT_CHARS = CONTRACT_REVIEW.max_text_chars
CONTRACT_TYPES: Mapping[int, str] = {
    pb.CONTRACT_TYPE_VENDOR_DPA: "vendor_dpa",
    pb.CONTRACT_TYPE_MSA: "msa",
    pb.CONTRACT_TYPE_PRIVACY_POLICY: "privacy_policy",
}
JURISDICTIONS: Mapping[int, str] = {
    pb.JURISDICTION_EU: "EU",
    pb.JURISDICTION_UK: "UK",
    pb.JURISDICTION_US_CA: "US_CA",
    pb.JURISDICTION_US_CO: "US_CO",
}
EXTRACT_SHARE = 40
MATCH_START = 45
MATCH_END = 90


@dataclass(frozen=True)
class ReviewParams:
    """Validated parameters."""

    contract_type: str
    jurisdiction: str
    playbook: str


def parse_params(params: job_pb2.JobParams) -> ReviewParams:
    """Check the typed parameters; raise ``PARAMS_INVALID`` naming what to fix."""
    if params.WhichOneof("analyzer_params") != "contract_review":
        raise AnalysisInputError("PARAMS_INVALID", "contract_review needs JobParams.contract_review to be set")
    p = params.contract_review
    contract_type = CONTRACT_TYPES.get(p.contract_type)
    if contract_type is None:
        raise AnalysisInputError(
            "PARAMS_INVALID",
            "contract_type is required: one of vendor_dpa, msa, privacy_policy",
        )
    jurisdiction = JURISDICTIONS.get(p.jurisdiction)
    if jurisdiction is None:
        raise AnalysisInputError("PARAMS_INVALID", "jurisdiction is required: one of EU, UK, US_CA, US_CO")
    return ReviewParams(contract_type, jurisdiction, p.playbook.strip())


class ContractReviewAnalyzer:
    """Checks a contract against a playbook of legal requirements and flags risky terms."""

    spec = CONTRACT_REVIEW

    def __init__(
        self,
        embedder: Callable[[], Embedder | None] = default_embedder,
        playbooks: Mapping[str, Playbook] | None = None,
    ) -> None:
        self._embedder = embedder
        self._playbooks = playbooks
        self._matchers: dict[str, Matcher] = {}

    def _matcher(self) -> Matcher:
        embedder = self._embedder()
        key = embedder.name if embedder is not None else "lexical"
        matcher = self._matchers.get(key)
        if matcher is None:
            matcher = self._matchers[key] = Matcher(embedder)
        return matcher

    def _extract(self, ctx: RunContext) -> list[ExtractedDocument]:
        documents: list[ExtractedDocument] = []
        count = len(ctx.inputs) + (1 if ctx.text.strip() else 0)
        if count == 0:
            raise AnalysisInputError("INPUT_MISSING", "give a contract file or inline text")
        if ctx.text.strip():
            if len(ctx.text) > MAX_TEXT_CHARS:
                raise AnalysisInputError("INPUT_TOO_LARGE", f"inline text is limited to {MAX_TEXT_CHARS} characters")
            documents.append(extract_text(ctx.text, file_id="", display_name="inline text"))
        for index, item in enumerate(ctx.inputs):
            base = EXTRACT_SHARE * (index + len(documents)) / count

            def progress(done: int, total: int, base: float = base) -> None:
                ctx.check_cancelled()
                ctx.report_progress(int(base + EXTRACT_SHARE / count * done / max(total, 1)))

            documents.append(
                extract_file(
                    item.path,
                    file_id=item.file_id,
                    display_name=item.display_name,
                    media_type=item.media_type,
                    progress=progress,
                )
            )
        return documents

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        params = parse_params(ctx.params)
        playbook = select_playbook(params.contract_type, params.jurisdiction, params.playbook, self._playbooks)
        ctx.check_cancelled()
        documents = self._extract(ctx)
        clauses = segment(documents)
        document_type = classify("\n\n".join(b.text for d in documents for b in d.blocks))
        pages = sum(d.units for d in documents)
        unit_name = "page" if any(d.kind == "pdf" for d in documents) else "paragraph"
        ctx.report_progress(
            MATCH_START,
            job_pb2.JobResult(
                contract_review=pb.ContractReviewResult(
                    summary=f"Segmented {len(clauses)} clauses; checking {playbook.title}.",
                    clauses_found=len(clauses),
                    playbook_id=playbook.id,
                    playbook_version=playbook.version,
                    pages_processed=pages,
                )
            ),
        )
        with _tracer.start_as_current_span("contract_review.language") as span:
            language = identify([b.text for d in documents for b in d.blocks])
            span.set_attribute("assay.contract_review.language", language.code)
            span.set_attribute("assay.contract_review.language_unsupported", not language.supported)
        matcher = self._matcher()
        if language.supported:
            units = build_units(clauses, playbook)

            def on_batch(done: int, total: int) -> None:
                ctx.check_cancelled()
                ctx.report_progress(MATCH_START + (MATCH_END - MATCH_START) * done // max(total, 1))

            matches = apply_references(match_playbook(playbook, units, matcher, on_batch), units, document_type)
            matches = notice_findings(playbook, matches, document_type)
            ctx.check_cancelled()
            risks = find_risks(playbook, units)
        else:
            matches, risks = not_assessed(playbook, language), []
        for warning in (d for d in documents if d.pages_without_text):
            ctx.logger.warning(
                "contract_review: %s has pages without text: %s",
                warning.display_name,
                ", ".join(map(str, warning.pages_without_text)),
            )
        result = build_result(
            playbook,
            matches,
            risks,
            clauses=len(clauses),
            pages=pages,
            unit_name=unit_name,
            matcher=matcher.name,
            document_type=document_type,
            language=language,
        )
        ctx.report_progress(95)
        return job_pb2.JobResult(contract_review=result)
