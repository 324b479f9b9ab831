"""The dependencies' financial_statements results as filings, oldest first, checked to belong together."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from assay.analysis.plugin import AnalysisInputError
from assay.v1 import consolidate_pb2 as cpb
from assay.v1 import financial_statements_pb2 as fs
from assay.v1 import job_pb2

_LEGAL_FORMS = re.compile(r"\b(?:the|inc|incorporated|corp|corporation|co|company|plc|ltd|limited|llc|lp|sa|ag|"
                          r"nv|se|gmbh|holdings?|group)\b")
ENTITY_SIMILARITY = 90.0
"""Least rapidfuzz ratio of two normalised entity names for them to be the same company."""


@dataclass(frozen=True)
class Filing:
    """One financial_statements result and where it came from; ``index`` is its place in ``sources``."""

    index: int
    job_id: str
    file_id: str
    result: fs.FinancialStatementsResult
    latest: str
    currency: str


def latest_end(result: fs.FinancialStatementsResult) -> str:
    """The newest period end (``YYYY-MM-DD``, else ``YYYY`` from a fiscal year) over every statement."""
    ends = [p.end_date or (f"{p.fiscal_year:04d}" if p.fiscal_year else "")
            for s in result.statements for p in s.periods]
    return max(ends, default="")


def _currency(result: fs.FinancialStatementsResult) -> str:
    stated = Counter(s.currency for s in result.statements if s.currency)
    return stated.most_common(1)[0][0] if stated else ""


def entity_key(name: str) -> str:
    """An entity name lower-cased without punctuation or legal forms ("Apple Inc." -> "apple")."""
    return " ".join(_LEGAL_FORMS.sub(" ", re.sub(r"[^\w ]+", " ", name.lower())).split())


def filings(dependencies: Sequence[job_pb2.Job]) -> list[Filing]:
    """The dependencies as filings, oldest first (newest period end, then the order of ``inputs.jobs``)."""
    if not dependencies:
        raise AnalysisInputError("INPUT_MISSING", "consolidate reads the results of financial_statements jobs: "
                                                  "name at least one in inputs.jobs")
    found = []
    for position, job in enumerate(dependencies):
        which = job.result.WhichOneof("analyzer_result")
        if which != "financial_statements":
            raise AnalysisInputError("DEPENDENCY_NOT_FINANCIAL_STATEMENTS",
                                     f"inputs.jobs[{position}] ({job.id}) is a {job.analyzer or which} job; "
                                     "consolidate reads only financial_statements results")
        result = job.result.financial_statements
        found.append((latest_end(result), position, job, result))
    found.sort(key=lambda entry: (entry[0], entry[1]))
    return [Filing(index, job.id, job.inputs.file_ids[0] if job.inputs.file_ids else "", result, latest,
                   _currency(result))
            for index, (latest, _, job, result) in enumerate(found)]


def mixed(filings: Sequence[Filing], params: cpb.ConsolidateParams) -> list[cpb.ConsolidationIssue]:
    """Refuse filings of different entities or currencies, unless the params allow it (then say so)."""
    issues = []
    named = [f for f in filings if entity_key(f.result.entity)]
    newest = named[-1] if named else None
    strangers = [f for f in named if newest is not None and
                 fuzz.ratio(entity_key(f.result.entity), entity_key(newest.result.entity)) < ENTITY_SIMILARITY]
    if strangers and newest is not None:
        listed = "; ".join(f"{f.job_id}: {f.result.entity!r}" for f in strangers)
        detail = f"the filings name different entities ({listed}; newest {newest.job_id}: {newest.result.entity!r})"
        if not params.allow_mixed_entities:
            raise AnalysisInputError("ENTITIES_DIFFER", detail + "; set allow_mixed_entities to consolidate anyway")
        issues.append(cpb.ConsolidationIssue(kind=cpb.CONSOLIDATION_ISSUE_KIND_MIXED,
                                             source_indexes=[newest.index, *(f.index for f in strangers)],
                                             detail=detail + "; consolidated because allow_mixed_entities is set"))
    currencies = sorted({f.currency for f in filings if f.currency})
    if len(currencies) > 1:
        listed = ", ".join(f"{f.job_id}: {f.currency}" for f in filings if f.currency)
        detail = f"the filings state different currencies ({listed}); nothing is converted"
        if not params.allow_mixed_currencies:
            raise AnalysisInputError("CURRENCIES_DIFFER", detail + "; set allow_mixed_currencies to consolidate "
                                                                   "anyway")
        issues.append(cpb.ConsolidationIssue(kind=cpb.CONSOLIDATION_ISSUE_KIND_MIXED,
                                             source_indexes=[f.index for f in reversed(filings) if f.currency],
                                             detail=detail + "; consolidated because allow_mixed_currencies is set"))
    return issues


def source_message(filing: Filing) -> cpb.ConsolidationSource:
    return cpb.ConsolidationSource(job_id=filing.job_id, file_id=filing.file_id, entity=filing.result.entity,
                                   currency=filing.currency, latest_period_end=filing.latest)
