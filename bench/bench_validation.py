"""Measures the ingest validation core: stream throughput, sniffing and ZIP inspection costs.

Run: ``.venv/bin/python bench/bench_validation.py [--mib N] [--repeat K]``. It prints the
UploadValidator's throughput (sha256 + cap + head) at the default 64 KiB gRPC chunk size, with the
peak memory it allocated, the worst case of sniffing (crafted CSV-like text that makes
``csv.Sniffer`` quadratic, which the sniffer therefore does not use), and ``inspect_zip`` on an
archive of 10,000 entries and on one with a one-level nested archive.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import tracemalloc
import zipfile
from collections.abc import Callable

from assay.ingest.validation import UploadValidator, inspect_zip, sniff_media_type

CHUNK = 64 * 1024


def best_of(repeat: int, run: Callable[[], object]) -> tuple[float, float]:
    """Median and best wall time of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def bench_stream(mib: int, repeat: int) -> None:
    chunk = bytes(range(256)) * (CHUNK // 256)
    count = mib * 1024 * 1024 // CHUNK

    def run() -> None:
        validator = UploadValidator(max_size=mib * 1024 * 1024)
        for _ in range(count):
            validator.feed(chunk)
        validator.finish()

    median, best = best_of(repeat, run)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"stream   {mib} MiB in {CHUNK // 1024} KiB chunks: median {median * 1000:.1f} ms "
        f"({mib / median:.0f} MiB/s), best {best * 1000:.1f} ms, peak alloc {peak / 1024:.1f} KiB"
    )


def bench_sniff(repeat: int) -> None:
    cases = {
        "pdf": b"%PDF-1.7\n" + bytes(8183),
        "csv": b"id,rating,text\n" + b'1,5,"great value, works"\n' * 330,
        "crafted": ((',"' * 4000) + '\n,"\n').encode()[:8192],
    }
    for name, head in cases.items():
        median, _ = best_of(repeat * 20, lambda head=head: sniff_media_type(head, "upload"))
        print(f"sniff    {name:<8} {median * 1e6:8.1f} us")


def bench_zip(repeat: int) -> None:
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(10_000):
            zf.writestr(f"statements/{i:05}.xml", b"<s/>")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(100):
            zf.writestr(f"{i}.xml", b"<row>1</row>" * 100)
    nested = io.BytesIO()
    with zipfile.ZipFile(nested, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("inner.zip", inner.getvalue())
    for name, data in (("10k", many.getvalue()), ("nested", nested.getvalue())):
        median, _ = best_of(repeat, lambda data=data: inspect_zip(io.BytesIO(data)))
        print(f"zip      {name:<8} {median * 1000:8.2f} ms ({len(data) // 1024} KiB archive)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=50, help="upload size for the stream case")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench_stream(args.mib, args.repeat)
    bench_sniff(args.repeat)
    bench_zip(args.repeat)


if __name__ == "__main__":
    main()
