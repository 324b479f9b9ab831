"""The consolidate analyzer: financial_statements results of several periods and filings as one consolidation."""

from __future__ import annotations

from opentelemetry import trace

from assay.analysis.analyzers.consolidate.artifacts import write_artifacts
from assay.analysis.analyzers.consolidate.build import DEFAULT_THRESHOLD, consolidate
from assay.analysis.analyzers.consolidate.filings import filings, mixed, source_message
from assay.analysis.analyzers.consolidate.spec import SPEC
from assay.analysis.plugin import AnalysisInputError, RunContext
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import job_pb2

_tracer = trace.get_tracer(__name__)


def params_of(params: job_pb2.JobParams) -> cpb.ConsolidateParams:
    which = params.WhichOneof("analyzer_params")
    if which not in (None, "consolidate"):
        raise AnalysisInputError("PARAMS_INVALID", f"consolidate takes JobParams.consolidate, not {which}")
    chosen = params.consolidate
    if not 0 <= chosen.match_threshold <= 100:
        raise AnalysisInputError("PARAMS_INVALID", f"match_threshold is {chosen.match_threshold}; give 0-100")
    return chosen


class ConsolidateAnalyzer:
    """Aligns the lines of several financial_statements results and reports changes, CAGR, trends and conflicts."""

    spec = SPEC

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        ctx.check_cancelled()
        params = params_of(ctx.params)
        if ctx.inputs or ctx.text:
            raise AnalysisInputError("INPUT_UNSUPPORTED", "consolidate reads only the results of the jobs in "
                                                          "inputs.jobs, no file or text")
        found = filings(ctx.dependencies)
        issues = mixed(found, params)
        with _tracer.start_as_current_span("consolidate.align") as span:
            statements, more = consolidate(found, params.match_threshold or DEFAULT_THRESHOLD)
            span.set_attribute("assay.consolidate.sources", len(found))
            span.set_attribute("assay.consolidate.lines", sum(len(s.lines) for s in statements))
        newest = found[-1]
        result = cpb.ConsolidateResult(
            entity=next((f.result.entity for f in reversed(found) if f.result.entity), ""),
            currency=newest.currency if len({f.currency for f in found if f.currency}) <= 1 else "",
            sources=[source_message(f) for f in found], statements=statements, issues=[*issues, *more])
        result.restated_values = sum(1 for i in result.issues if i.kind == cpb.CONSOLIDATION_ISSUE_KIND_RESTATED)
        result.unmatched_lines = sum(1 for i in result.issues if i.kind == cpb.CONSOLIDATION_ISSUE_KIND_UNMATCHED)
        ctx.check_cancelled()
        write_artifacts(result, ctx.artifact_path)
        ctx.report_progress(100)
        ctx.logger.info("consolidate: %d sources, %d statements, %d restated values, %d unmatched lines",
                        len(found), len(statements), result.restated_values, result.unmatched_lines)
        return job_pb2.JobResult(consolidate=result)
