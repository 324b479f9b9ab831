"""One command: the seeds' peer (FastAPI + Celery) and Assay (`assay dev`) side by side.

    python -m bench.compare            # full: both stacks, every case, crash tests (~10 min)
    python -m bench.compare --quick    # smoke: tiny sizes, no crash tests
    python -m bench.compare --no-peer --quick   # Assay only (what CI runs)

It copies the peer from the shared, read-only benchmark directory into bench/.work/peer_celery,
brings it up through its own run.sh (`run.sh --serve`, so run.sh builds its venv and
orchestrate.py starts and stops its servers by PID), starts `assay dev` in a fresh data
directory, and runs the same cases against both with the same load client, alternating:

  peer over REST (the shared load generator, `--adapter peer`)
  Assay over REST (the same load generator, `--adapter bench.assay_adapter:AssayAdapter`)
  Assay over gRPC (bench/compare/grpc_driver.py: the same cases against the jobs service)

CPU per process comes from /proc/PID/stat (utime+stime of each process family, plus what its
members have reaped) before and after each run. The peer's crash test is the peer's own
(`run.sh --only crash`); Assay's is the same procedure (bench/compare/crash.py). Results:
bench/.work/results/summary.md and summary.json, raw runs in bench/.work/results/runs/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

if __package__ in (None, ""):  # `python bench/compare/run.py`: make `bench.compare` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import contextlib

from bench.compare import crash, procs

ROOT = Path(__file__).resolve().parents[2]
WORK = Path(os.environ.get("ASSAY_BENCH_WORK") or ROOT / "bench" / ".work").resolve()
RESULTS = WORK / "results"
PEER_SRC = Path(os.environ.get("ASSAY_BENCH_PEER_SRC") or ROOT.parent / "shared" / "bench" / "peer_celery")
JOBS_PROCESSES = "1"
"""Assay's jobs serving processes unless ASSAY_JOBS_PROCESSES says otherwise: the service's default.
Two won on a loaded machine and lost on a quiet one (bench/README.md, "Issue 21: several jobs
processes per node", the lead's quiet pairs); with 2, assay dev gives the gateway and the worker 4
connections per process."""
PEER = WORK / "peer_celery"
PEER_URL = "http://127.0.0.1:58000"
SYSTEMS = ("peer", "assay-rest", "assay-grpc")
LABEL = {"peer": "peer (REST)", "assay-rest": "Assay REST", "assay-grpc": "Assay gRPC"}


def log(*a: object) -> None:
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------- cases


def cases(quick: bool, tiny: bool) -> list[tuple[str, str, list[str]]]:
    if tiny:  # CI: does it run at all
        return [
            ("c1", "flow N=20, C=5", ["--mode", "flow", "-n", "20", "-c", "5"]),
            (
                "c2s",
                "status reads, C=20",
                ["--mode", "status", "--seed-jobs", "5", "-c", "20", "--gets-per-client", "2"],
            ),
        ]
    if quick:
        return [
            ("c1", "flow N=100, C=50", ["--mode", "flow", "-n", "100", "-c", "50"]),
            ("c2", "flow N=100, C=100", ["--mode", "flow", "-n", "100", "-c", "100"]),
            (
                "c2s",
                "status reads, C=100",
                ["--mode", "status", "--seed-jobs", "50", "-c", "100", "--gets-per-client", "5"],
            ),
        ]
    return [
        ("c1", "flow N=2000, C=50", ["--mode", "flow", "-n", "2000", "-c", "50", "--max-seconds", "240"]),
        (
            "c2",
            "flow N=500, C=500",
            ["--mode", "flow", "-n", "500", "-c", "500", "--job-timeout", "90", "--max-seconds", "150"],
        ),
        (
            "c2s",
            "status reads, C=1000 x 10",
            ["--mode", "status", "--seed-jobs", "200", "-c", "1000", "--gets-per-client", "10", "--max-seconds", "120"],
        ),
    ]


# ----------------------------------------------------------------------------------- stacks


class Peer:
    """The peer copy, served by its own run.sh / orchestrate.py (`--serve`)."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def prepare() -> None:
        if not (PEER_SRC / "loadgen").is_dir():
            raise SystemExit(f"the peer benchmark is not at {PEER_SRC} (set ASSAY_BENCH_PEER_SRC)")
        shutil.copytree(
            PEER_SRC, PEER, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".venv", "data", "results", "__pycache__")
        )
        for path in [PEER, *PEER.rglob("*")]:
            if ".venv" not in path.parts:
                path.chmod(path.stat().st_mode | 0o200)

    @property
    def python(self) -> str:
        return str(PEER / ".venv" / "bin" / "python")

    def start(self) -> None:
        logf = (WORK / "peer-serve.log").open("w")
        self.proc = subprocess.Popen(
            ["bash", "run.sh", "--serve", "1800"],
            cwd=PEER,
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        end = time.monotonic() + 900  # the first run builds the peer's venv
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"peer run.sh exited: {(WORK / 'peer-serve.log').read_text()[-3000:]}")
            if "serving on" in (WORK / "peer-serve.log").read_text():
                log(f"peer up at {PEER_URL}")
                return
            time.sleep(0.5)
        raise SystemExit("peer did not come up")

    def groups(self) -> dict[str, int]:
        out = {}
        for name in ("api", "worker", "postgres", "redis"):
            with contextlib.suppress(OSError, ValueError):
                out[name] = int((PEER / "data" / "pids" / f"{name}.pid").read_text())
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # run.sh and orchestrate.py: it stops its servers by PID
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None

    def crash_test(self, runs: int) -> list[dict]:
        log(f"peer crash test ({runs} run(s)) through run.sh --only crash")
        with (WORK / "peer-crash.log").open("w") as logf:
            subprocess.run(
                ["bash", "run.sh", "--only", "crash", "--runs", str(runs)],
                cwd=PEER,
                stdout=logf,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=900,
                check=True,
            )
        return json.loads((PEER / "results" / "summary.json").read_text())["crash"].get("crash_default", [])


class Assay:
    """`assay dev` in its own data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen | None = None

    def info(self) -> dict:
        try:
            return json.loads((self.data_dir / "stack.json").read_text())
        except (OSError, ValueError):
            return {}

    def start(self) -> None:
        if self.data_dir.exists():
            shutil.rmtree(self.data_dir)
        self.data_dir.mkdir(parents=True)
        logf = (self.data_dir.parent / f"{self.data_dir.name}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assay.cli", "--data-dir", str(self.data_dir), "dev"],
            env={**os.environ, "ASSAY_JOBS_PROCESSES": os.environ.get("ASSAY_JOBS_PROCESSES") or JOBS_PROCESSES},
            stdout=logf,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        end = time.monotonic() + 240
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise SystemExit(f"assay dev exited; see {logf.name}")
            info = self.info()
            if len(info.get("pids", {})) == 4 and info.get("supervisor_pid") == self.proc.pid:
                try:
                    if httpx.get(f"{info['gateway_url']}/readyz", timeout=2).status_code == 200:
                        log(f"assay dev up at {info['gateway_url']} (jobs gRPC {info['endpoints']['jobs']})")
                        return
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        raise SystemExit("assay dev did not become ready")

    def groups(self) -> dict[str, int]:
        info = self.info()
        out = dict(info.get("pids", {}))
        if self.proc is not None:
            for pid in procs.children(self.proc.pid):
                cmd = procs.cmdline(pid)
                for name, needle in (("postgres", "postgres"), ("nats", "nats-server"), ("s3", "localbucket")):
                    if needle in cmd:
                        out[name] = pid
            out["supervisor"] = -self.proc.pid  # negative: the process alone, not its family
        return out

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                log("assay dev did not stop in 120 s")
        self.proc = None


# ----------------------------------------------------------------------------------- runs


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.peer = Peer() if args.peer else None
        self.assay = Assay(WORK / "assay-data")
        self.loadgen_ok = (PEER / "loadgen").is_dir()

    def loadgen_python(self) -> str:
        if self.peer is not None:
            return self.peer.python
        return sys.executable  # the repository's venv has httpx, which is all the loadgen needs

    def snapshot(self) -> dict:
        snap = {"assay": procs.cpu_by_group(self.assay.groups()), "t": time.monotonic(), "machine": procs.machine()}
        if self.peer is not None:
            snap["peer"] = procs.cpu_by_group(self.peer.groups())
        return snap

    def command(self, system: str, largs: list[str], out: Path) -> tuple[list[str], dict, Path]:
        env = dict(os.environ)
        if system == "assay-grpc":
            argv = [
                sys.executable,
                str(ROOT / "bench" / "compare" / "grpc_driver.py"),
                "--stack-json",
                str(self.assay.data_dir / "stack.json"),
                "--out",
                str(out),
                *largs,
            ]
            return argv, env, ROOT
        env["PYTHONPATH"] = os.pathsep.join([str(PEER), str(ROOT)])
        if system == "peer":
            adapter, url = "peer", PEER_URL
        else:
            adapter, url = "bench.assay_adapter:AssayAdapter", self.assay.info()["gateway_url"]
            env["ASSAY_STACK_JSON"] = str(self.assay.data_dir / "stack.json")
            env.pop("ASSAY_TOKEN", None)
        argv = [
            self.loadgen_python(),
            "-m",
            "loadgen.harness",
            "--adapter",
            adapter,
            "--base-url",
            url,
            "--http",
            self.args.http,
            "--out",
            str(out),
            *largs,
        ]
        return argv, env, PEER

    def run_one(self, system: str, name: str, largs: list[str], timeout: float = 600) -> dict:
        out = RESULTS / "runs" / f"{name}__{system}.json"
        argv, env, cwd = self.command(system, largs, out)
        a = self.snapshot()
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
        b = self.snapshot()
        if p.returncode != 0:
            raise SystemExit(f"{system} {name} failed rc={p.returncode}: {p.stderr[-3000:]}")
        res = json.loads(out.read_text())
        side = "peer" if system == "peer" else "assay"
        other = "assay" if side == "peer" else "peer"
        res["cpu_s"] = {k: round(b[side].get(k, 0) - v, 3) for k, v in a[side].items()}
        res["other_stack_cpu_s"] = (
            round(sum(b[other].values()) - sum(a[other].values()), 3) if other in a and other in b else None
        )
        res["machine_busy_pct"] = procs.busy_pct(a["machine"], b["machine"])
        res["cpu_wall_s"] = round(b["t"] - a["t"], 3)
        out.write_text(json.dumps(res, indent=1))
        log(f"{name} {system}: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}")
        return res

    def systems(self) -> list[str]:
        out = ["peer"] if self.peer is not None else []
        if self.loadgen_ok:
            out.append("assay-rest")
        out.append("assay-grpc")
        return out

    def main(self) -> dict:
        args = self.args
        RESULTS.joinpath("runs").mkdir(parents=True, exist_ok=True)
        for f in RESULTS.joinpath("runs").glob("*.json"):
            f.unlink()
        started = time.monotonic()
        summary: dict = {
            "config": {
                "quick": args.quick,
                "tiny": args.tiny,
                "runs": args.runs,
                "http": args.http,
                "peer": args.peer,
                "cores": os.cpu_count(),
                "jobs_processes": int(os.environ.get("ASSAY_JOBS_PROCESSES") or JOBS_PROCESSES),
                "gateway_processes": int(os.environ.get("ASSAY_GATEWAY_PROCESSES") or 1),
            },
            "cases": {},
            "crash": {},
        }
        try:
            if self.peer is not None:
                self.peer.start()
            self.assay.start()
            systems = self.systems()
            summary["systems"] = systems
            if not self.loadgen_ok:
                summary["left_out"] = {
                    "assay-rest": f"the peer's REST load generator is not at {PEER / 'loadgen'} "
                    "(no peer benchmark beside the clone; set ASSAY_BENCH_PEER_SRC)"
                }
            warm = ["--mode", "flow", "-n", "20" if (args.quick or args.tiny) else "300", "-c", "20"]
            for s in systems:
                self.run_one(s, "warmup", warm)
            plan = [c for c in cases(args.quick, args.tiny) if not args.cases or c[0] in args.cases.split(",")]
            runs: dict[str, dict[str, list[dict]]] = {c: {s: [] for s in systems} for c, _, _ in plan}
            for i in range(args.runs):
                for case, _, largs in plan:
                    order = systems[i % len(systems) :] + systems[: i % len(systems)]  # rotate who goes first
                    for s in order:
                        runs[case][s].append(self.run_one(s, f"{case}_run{i + 1}", largs))
            for case, title, _ in plan:
                summary["cases"][case] = {"title": title, **{s: median_of(runs[case][s]) for s in systems}}
            if args.crash:
                summary["crash"]["assay"] = [
                    crash.assay_crash_run(
                        self.assay, self.loadgen_python(), PEER, RESULTS / "runs" / f"crash_assay_run{i + 1}"
                    )
                    for i in range(args.crash_runs)
                ]
        finally:
            self.assay.stop()
            if self.peer is not None:
                self.peer.stop()
        if args.crash and self.peer is not None:
            summary["crash"]["peer"] = self.peer.crash_test(args.crash_runs)
        summary["total_wall_s"] = round(time.monotonic() - started, 1)
        return summary


# ----------------------------------------------------------------------------------- figures


def figures(r: dict) -> dict:
    completed = r.get("completed") or 0
    reads = r.get("status_gets") or 0
    unit = reads if r.get("config", {}).get("mode") == "status" else completed
    errors = (
        sum(r.get("errors", {}).values())
        + (r.get("timed_out") or 0)
        + (r.get("failed") or 0)
        + (r.get("bad_results") or 0)
    )
    cpu = {k: v for k, v in r.get("cpu_s", {}).items()}
    per1000 = {k: round(v * 1000 / unit, 2) for k, v in cpu.items()} if unit else {}
    client = r.get("client_cpu_s")
    return {
        "jobs_s": r.get("throughput_jobs_s"),
        "submit_p50": r["submit_ms"]["p50"],
        "submit_p99": r["submit_ms"]["p99"],
        "completion_p50": r["completion_ms"]["p50"],
        "completion_p99": r["completion_ms"]["p99"],
        "status_p50": r["status_ms"]["p50"],
        "status_p99": r["status_ms"]["p99"],
        "reads_s": r.get("status_gets_per_s"),
        "errors": errors,
        "completed": completed,
        "unit": unit,
        "cpu_per_1000": per1000,
        "cpu_total_per_1000": round(sum(cpu.values()) * 1000 / unit, 2) if unit else None,
        "client_cpu_per_1000": round(client * 1000 / unit, 2) if unit and client is not None else None,
        "machine_busy_pct": r.get("machine_busy_pct"),
        "other_stack_cpu_s": r.get("other_stack_cpu_s"),
        "wall_s": r.get("wall_s"),
    }


def median_of(runs: list[dict]) -> dict:
    figs = [figures(r) for r in runs]
    out: dict = {"runs": len(figs)}
    for key in figs[0]:
        vals = [f[key] for f in figs]
        if isinstance(vals[0], dict):
            names = {n for v in vals for n in v}
            out[key] = {n: statistics.median([v.get(n, 0) for v in vals]) for n in sorted(names)}
        else:
            nums = [v for v in vals if v is not None]
            out[key] = statistics.median(nums) if nums else None
    return out


def fmt(v: float | None, nd: int = 1) -> str:
    return "—" if v is None else f"{v:,.{nd}f}"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b in (None, 0) else f"{a / b:.2f}×"


ROWS = [
    ("jobs_s", "end-to-end jobs/s"),
    ("submit_p50", "submit p50 ms"),
    ("submit_p99", "submit p99 ms"),
    ("completion_p50", "completion p50 ms"),
    ("completion_p99", "completion p99 ms"),
    ("status_p50", "status read p50 ms"),
    ("status_p99", "status read p99 ms"),
    ("reads_s", "status reads/s"),
    ("errors", "errors (+ timed out, failed)"),
    ("cpu_total_per_1000", "CPU s / 1000 {unit}, system total"),
    ("client_cpu_per_1000", "CPU s / 1000 {unit}, load client"),
    ("machine_busy_pct", "machine busy %"),
]


def render(summary: dict) -> str:
    lines = [
        f"Assay vs the seeds' peer (FastAPI + Celery + Redis + PostgreSQL), same load client "
        f"({summary['config']['http']}), alternating; {summary['config']['runs']} run(s) per case, median. "
        "Ratio = Assay ÷ peer (higher is better for jobs/s and reads/s, lower for latencies and CPU).",
        "",
    ]
    for case, c in summary["cases"].items():
        systems = [s for s in SYSTEMS if s in c]
        unit = "reads" if case.endswith("s") else "jobs"
        head = ["metric", *[LABEL[s] for s in systems]]
        ratio_cols = [s for s in systems if s != "peer"] if "peer" in c else []
        head += [f"{LABEL[s]} ÷ peer" for s in ratio_cols]
        lines += [f"### {case}: {c['title']}", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for key, label in ROWS:
            vals = [c[s].get(key) for s in systems]
            if all(v is None for v in vals):
                continue
            nd = 0 if key == "errors" else 1 if key not in ("cpu_total_per_1000", "client_cpu_per_1000") else 2
            cells = [fmt(v, nd) for v in vals] + [ratio(c[s].get(key), c["peer"].get(key)) for s in ratio_cols]
            lines.append(f"| {label.format(unit=unit)} | " + " | ".join(cells) + " |")
        names: list[str] = []
        for s in systems:
            names += [n for n in c[s]["cpu_per_1000"] if n not in names]
        for n in names:
            cells = [fmt(c[s]["cpu_per_1000"].get(n), 2) if n in c[s]["cpu_per_1000"] else "" for s in systems]
            lines.append(f"| CPU s / 1000 {unit}: {n} | " + " | ".join(cells) + " |" + " |" * len(ratio_cols))
        lines.append("")
    if summary.get("crash"):
        lines += [
            "### crash: SIGKILL of the worker (and its children) mid-run, 200 jobs at concurrency 10",
            "",
            "| system | run | accepted | succeeded | stuck (not terminal) | lost (no row) | failed "
            "| ran more than once | last completion after kill s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for i, c in enumerate(summary["crash"].get("peer", [])):
            o = c["outcome"]
            lines.append(
                f"| peer | {i + 1} | {c['accepted']} | {o['completed']} | "
                f"{o['stuck_unacked'] + o['stuck_waiting_in_queue']} | {o['lost'] + o['no_row']} "
                f"(row `queued`, no message: {o['lost']}) | {o['failed']} | {c['executed_more_than_once']} "
                f"| {c.get('last_completion_after_kill_s')} |"
            )
        for i, c in enumerate(summary["crash"].get("assay", [])):
            lines.append(
                f"| Assay | {i + 1} | {c['accepted']} | {c['succeeded']} | {c['stuck']} | {c['lost']} | "
                f"{c['failed']} | {c['ran_more_than_once']} | {c.get('last_completion_after_kill_s')} |"
            )
        lines.append("")
    for system, why in summary.get("left_out", {}).items():
        lines.append(f"{LABEL[system]} left out: {why}")
    lines += ["", *targets(summary)]
    return "\n".join(lines)


def targets(summary: dict) -> list[str]:
    c = summary["cases"]
    out = ["### targets (issue #9)", ""]

    def get(case: str, s: str, key: str) -> float | None:
        return c.get(case, {}).get(s, {}).get(key)

    def line(ok: bool | None, text: str) -> None:
        out.append(f"- {'MET' if ok else 'MISSED' if ok is not None else 'n/a'}: {text}")

    peer_j = get("c1", "peer", "jobs_s")
    for s, want in (("assay-rest", 2), ("assay-grpc", 4)):
        v = get("c1", s, "jobs_s")
        ok = None if v is None or peer_j is None else v >= want * peer_j
        line(ok, f"c1 jobs/s {LABEL[s]} {fmt(v)} vs peer {fmt(peer_j)} = {ratio(v, peer_j)} (target ≥ {want}×)")
    for s in ("assay-rest", "assay-grpc"):
        p99, rs, errs = get("c2s", s, "status_p99"), get("c2s", s, "reads_s"), get("c2s", s, "errors")
        prs = get("c2s", "peer", "reads_s")
        line(None if p99 is None else p99 <= 250, f"c2s status p99 {LABEL[s]} {fmt(p99)} ms (target ≤ 250 ms)")
        line(
            None if rs is None or prs is None else rs >= 3 * prs,
            f"c2s reads/s {LABEL[s]} {fmt(rs)} vs peer {fmt(prs)} = {ratio(rs, prs)} (target ≥ 3×)",
        )
        line(None if errs is None else errs == 0, f"c2s errors {LABEL[s]} {fmt(errs, 0)} (target 0)")
        sp, pp = get("c1", s, "submit_p99"), get("c1", "peer", "submit_p99")
        line(
            None if sp is None or pp is None else sp <= pp / 2,
            f"c1 submit p99 at 50 clients {LABEL[s]} {fmt(sp)} ms vs peer {fmt(pp)} = {ratio(sp, pp)} (target ≤ 0.5×)",
        )
    for run in summary.get("crash", {}).get("assay", []):
        line(
            run["lost"] == 0 and run["stuck"] == 0,
            f"crash: Assay lost {run['lost']}, stuck {run['stuck']} of {run['accepted']} (target 0 / 0)",
        )
    return out


def wait_for_other_benchmarks(max_wait: float) -> None:
    end = time.monotonic() + max_wait
    while True:
        busy = [pid for pid in procs.pgrep("bench_worker.py") if pid != os.getpid()]
        if not busy:
            return
        if time.monotonic() > end:
            raise SystemExit(f"another benchmark (bench_worker.py, pids {busy}) is still running")
        log(f"another benchmark is running (bench_worker.py pids {busy}); waiting")
        time.sleep(10)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes, no crash test")
    ap.add_argument("--tiny", action="store_true", help="CI size: a few jobs, no crash test")
    ap.add_argument("--no-peer", dest="peer", action="store_false", help="Assay only (REST and gRPC)")
    ap.add_argument(
        "--crash",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the crash tests (default: yes, except with --quick / --tiny)",
    )
    ap.add_argument("--runs", type=int, default=1, help="runs of each case per system (median is reported)")
    ap.add_argument("--cases", default="", help="comma-separated cases to run (default: all), e.g. c1,c2s")
    ap.add_argument("--crash-runs", type=int, default=1)
    ap.add_argument("--http", choices=["httpx", "aiohttp"], default="httpx", help="load client of the loadgen")
    ap.add_argument(
        "--wait-for-others",
        type=float,
        default=1800,
        help="seconds to wait for another benchmark (bench_worker.py) to finish first",
    )
    args = ap.parse_args(argv)
    if args.crash is None:
        args.crash = not (args.quick or args.tiny)
    if not (args.quick or args.tiny):
        wait_for_other_benchmarks(args.wait_for_others)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    WORK.mkdir(parents=True, exist_ok=True)
    if PEER_SRC.is_dir():
        Peer.prepare()
    elif args.peer:
        raise SystemExit(f"the peer benchmark is not at {PEER_SRC} (set ASSAY_BENCH_PEER_SRC, or --no-peer)")

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    summary = Bench(args).main()
    text = render(summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=1))
    (RESULTS / "summary.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
