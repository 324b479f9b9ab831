"""The ask analyzer plugin: a CSV of questions asked of a collection, answers as a CSV artifact."""

from assay.analysis.analyzers.ask.analyzer import AskAnalyzer

ANALYZER = AskAnalyzer()
"""The registered plugin object."""

__all__ = ["ANALYZER", "AskAnalyzer"]
