"""The compare analyzer plugin: two tabular datasets compared row by row with similarity scores.

One module per step: :mod:`.readers` (CSV/TSV with sniffed encoding and delimiter, XLSX, JSON
Lines), :mod:`.schema` (columns by name and renamed by content), :mod:`.keys` (given or detected
key), :mod:`.normalize` (exact, or whitespace/case/number format ignored), :mod:`.matching`
(hash partitions spilled to disk; content matching without a key), :mod:`.outcome` (counts,
similarity, the diff CSV). :mod:`.spec` declares the analyzer.
"""

from assay.analysis.analyzers.compare.analyzer import DIFF_NAME, CompareAnalyzer, parse_options
from assay.analysis.analyzers.compare.spec import SPEC

ANALYZER = CompareAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "DIFF_NAME", "SPEC", "CompareAnalyzer", "parse_options"]
