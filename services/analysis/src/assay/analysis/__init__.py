"""The analysis service: JetStream workers that run analyzers, and AnalysisService."""
