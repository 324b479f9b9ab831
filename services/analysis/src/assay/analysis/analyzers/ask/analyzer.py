"""The ask analyzer: every question of a CSV answered from a collection as AskQuestion answers it
(the same statement, fusion, highlighting and "no answer" threshold), written to ``answers.csv``.

Runs in a worker child: the questions are embedded in batches (the index's single-threaded
session, spread over the cores), then searched one by one on one synchronous connection scoped to
the job's tenant. A row whose question is empty is skipped; one whose question or filter is
unusable gets its ``error`` cell and no answer, and the others go on.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import Connection, create_engine, text

from assay.analysis.analyzers.ask.questions import QuestionRow, read_questions
from assay.analysis.analyzers.contract_review.embedding import Embedder
from assay.analysis.analyzers.contract_review.extract import decode_text
from assay.analysis.analyzers.index import search
from assay.analysis.analyzers.index.answer import answer
from assay.analysis.analyzers.index.embedding import embed_passages, index_embedder, vector_literal
from assay.analysis.config import AnalysisSettings
from assay.analysis.plugin import AnalysisInputError, RunContext
from assay.common.analyzers import ASK
from assay.common.csv_cells import SpreadsheetSafeWriter
from assay.common.errors import FieldViolation
from assay.v1 import index_pb2 as pb
from assay.v1 import job_pb2

ARTIFACT = "answers.csv"
COLUMNS = ("row", "question", "answered", "answer", "score", "similarity", "file_id", "display_name", "page",
           "paragraph", "start_offset", "end_offset", "passage", "indexing", "error")


def _params(params: job_pb2.JobParams) -> tuple[uuid.UUID, str, pb.DocumentFilter]:
    which = params.WhichOneof("analyzer_params")
    if which != "ask":
        raise AnalysisInputError("PARAMS_INVALID", f"ask takes JobParams.ask, not {which}")
    ask = params.ask
    try:
        collection = uuid.UUID(ask.collection_id)
    except ValueError:
        raise AnalysisInputError("PARAMS_INVALID", "collection_id is not a collection id (a UUID)") from None
    violations = search.selection_violations([], ask.filter)
    if violations:
        raise AnalysisInputError("PARAMS_INVALID", "; ".join(f"{v.field}: {v.description}" for v in violations))
    return collection, ask.question_column or "question", ask.filter


def _row_error(row: QuestionRow) -> str:
    if row.error:
        return row.error
    if len(row.question) > search.MAX_QUESTION_CHARS:
        return f"the question is longer than {search.MAX_QUESTION_CHARS} characters"
    violations: list[FieldViolation] = search.selection_violations(row.file_ids, row.filter)
    return "; ".join(f"{v.field}: {v.description}" for v in violations)


class AskAnalyzer:
    """Answers a CSV of questions from a collection (see the module docstring)."""

    spec = ASK

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        collection, column, base = _params(ctx.params)
        if len(ctx.inputs) != 1:
            raise AnalysisInputError("INPUT_MISSING", "ask takes one CSV file of questions")
        rows = list(read_questions(decode_text(Path(ctx.inputs[0].path).read_bytes()), column, base))
        model = index_embedder()
        if model is None:
            raise RuntimeError("the sentence-embedding model is not available (ASSAY_CONTRACT_REVIEW_EMBEDDINGS=off?)")
        settings = AnalysisSettings()
        result = pb.AskResult(collection_id=str(collection), artifact_name=ARTIFACT)
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            with engine.connect() as conn:
                self._check_collection(conn, ctx.tenant_id, collection)  # before any question is embedded
                vector_of = self._embed(ctx, model, rows)
                with ctx.artifact_path(ARTIFACT, "text/csv").open("w", newline="", encoding="utf-8") as out:
                    writer = SpreadsheetSafeWriter(out)
                    writer.write_generated_header(COLUMNS)
                    for done, row in enumerate(rows, start=1):
                        ctx.check_cancelled()
                        if not row.question:
                            result.skipped += 1
                            continue
                        result.questions += 1
                        vector = vector_of.get(row.number)
                        if vector is None:
                            writer.writerow([row.number, row.question, "false", *[""] * 10, "", _row_error(row)])
                            continue
                        response = self._ask(conn, ctx.tenant_id, collection, row, vector, settings)
                        result.answered += response.answered
                        writer.writerow(_cells(row, response))
                        if done % 20 == 0:
                            ctx.report_progress(30 + 70 * done // len(rows))
        finally:
            engine.dispose()
        return job_pb2.JobResult(ask=result)

    def _embed(self, ctx: RunContext, model: Embedder, rows: list[QuestionRow]) -> dict[int, str]:
        """The vector of every usable row's question, by row number (batched, spread over the cores)."""
        asked = [r for r in rows if r.question and not _row_error(r)]

        def embedded(done: int, total: int) -> None:
            ctx.check_cancelled()
            ctx.report_progress(30 * done // max(total, 1))

        vectors = embed_passages(model, [r.question for r in asked], embedded)
        return {r.number: vector_literal(v) for r, v in zip(asked, vectors, strict=True)}

    def _check_collection(self, conn: Connection, tenant: str, collection: uuid.UUID) -> None:
        """Refuse an unknown (or another tenant's) collection before any row is written."""
        with conn.begin():
            conn.execute(search.SETUP, {"tenant": tenant, "ef": "40"})
            if conn.execute(text('SELECT 1 FROM "index".collections WHERE id = :id'),
                            {"id": collection}).one_or_none() is None:
                raise AnalysisInputError("COLLECTION_NOT_FOUND", f"collection {collection} does not exist")

    def _ask(self, conn: Connection, tenant: str, collection: uuid.UUID, row: QuestionRow, vector: str,
             settings: AnalysisSettings) -> pb.AskQuestionResponse:
        chosen = search.selection(row.file_ids, row.filter)
        setup, params = search.parameters(tenant, collection, row.question, vector, chosen, search.CANDIDATES,
                                          settings.index_ef_search)
        with conn.begin():
            conn.execute(search.SETUP, setup)
            found = search.outcome(conn.execute(search.statement(chosen), params).all())
        if found is None:  # deleted while the job ran
            raise AnalysisInputError("COLLECTION_NOT_FOUND", f"collection {collection} was deleted")
        return answer(row.question, found, 1, settings.index_min_similarity)


def _cells(row: QuestionRow, response: pb.AskQuestionResponse) -> list[object]:
    """The CSV row of an answer: the best passage's citation (the nearest one when not answered)."""
    if not response.passages:
        return [row.number, row.question, "false", "", "", "", "", "", "", "", "", "", "",
                str(response.indexing).lower(), ""]
    best = response.passages[0]
    c = best.citation
    return [row.number, row.question, str(response.answered).lower(), response.answer, f"{best.score:.4f}",
            f"{best.similarity:.4f}", c.file_id, c.display_name, c.page, c.paragraph, c.start_offset, c.end_offset,
            best.text, str(response.indexing).lower(), ""]
