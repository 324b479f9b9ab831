"""The index analyzer plugin: documents into a collection's searchable chunks.

:mod:`.units` reads a file into structural units (headings, clauses, paragraphs, table rows with
their header), :mod:`.chunks` packs them into passages, :mod:`.writer` replaces the file's chunks
in the ``index`` schema, :mod:`.analyzer` runs it per file with batched embeddings.
:mod:`.retrieval` is the read side AskQuestion uses (hybrid search, fusion, highlighting).
"""

from assay.analysis.analyzers.index.analyzer import IndexAnalyzer

ANALYZER = IndexAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "IndexAnalyzer"]
