"""Compares PDF text extractors for contract review: speed and how much page furniture leaks.

Run: ``.venv/bin/python bench/bench_pdf_text.py FILE.pdf [FILE.pdf ...] [--repeat K]``

For each PDF and extractor it prints pages/s (best of ``--repeat`` runs) and two leak counts on
the text it yields: ``repeated`` — lines (digits ignored) that recur on at least half of the
pages, i.e. running headers, footers and page numbers left in the text; ``short`` — share of
lines of at most one word (a one-token-per-line text layer, or a first word split off as a fake
heading). Extractors: pypdf ``extract_text()`` (what contract review used before), pypdf's
``extraction_mode="layout"``, pdfplumber ``extract_text()`` (measured only when installed; it
is not a dependency) and contract review's own reader (``extract.extract_pdf``: PDFium text
boxes, layout rules in ``pdf_layout.py``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from assay.analysis.analyzers.contract_review.extract import extract_pdf

Extractor = Callable[[Path], list[str]]


def pypdf_plain(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(path).pages]


def pypdf_layout(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text(extraction_mode="layout") or "" for page in PdfReader(path).pages]


def pdfplumber_text(path: Path) -> list[str]:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def contract_review(path: Path) -> list[str]:
    document = extract_pdf(path, file_id="", display_name=path.name)
    pages = [""] * document.units
    for block in document.blocks:
        pages[block.page - 1] = block.text
    return pages


def leaks(pages: list[str]) -> tuple[int, float]:
    """Lines recurring on half the pages or more, and the share of one-word lines."""
    seen: Counter[str] = Counter()
    lines = 0
    short = 0
    for text in pages:
        keys = set()
        for line in text.splitlines():
            words = line.split()
            if not words:
                continue
            lines += 1
            short += len(words) <= 1
            keys.add(re.sub(r"\d+", "#", " ".join(words).lower()))
        seen.update(keys)
    needed = max(2, len(pages) // 2)
    return sum(1 for count in seen.values() if count >= needed), short / max(lines, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdfs", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    extractors: dict[str, Extractor] = {
        "pypdf": pypdf_plain,
        "pypdf layout": pypdf_layout,
        "contract_review (pdfium)": contract_review,
    }
    try:
        import pdfplumber  # noqa: F401

        extractors["pdfplumber"] = pdfplumber_text
    except ImportError:
        print("pdfplumber is not installed: not measured", file=sys.stderr)
    print(f"{'file':42} {'extractor':26} {'pages':>5} {'pages/s':>8} {'repeated':>8} {'short':>6}")
    for path in args.pdfs:
        for name, extractor in extractors.items():
            times = []
            pages: list[str] = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                pages = extractor(path)
                times.append(time.perf_counter() - start)
            repeated, short = leaks(pages)
            rate = len(pages) / min(times)
            print(f"{path.name[:42]:42} {name:26} {len(pages):5d} {rate:8.1f} {repeated:8d} {short:6.2f}")
    print(f"(best of {args.repeat}; median run-to-run spread is large on a shared machine)")


if __name__ == "__main__":
    main()
