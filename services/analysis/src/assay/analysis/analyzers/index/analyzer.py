"""The index analyzer: each input file (and each CSV table of the dependency jobs) into chunks,
embedded in batches, written to the collection in place of the file's earlier chunks."""

from __future__ import annotations

import uuid

from opentelemetry import trace

from assay.analysis.analyzers.contract_review.embedding import Embedder
from assay.analysis.analyzers.index.chunks import embedding_texts, pack
from assay.analysis.analyzers.index.embedding import embed_reusing, index_embedder
from assay.analysis.analyzers.index.metadata import check_given, document_metadata
from assay.analysis.analyzers.index.units import read_units
from assay.analysis.analyzers.index.writer import IndexWriter
from assay.analysis.plugin import AnalysisInputError, InputDocument, RunContext
from assay.common.analyzers import INDEX
from assay.common.config import DatabaseSettings
from assay.v1 import index_pb2, job_pb2


def parse_collection_id(params: job_pb2.JobParams) -> uuid.UUID:
    which = params.WhichOneof("analyzer_params")
    if which != "index":
        raise AnalysisInputError("PARAMS_INVALID", f"index takes JobParams.index, not {which}")
    try:
        return uuid.UUID(params.index.collection_id)
    except ValueError:
        raise AnalysisInputError("PARAMS_INVALID", "collection_id is not a collection id (a UUID)") from None


def documents_to_index(ctx: RunContext) -> list[InputDocument]:
    """The job's files, then the CSV tables its dependencies produced."""
    tables = [d for d in ctx.dependency_files
              if d.media_type == "text/csv" or d.display_name.lower().endswith(".csv")]
    found = [*ctx.inputs, *tables]
    if ctx.text:
        raise AnalysisInputError("INPUT_UNSUPPORTED", "index adds files to a collection; upload the text as a file")
    if not found:
        raise AnalysisInputError("INPUT_MISSING", "index needs files, or dependency jobs that produced CSV tables")
    return found


def embedder() -> Embedder:
    model = index_embedder()
    if model is None:  # the model ships with the package: its absence is a broken installation
        raise RuntimeError("the sentence-embedding model is not available (ASSAY_CONTRACT_REVIEW_EMBEDDINGS=off?)")
    return model


class IndexAnalyzer:
    """Adds documents to a collection (see the package README)."""

    spec = INDEX

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        collection_id = parse_collection_id(ctx.params)
        check_given(ctx.params.index.metadata)
        documents = documents_to_index(ctx)
        model = embedder()
        result = index_pb2.IndexResult(collection_id=str(collection_id), model=model.name)
        with IndexWriter(DatabaseSettings().database_url, ctx.tenant_id) as writer:
            writer.check_collection(collection_id)
            writer.begin_job(collection_id, ctx.job_id)
            try:
                for number, document in enumerate(documents):
                    ctx.check_cancelled()
                    result.files.append(self._index_one(ctx, writer, model, collection_id, document,
                                                        (number, len(documents))))
                    ctx.report_progress(100 * (number + 1) // len(documents))
            finally:
                # A killed child leaves the row: AskQuestion ignores rows older than STALE_INDEXING.
                writer.end_job(collection_id, ctx.job_id)
        result.chunks = sum(f.chunks for f in result.files)
        return job_pb2.JobResult(index=result)

    def _index_one(self, ctx: RunContext, writer: IndexWriter, model: Embedder, collection_id: uuid.UUID,
                   document: InputDocument, position: tuple[int, int]) -> index_pb2.IndexedFile:
        read = read_units(document.path, file_id=document.file_id, display_name=document.display_name,
                          media_type=document.media_type)
        chunks = pack(read.units)
        if not chunks:
            raise AnalysisInputError("INPUT_EMPTY", f"'{document.display_name}' contains no text to index")
        number, total = position

        def on_batch(done: int, count: int) -> None:
            ctx.check_cancelled()
            ctx.report_progress((100 * number + 90 * done // max(count, 1)) // total)

        file_id = uuid.UUID(document.file_id)
        vectors, reused = embed_reusing(model, embedding_texts(document.display_name, chunks),
                                        writer.stored_vectors(collection_id, file_id), on_batch)
        trace.get_current_span().set_attribute("assay.index.vectors_reused", reused)
        metadata = document_metadata(document.file_id, read, ctx.dependencies, ctx.params.index.metadata)
        writer.replace(collection_id, file_id, display_name=document.display_name,
                       media_type=document.media_type, job_id=ctx.job_id, chunks=chunks, vectors=vectors,
                       metadata=metadata, uploaded_at=document.uploaded_at)
        ctx.logger.info("indexed", extra={"file_id": document.file_id, "chunks": len(chunks), "reused": reused})
        return index_pb2.IndexedFile(file_id=document.file_id, display_name=document.display_name,
                                     format=read.format, chunks=len(chunks), pages=read.pages, metadata=metadata)
