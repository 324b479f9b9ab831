"""A document's metadata, recorded at index time so AskQuestion can filter by it (DocumentFilter).

- ``format``: pdf, docx, text, markdown, html or csv;
- ``document_type``: for prose, contract_review's document-type rules (processor_terms, nda,
  privacy_notice, other_contract, not_a_contract, …);
- for a table a dependency job produced: ``analyzer``, ``source_job``, ``table`` (the artifact's
  name) and, from a financial_statements result, ``statement_type`` (income, balance_sheet, …) and
  ``entity``;
- the job's own ``IndexParams.metadata``, which wins over the above.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assay.analysis.analyzers.contract_review.document_type import classify
from assay.analysis.analyzers.index.search import MAX_METADATA_PAIRS, MAX_METADATA_VALUE_CHARS, METADATA_KEY
from assay.analysis.analyzers.index.units import DocumentUnits
from assay.analysis.plugin import AnalysisInputError
from assay.v1 import financial_statements_pb2, job_pb2

PROSE = ("pdf", "docx", "text", "markdown", "html")
CLASSIFIED_CHARS = 200_000
"""The document-type rules read the opening of a document at most this long."""


def check_given(metadata: Mapping[str, str]) -> dict[str, str]:
    """The job's ``IndexParams.metadata``, or ``PARAMS_INVALID``."""
    if len(metadata) > MAX_METADATA_PAIRS:
        raise AnalysisInputError("PARAMS_INVALID", f"metadata has more than {MAX_METADATA_PAIRS} pairs")
    for key, value in metadata.items():
        if not METADATA_KEY.fullmatch(key):
            raise AnalysisInputError("PARAMS_INVALID",
                                     f"metadata key {key[:70]!r} must be 1-64 characters of a-z, 0-9, '_' and '.'")
        if len(value) > MAX_METADATA_VALUE_CHARS:
            raise AnalysisInputError("PARAMS_INVALID",
                                     f"metadata[{key}] is longer than {MAX_METADATA_VALUE_CHARS} characters")
    return dict(metadata)


def _statement_type(value: int) -> str:
    name: str = financial_statements_pb2.StatementType.Name(value)  # type: ignore[arg-type]
    return name.removeprefix("STATEMENT_TYPE_").lower()


def from_dependency(file_id: str, dependencies: Sequence[job_pb2.Job]) -> dict[str, str]:
    """What the job that produced artifact ``file_id`` says about it (empty for an uploaded file)."""
    for job in dependencies:
        for artifact in job.artifacts:
            if artifact.file_id != file_id:
                continue
            found = {"analyzer": job.analyzer, "source_job": job.id, "table": artifact.name}
            if job.result.WhichOneof("analyzer_result") == "financial_statements":
                result = job.result.financial_statements
                if result.entity:
                    found["entity"] = result.entity[:MAX_METADATA_VALUE_CHARS]
                for statement in result.statements:
                    if statement.artifact_name == artifact.name:
                        found["statement_type"] = _statement_type(statement.type)
            return found
    return {}


def _prose(read: DocumentUnits) -> str:
    """The document's text with each section's heading before it (the title is often only a heading)."""
    lines: list[str] = []
    heading = ""
    size = 0
    for unit in read.units:
        if unit.heading != heading:
            heading = unit.heading
            lines.append(heading.split(" > ")[-1])
        lines.append(unit.text)
        size += len(unit.text)
        if size > CLASSIFIED_CHARS:
            break
    return "\n".join(lines)


def document_metadata(file_id: str, read: DocumentUnits, dependencies: Sequence[job_pb2.Job],
                      given: Mapping[str, str]) -> dict[str, str]:
    """The metadata recorded for one indexed document."""
    metadata: dict[str, str] = {"format": read.format}
    if read.format in PROSE and read.units:
        metadata["document_type"] = classify(_prose(read)).type
    metadata.update(from_dependency(file_id, dependencies))
    metadata.update(given)
    return metadata
