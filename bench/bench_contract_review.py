"""Measures the contract_review analyzer's throughput (pages/s) on a generated 50-page contract PDF.

Run: ``.venv/bin/python bench/bench_contract_review.py [--pages N] [--repeat K] [--lexical] [--worst-case]``.

The contract is the EU DPA fixture followed by numbered commercial clauses (services, fees,
warranties, liability...) until it fills ``--pages`` pages of a text-layer PDF. Each run is a
whole analyzer run: PDF extraction, segmentation, sentence embeddings, the requirement head,
matching, risk flags and the typed result; the head's memory of sentences is emptied before each
run, so every run reads every sentence as a new document would. The first run also loads the
models and embeds the playbook once per process; it is reported separately ("cold"), the median of
the others as "warm". It then prints the CPU seconds of a run (this process, user + system) and of
the text extraction alone, the load average and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from fixtures.contracts import docgen  # noqa: E402

from assay.analysis.analyzers.contract_review import ContractReviewAnalyzer, default_embedder  # noqa: E402
from assay.analysis.analyzers.contract_review.extract import extract_file  # noqa: E402
from assay.analysis.analyzers.contract_review.requirement_head import load_head  # noqa: E402
from assay.analysis.plugin import InputDocument  # noqa: E402
from assay.analysis.testing import LocalRunContext  # noqa: E402
from assay.v1 import contract_review_pb2, job_pb2  # noqa: E402

_TOPICS = (
    (
        "Services",
        "The Supplier shall provide the Services described in each Order Form with reasonable skill and care.",
    ),
    ("Fees", "The Customer shall pay the Fees set out in the Order Form within thirty days of the date of invoice."),
    ("Warranties", "Each party warrants that it has full power and authority to enter into this Agreement."),
    ("Liability", "Neither party limits its liability for death or personal injury caused by its negligence."),
    ("Intellectual Property", "All intellectual property rights in the Supplier's platform remain with the Supplier."),
    ("Term", "This Agreement continues for an initial term of three years and renews for successive years."),
    (
        "Termination",
        "Either party may terminate this Agreement by written notice if the other commits a material breach.",
    ),
    ("Service Levels", "The Supplier shall make the platform available at least 99.9 per cent of each calendar month."),
    ("Insurance", "The Supplier shall maintain professional indemnity insurance of at least five million euros."),
    ("Force Majeure", "Neither party is liable for delay caused by events beyond its reasonable control."),
)


def contract_paragraphs(pages: int, everything_in_scope: bool = False) -> list[str]:
    """The EU DPA fixture, then commercial clauses until the text fills ``pages`` pages.

    With ``everything_in_scope`` every commercial clause also mentions personal data, so every
    sentence is embedded and matched (the worst case); otherwise the commercial clauses are, as
    in a real MSA, outside the DPA playbook's context and only pattern-checked.
    """
    rng = random.Random(11)
    items = docgen.paragraphs((ROOT / "tests" / "fixtures" / "contracts" / "eu_dpa.txt").read_text(encoding="utf-8"))
    section = 13
    while len(docgen.paginate(items)) < pages:
        title, base = _TOPICS[section % len(_TOPICS)]
        items.append(f"{section}. {title}")
        for sub in range(1, 7):
            extra = rng.choice(_TOPICS)[1]
            data = " It covers Customer Personal Data processed under the DPA." if everything_in_scope else ""
            items.append(
                f"{section}.{sub} For the purposes of clause {section}, {base[0].lower()}{base[1:]} "
                f"{extra}{data} This clause applies subject to clause {section}.{sub + 1}."
            )
        section += 1
    while len(docgen.paginate(items)) > pages:
        items.pop()
    return items


def run_once(analyzer: ContractReviewAnalyzer, pdf: Path, work: Path) -> tuple[float, int, int]:
    params = job_pb2.JobParams(
        contract_review=contract_review_pb2.ContractReviewParams(
            contract_type=contract_review_pb2.CONTRACT_TYPE_MSA,
            jurisdiction=contract_review_pb2.JURISDICTION_EU,
        )
    )
    ctx = LocalRunContext(
        job_id="bench",
        tenant_id="bench",
        params=params,
        work_dir=work,
        inputs=[InputDocument("f1", pdf, "application/pdf", pdf.name, pdf.stat().st_size)],
    )
    head = load_head()
    if head is not None:
        head.forget()  # each run reads every sentence, as a new document would
    start = time.perf_counter()
    result = analyzer.run(ctx).contract_review
    return time.perf_counter() - start, result.pages_processed, result.clauses_found


def cpu_seconds(action: Callable[[], object]) -> float:
    """CPU time (user + system, this process) that ``action`` took: on a shared machine the wall
    time says more about the other processes than about the analyzer."""
    start = time.process_time()
    action()
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lexical", action="store_true", help="force the lexical fallback")
    parser.add_argument("--worst-case", action="store_true", help="make every clause mention personal data")
    args = parser.parse_args()
    analyzer = ContractReviewAnalyzer(embedder=(lambda: None) if args.lexical else default_embedder)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pdf = docgen.write_pdf(work / "contract.pdf", docgen.paginate(contract_paragraphs(args.pages, args.worst_case)))
        print(
            f"contract: {pdf.stat().st_size / 1024:.0f} KiB PDF, matcher: {'lexical' if args.lexical else 'embedding'}"
        )
        cold, pages, clauses = run_once(analyzer, pdf, work)
        print(f"cold run (model load + playbook embedding): {cold:.2f} s, {pages / cold:.1f} pages/s")
        warm = [run_once(analyzer, pdf, work)[0] for _ in range(max(1, args.repeat))]
        median = statistics.median(warm)
        print(f"warm runs: {', '.join(f'{t:.2f}' for t in warm)} s over {pages} pages, {clauses} clauses")
        print(f"throughput: {pages / median:.1f} pages/s (median of {len(warm)} warm runs)")
        cpu = statistics.median(cpu_seconds(lambda: run_once(analyzer, pdf, work)) for _ in range(max(1, args.repeat)))
        text = cpu_seconds(lambda: extract_file(pdf, file_id="f1", display_name=pdf.name))
        print(f"CPU: {cpu:.2f} s a run, {pages / cpu:.1f} pages per CPU second; text extraction {text:.2f} s of it "
              f"({pages / max(text, 1e-9):.0f} pages per CPU second); load average {os.getloadavg()[0]:.1f}")
        print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
