"""Where the jobs process's event loop goes, from a py-spy profile: polls apart from the job's lifecycle.

Record (py-spy is not a dependency of the project: ``pip install py-spy`` into the venv), e.g. 20 s of
the jobs process under ``make bench``'s c1 or ``bench/compare/grpc_driver.py --mode flow``:

    py-spy record --pid JOBS_PID --duration 20 --rate 200 --format raw -o jobs.raw
    .venv/bin/python bench/profile_shares.py jobs.raw [--top 10]

Only the samples of the event loop's thread count (stacks through ``_run_once``); those waiting in
the selector are its idle time. Each busy sample goes to the first component whose frames it holds,
in this order: GetJob (the polls), the lifecycle's RPCs and background loops, the server span
interceptor, NATS, then "other" (mostly gRPC's native call handling under ``Handle._run``), whose
innermost frames ``--top`` lists. Shares are of the busy samples.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("GetJob (polls)", ("GetJob",)),
    ("CreateJob (RPC and batch)", ("CreateJob", "create_many", "group_create")),
    ("StartJobs", ("StartJobs", "StartJob ")),
    ("CompleteJobs", ("CompleteJobs", "CompleteJob ")),
    ("dispatcher loop", ("Dispatcher.",)),
    ("outbox relay", ("outbox.py",)),
    ("job cache (events)", ("cache.py", "watch.py")),
    ("server span interceptor", ("interceptors.py", "server_spans.py")),
    ("NATS client", ("nats/",)),
    ("SQLAlchemy / psycopg (no RPC on the stack)", ("sqlalchemy", "psycopg")),
)


def shares(lines: list[str]) -> tuple[collections.Counter[str], collections.Counter[str], int]:
    """(busy samples per component, innermost frames of "other", idle samples) of py-spy raw lines."""
    busy: collections.Counter[str] = collections.Counter()
    other: collections.Counter[str] = collections.Counter()
    idle = 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or "_run_once" not in stack:
            continue  # another thread (gRPC's poller, the span exporter) or an empty line
        frames = stack.split(";")
        if "select (selectors.py" in frames[-1]:
            idle += int(count)
            continue
        for name, needles in COMPONENTS:
            if any(needle in stack for needle in needles):
                busy[name] += int(count)
                break
        else:
            busy["other"] += int(count)
            other[";".join(frame.split(" (")[0] for frame in frames[-3:])] += int(count)
    return busy, other, idle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="py-spy --format raw output")
    parser.add_argument("--top", type=int, default=5, help="innermost frames of 'other' to list")
    args = parser.parse_args()
    lines = [line for path in args.files for line in path.read_text().splitlines()]
    busy, other, idle = shares(lines)
    total = sum(busy.values())
    print(f"event loop: {total} busy samples, {idle} idle ({100 * total / max(1, total + idle):.0f} % busy)")
    for name, count in busy.most_common():
        print(f"  {name:<44} {count:>6} {100 * count / max(1, total):5.1f} %")
    for frames, count in other.most_common(args.top):
        print(f"    other: {count:>5}  {frames}")


if __name__ == "__main__":
    main()
