"""Helpers the table-producing and table-reading analyzers share (xml_to_csv, compare)."""
