"""The xml_to_csv analyzer plugin: XML documents (or a ZIP of them) into CSV tables.

One module per step: :mod:`.documents` (the file or each ZIP member), :mod:`.parse` (defusedxml
events, refusals with reasons), :mod:`.profile` (first pass: the document's shape),
:mod:`.layout` (records detected or named, child tables, indexed names), :mod:`.flatten` (second
pass: every value into one cell), :mod:`.tables` (spooled rows, CSV, column types) and
:mod:`.convert` (one document end to end). :mod:`.spec` declares the analyzer.
"""

from assay.analysis.analyzers.xml_to_csv.analyzer import MANIFEST_NAME, XmlToCsvAnalyzer, parse_options
from assay.analysis.analyzers.xml_to_csv.spec import SPEC

ANALYZER = XmlToCsvAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "MANIFEST_NAME", "SPEC", "XmlToCsvAnalyzer", "parse_options"]
