"""Which reader a file needs, from its media type, name and first bytes."""

from __future__ import annotations

from pathlib import Path

PDF, HTML, MARKDOWN, CSV, XLSX = "pdf", "html", "markdown", "csv", "xlsx"


def detect(path: Path, media_type: str, name: str) -> str:
    head = path.read_bytes()[:4096]
    lowered = head.lower()
    suffix = Path(name).suffix.lower()
    if head.startswith(b"%PDF") or media_type == "application/pdf":
        return PDF
    if head.startswith(b"PK") or suffix in {".xlsx", ".xlsm"}:
        return XLSX
    if b"<html" in lowered or b"<!doctype html" in lowered or b"<table" in lowered or suffix in {".html", ".htm"} \
            or b"<document>" in lowered:
        return HTML
    if suffix in {".md", ".markdown", ".txt"} or media_type in {"text/markdown"}:
        return MARKDOWN
    if suffix in {".csv", ".tsv"} or media_type == "text/csv":
        return CSV
    text = head.decode("utf-8", errors="replace")
    if any(line.lstrip().startswith("|") for line in text.splitlines()[:200]):
        return MARKDOWN
    return CSV if text.count(",") + text.count(";") > text.count(" ") / 4 else MARKDOWN
