"""Assay's crash test: the peer's procedure, aimed at the analysis worker.

200 jobs are submitted over REST at concurrency 10 by the shared load generator (batch mode, every
accepted job polled); once 60 of them have succeeded, the analysis worker and all its descendants
(analyzer children, forkserver) are killed with SIGKILL by PID, as a container kill would.
`assay dev` restarts the worker on its own. Every accepted job is then classified from the
`jobs.jobs` table (read as the PostgreSQL superuser): succeeded, failed, stuck (not terminal by the
bound) or lost (no row), and whether it ran more than once (attempt > 1).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

from bench.compare import procs

N, CONCURRENCY, KILL_AFTER = 200, 10, 60
BOUND_S = 120.0  # every accepted job must be terminal this long after the kill


def _connect(stack: Any) -> psycopg.Connection:
    info = stack.info()
    secrets = json.loads((stack.data_dir / "secrets.json").read_text())
    host, port = info["endpoints"]["postgres"].rsplit(":", 1)
    return psycopg.connect(
        host=host,
        port=int(port),
        user="postgres",
        password=secrets["postgres_password"],
        dbname="assay",
        autocommit=True,
    )


def _family(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += procs.children(p)
    return out


def assay_crash_run(stack: Any, loadgen_python: str, peer_dir: Path, prefix: Path) -> dict:
    ids_file, out = prefix.with_suffix(".ids.json"), prefix.with_suffix(".json")
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(peer_dir), str(Path(__file__).resolve().parents[2])]),
        ASSAY_STACK_JSON=str(stack.data_dir / "stack.json"),
    )
    env.pop("ASSAY_TOKEN", None)
    argv = [
        loadgen_python,
        "-m",
        "loadgen.harness",
        "--adapter",
        "bench.assay_adapter:AssayAdapter",
        "--base-url",
        stack.info()["gateway_url"],
        "--mode",
        "batch",
        "-n",
        str(N),
        "-c",
        str(CONCURRENCY),
        "--poll-interval",
        "0.1",
        "--job-timeout",
        str(BOUND_S),
        "--max-seconds",
        str(BOUND_S + 40),
        "--ids-out",
        str(ids_file),
        "--out",
        str(out),
    ]
    info: dict = {"n": N, "kill_after_succeeded": KILL_AFTER, "bound_s": BOUND_S}
    with _connect(stack) as db:
        (before,) = db.execute("SELECT count(*) FROM jobs.jobs WHERE state = 'SUCCEEDED'").fetchone()
        (t_db,) = db.execute("SELECT now()").fetchone()
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=peer_dir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed_at: float | None = None
        while time.monotonic() - t0 < 60 and p.poll() is None:
            (done,) = db.execute("SELECT count(*) FROM jobs.jobs WHERE state = 'SUCCEEDED'").fetchone()
            if done - before >= KILL_AFTER:
                worker = stack.info()["pids"]["analysis"]
                pids = _family(worker)
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                killed_at = time.time()
                rows = dict(
                    db.execute(
                        "SELECT state, count(*) FROM jobs.jobs WHERE created_at >= %s GROUP BY state", (t_db,)
                    ).fetchall()
                )
                info.update(killed_pids=pids, kill_at_s=round(time.monotonic() - t0, 3), rows_at_kill=rows)
                break
            time.sleep(0.02)
        if killed_at is None:
            info["note"] = "the worker was not killed: threshold not reached"
        _so, _se = p.communicate(timeout=BOUND_S + 120)
        accepted = json.loads(ids_file.read_text()) if ids_file.exists() else []
        # the loadgen polls each job until terminal or the bound; wait out the bound for the rest
        end = (killed_at or time.time()) + BOUND_S
        rows = {}
        while True:
            rows = {
                str(i): (s, a, e)
                for i, s, a, e in db.execute(
                    "SELECT id, state, attempt, extract(epoch FROM ended_at) FROM jobs.jobs WHERE id = ANY(%s::uuid[])",
                    (accepted,),
                ).fetchall()
            }
            pending = [i for i in accepted if i not in rows or rows[i][0] not in ("SUCCEEDED", "FAILED", "CANCELLED")]
            if not pending or time.time() > end:
                break
            time.sleep(0.5)
    new_pid = stack.info()["pids"]["analysis"]
    res = json.loads(out.read_text()) if out.exists() else {}
    ends = [float(r[2]) for r in rows.values() if r[2] is not None]
    info.update(
        {
            "accepted": len(accepted),
            "submit_errors": res.get("submit_errors"),
            "succeeded": sum(1 for i in accepted if rows.get(i, ("",))[0] == "SUCCEEDED"),
            "failed": sum(1 for i in accepted if rows.get(i, ("",))[0] in ("FAILED", "CANCELLED")),
            "stuck": sum(1 for i in accepted if i in rows and rows[i][0] not in ("SUCCEEDED", "FAILED", "CANCELLED")),
            "lost": sum(1 for i in accepted if i not in rows),
            "ran_more_than_once": sum(1 for i in accepted if i in rows and (rows[i][1] or 0) > 1),
            "worker_restarted": new_pid not in info.get("killed_pids", [new_pid]),
            "restarted_pid": new_pid,
            "last_completion_after_kill_s": round(max(ends) - killed_at, 2) if ends and killed_at else None,
            "client_saw_completed": res.get("completed"),
            "client_timed_out": res.get("timed_out"),
            "non_terminal": [{"id": i, "state": rows.get(i, (None,))[0]} for i in pending][:50],
        }
    )
    res["crash"] = info
    out.write_text(json.dumps(res, indent=1))
    brief = {k: v for k, v in info.items() if k != "non_terminal"}
    print(time.strftime("%H:%M:%S"), f"assay crash: {json.dumps(brief)}", file=sys.stderr, flush=True)
    return info
