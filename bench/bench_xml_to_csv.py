"""Measures the xml_to_csv analyzer: record detection and losslessness on real documents, and
throughput (MiB/s, rows/s) and peak RSS on a large generated document.

Run:
  ``.venv/bin/python bench/bench_xml_to_csv.py corpus DIR [--labels bench/labels/xml_records.json]``
    converts every ``*.xml``/``*.osm``/``*.zip`` in DIR, proves each conversion lossless by reading
    the CSVs back (``verify.py``), and reports the labelled record tables that detection found;
  ``.venv/bin/python bench/bench_xml_to_csv.py large [--mib 256]``
    generates a holdings-style document of that size (namespaces, attributes, nesting, repeated
    children) and converts it in a child process, whose peak RSS is read with ``getrusage``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assay.analysis.analyzers.xml_to_csv import ANALYZER
from assay.analysis.analyzers.xml_to_csv.verify import document_values, table_values
from assay.analysis.plugin import InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import job_pb2, xml_to_csv_pb2

MIB = 1024 * 1024
_SUFFIXES = (".xml", ".osm", ".zip")


def convert(path: Path, work_dir: Path) -> tuple[xml_to_csv_pb2.XmlToCsvResult, LocalRunContext, float, float]:
    """Run the analyzer; also returns wall and CPU seconds (the CPU figure is what matters on a shared box)."""
    media = "application/zip" if path.suffix == ".zip" else "application/xml"
    ctx = LocalRunContext(job_id="bench", tenant_id="bench", params=job_pb2.JobParams(), work_dir=work_dir,
                          inputs=[InputDocument("f", path, media, path.name, path.stat().st_size)])
    start, cpu = time.perf_counter(), time.process_time()
    result = ANALYZER.run(ctx).xml_to_csv
    return result, ctx, time.perf_counter() - start, time.process_time() - cpu


def bench_corpus(directory: Path, labels_path: Path | None) -> None:
    labels: dict[str, list[str]] = json.loads(labels_path.read_text()) if labels_path else {}
    found_total = labelled_total = 0
    print(f"{'document':34} {'KiB':>6} {'tables':>6} {'rows':>6} {'lossless':>8} {'labelled found':>14} {'ms':>6}")
    for path in sorted(p for p in directory.iterdir() if p.suffix in _SUFFIXES):
        with tempfile.TemporaryDirectory() as work:
            result, ctx, seconds, _ = convert(path, Path(work))
            lossless = "-"
            if path.suffix != ".zip":
                with path.open("rb") as raw:
                    lossless = "yes" if document_values(raw) == table_values(
                        a.path for a in ctx.artifacts if a.name.endswith(".csv")) else "NO"
        tables = {t.record_path for m in result.members for t in m.tables}
        wanted = labels.get(path.name, [])
        found = sum(1 for w in wanted if w in tables)
        found_total += found
        labelled_total += len(wanted)
        print(f"{path.name[:34]:34} {path.stat().st_size // 1024:>6} {len(tables):>6} {result.rows_total:>6} "
              f"{lossless:>8} {f'{found}/{len(wanted)}' if wanted else '-':>14} {seconds * 1000:>6.0f}")
        for missing in (w for w in wanted if w not in tables):
            print(f"    not detected: {missing}")
    if labelled_total:
        print(f"labelled record tables detected: {found_total}/{labelled_total} "
              f"({100 * found_total / labelled_total:.0f} %)")


def write_large(path: Path, target_bytes: int, seed: int = 11) -> int:
    """A holdings report: a header, then records until ``target_bytes``; returns the record count."""
    rng = random.Random(seed)
    issuers = ["ACME CORP", "GLOBEX &amp; SONS", "INITECH INC", "UMBRELLA PLC", "HOOLI", "STARK IND"]
    records = 0
    with path.open("w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<report xmlns="urn:example:holdings" '
                'xmlns:x="urn:example:ext">\n  <filer><cik>0000123456</cik><period>2026-09-30</period></filer>\n')
        while f.tell() < target_bytes:
            for _ in range(1000):
                records += 1
                lots = "".join(f'<lot id="{records}-{j}"><qty>{rng.randint(1, 999)}</qty></lot>'
                               for j in range(rng.randint(1, 3)))
                f.write(f'  <holding id="{records}" x:src="feed"><issuer>{rng.choice(issuers)}</issuer>'
                        f'<cusip>{rng.randint(0, 10**9):09d}</cusip><value ccy="USD">{rng.randint(1, 10**7)}.'
                        f'{rng.randint(0, 99):02d}</value><acquired>2026-{rng.randint(1, 12):02d}-'
                        f'{rng.randint(1, 28):02d}</acquired><note>Held &lt;long&gt; term</note>{lots}</holding>\n')
        f.write("</report>\n")
    return records


def bench_large(mib: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "large.xml"
        records = write_large(path, mib * MIB)
        size = path.stat().st_size
        out = subprocess.run([sys.executable, __file__, "convert-one", str(path)], check=True,
                             capture_output=True, text=True)
        figures = json.loads(out.stdout)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"generated {size / MIB:.0f} MiB, {records} records")
        cpu = figures["cpu_seconds"]
        print(f"converted in {figures['seconds']:.1f} s wall, {cpu:.1f} s CPU: {size / MIB / cpu:.2f} MiB/s and "
              f"{figures['rows'] / cpu:.0f} rows/s per CPU second, over {figures['rows']} rows in "
              f"{figures['tables']} tables; peak RSS of the converting process {peak:.0f} MiB "
              f"(baseline after imports {figures['baseline_rss_mib']:.0f} MiB)")


def convert_one(path: Path) -> None:
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as work:
        result, _, seconds, cpu = convert(path, Path(work))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": result.rows_total, "tables": result.tables_total,
                      "baseline_rss_mib": baseline}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    corpus = sub.add_parser("corpus", help="detection and losslessness on a directory of documents")
    corpus.add_argument("directory", type=Path)
    corpus.add_argument("--labels", type=Path, default=Path(__file__).parent / "labels" / "xml_records.json")
    large = sub.add_parser("large", help="throughput and peak RSS on a generated document")
    large.add_argument("--mib", type=int, default=256)
    one = sub.add_parser("convert-one")
    one.add_argument("path", type=Path)
    args = parser.parse_args()
    if args.command == "corpus":
        bench_corpus(args.directory, args.labels)
    elif args.command == "large":
        bench_large(args.mib)
    else:
        convert_one(args.path)


if __name__ == "__main__":
    main()
