"""Measures the compare analyzer: outcome on real dataset pairs, and rows/s and peak RSS at scale.

Run:
  ``.venv/bin/python bench/bench_compare.py corpus DIR [--labels bench/labels/compare_pairs.json]``
    compares each labelled pair under DIR with the key given and with the key detected, and
    prints the counts next to the labelled ones;
  ``.venv/bin/python bench/bench_compare.py large [--rows 1000000] [--columns 20]``
    generates two CSVs (the new one in another order, with 1 % of rows changed, 1 % added and
    1 % removed) and compares them in a child process, whose peak RSS is read with ``getrusage``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assay.analysis.analyzers.compare import ANALYZER
from assay.analysis.plugin import InputDocument
from assay.analysis.testing import LocalRunContext
from assay.v1 import compare_pb2, job_pb2

MIB = 1024 * 1024


def compare(old: Path, new: Path, work_dir: Path, key: list[str]) -> tuple[compare_pb2.CompareResult, float, float]:
    """Run the analyzer; returns the result, wall and CPU seconds."""
    docs = [InputDocument(f"f{i}", p, "text/csv", p.name, p.stat().st_size) for i, p in enumerate((old, new))]
    ctx = LocalRunContext(job_id="bench", tenant_id="bench", work_dir=work_dir, inputs=docs,
                          params=job_pb2.JobParams(compare=compare_pb2.CompareParams(key_columns=key)))
    start, cpu = time.perf_counter(), time.process_time()
    result = ANALYZER.run(ctx).compare
    return result, time.perf_counter() - start, time.process_time() - cpu


def bench_corpus(directory: Path, labels_path: Path) -> None:
    labels = {k: v for k, v in json.loads(labels_path.read_text()).items() if not k.startswith("_")}
    print(f"{'pair':16} {'key':8} {'matching':9} {'key columns':42} {'added':>6} {'removed':>7} {'changed':>7} "
          f"{'unchanged':>9} {'similarity':>10} {'ms':>6}")
    for name, label in labels.items():
        old, new = directory / label["old"], directory / label["new"]
        print(f"{name:16} {'label':8} {'':9} {', '.join(label['key'])[:42]:42} {label['added']:>6} "
              f"{label['removed']:>7} {label['changed']:>7} {label['unchanged']:>9}")
        for mode, key in (("given", label["key"]), ("detected", [])):
            with tempfile.TemporaryDirectory() as work:
                result, seconds, _ = compare(old, new, Path(work), key)
            matching = compare_pb2.CompareMatching.Name(result.matching).removeprefix("COMPARE_MATCHING_").lower()
            print(f"{'':16} {mode:8} {matching:9} {', '.join(result.key_columns)[:42]:42} {result.added:>6} "
                  f"{result.removed:>7} {result.changed:>7} {result.unchanged:>9} {result.similarity:>10.4f} "
                  f"{seconds * 1000:>6.0f}")


def _row(rng: random.Random, i: int, columns: int, version: int) -> list[str]:
    cells = [f"K{i:09d}"]
    for c in range(1, columns):
        if c % 4 == 1:
            cells.append(f"name-{(i * 7 + c) % 100_003}")
        elif c % 4 == 2:
            cells.append(str((i * 31 + c) % 1_000_000))
        elif c % 4 == 3:
            cells.append(f"{(i % 9973) / 100:.2f}")
        else:
            cells.append(f"2026-{1 + (i + c) % 12:02d}-{1 + (i * c) % 28:02d}")
    if version == 2 and rng.random() < 0.01:
        cells[2 + rng.randrange(columns - 2)] = "changed"
    return cells


def write_pair(directory: Path, rows: int, columns: int) -> tuple[Path, Path]:
    old, new = directory / "old.csv", directory / "new.csv"
    header = ["id", *(f"col{c}" for c in range(1, columns))]
    step = next(s for s in range(rows // 2 + 1, rows) if math.gcd(s, rows) == 1)  # a permutation of 0..rows-1
    rng = random.Random(5)
    with old.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(_row(rng, i, columns, 1) for i in range(rows) if i % 100 != 1)  # 1 % only in new
    with new.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        order = ((j * step) % rows for j in range(rows))
        writer.writerows(_row(rng, i, columns, 2) for i in order if i % 100 != 2)  # 1 % only in old
    return old, new


def bench_large(rows: int, columns: int) -> None:
    with tempfile.TemporaryDirectory() as work:
        old, new = write_pair(Path(work), rows, columns)
        sizes = old.stat().st_size + new.stat().st_size
        out = subprocess.run([sys.executable, __file__, "compare-one", str(old), str(new), "id"], check=True,
                             capture_output=True, text=True)
        figures = json.loads(out.stdout)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        cpu = figures["cpu_seconds"]
        print(f"{rows} rows x {columns} columns per side ({sizes / MIB:.0f} MiB in total)")
        print(f"compared in {figures['seconds']:.1f} s wall, {cpu:.1f} s CPU: {2 * rows / cpu:.0f} rows/s per CPU "
              f"second; added {figures['added']}, removed {figures['removed']}, changed {figures['changed']}, "
              f"unchanged {figures['unchanged']}; peak RSS {peak:.0f} MiB")


def compare_one(old: Path, new: Path, key: list[str]) -> None:
    with tempfile.TemporaryDirectory() as work:
        result, seconds, cpu = compare(old, new, Path(work), key)
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "added": result.added, "removed": result.removed,
                      "changed": result.changed, "unchanged": result.unchanged}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    corpus = sub.add_parser("corpus", help="outcome on labelled dataset pairs")
    corpus.add_argument("directory", type=Path)
    corpus.add_argument("--labels", type=Path, default=Path(__file__).parent / "labels" / "compare_pairs.json")
    large = sub.add_parser("large", help="rows/s and peak RSS on generated datasets")
    large.add_argument("--rows", type=int, default=1_000_000)
    large.add_argument("--columns", type=int, default=20)
    one = sub.add_parser("compare-one")
    one.add_argument("old", type=Path)
    one.add_argument("new", type=Path)
    one.add_argument("key", nargs="*")
    args = parser.parse_args()
    if args.command == "corpus":
        bench_corpus(args.directory, args.labels)
    elif args.command == "large":
        bench_large(args.rows, args.columns)
    else:
        compare_one(args.old, args.new, args.key)


if __name__ == "__main__":
    main()
