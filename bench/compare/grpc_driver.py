"""The benchmark cases over gRPC, the way internal platforms call Assay (no REST gateway).

    python bench/compare/grpc_driver.py --stack-json DIR/stack.json --mode flow -n 2000 -c 50

The same three modes, bounds and figures as the shared load generator (peer_celery/loadgen), so
the two drivers' numbers sit side by side and the difference is the gateway's own cost:

  flow    C closed-loop clients: CreateJob -> GetJob every --poll-interval until terminal -> next.
          (GetJob already carries the result, so there is no separate result fetch.)
  batch   CreateJob N jobs at concurrency C; each accepted job is polled until terminal.
  status  CreateJob --seed-jobs jobs and wait for them, then C clients each do
          --gets-per-client back-to-back GetJob calls.

Latencies: submit = CreateJob sent -> response; completion = CreateJob sent -> first GetJob
reading SUCCEEDED; status = one GetJob. Throughput = completed / wall s. Percentiles use the
same linear interpolation as the load generator. The client multiplexes its C coroutines over
--channels HTTP/2 channels (plain grpc.aio, no interceptors) and runs in one process.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path

import grpc

from assay.v1 import job_pb2, jobs_service_pb2, jobs_service_pb2_grpc, sentiment_pb2

TERMINAL = {
    job_pb2.Job.STATE_SUCCEEDED: "completed",
    job_pb2.Job.STATE_FAILED: "failed",
    job_pb2.Job.STATE_CANCELLED: "cancelled",
}

_POS = ["great", "excellent", "lovely", "amazing", "good", "wonderful", "pleasant", "superb"]
_NEG = ["terrible", "awful", "bad", "horrible", "disappointing", "poor", "broken", "useless"]
_NOUN = ["battery", "screen", "delivery", "support team", "price", "manual", "packaging", "sound"]


def make_texts(n: int, length: int, seed: int = 7) -> list[str]:
    """Review-like texts of about `length` characters, mixed sentiment, deterministic."""
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        words: list[str] = []
        while len(" ".join(words)) < length:
            adj = rnd.choice(_POS if rnd.random() < 0.55 else _NEG)
            words += ["the", rnd.choice(_NOUN), "was", adj, "and", "not", "very"][: rnd.randint(4, 7)]
        out.append((" ".join(words))[: max(1, length - 8)].rstrip() + f". #{i:06d}")
    return out


def pct(s: list[float], q: float) -> float | None:
    if not s:
        return None
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def summarize(vals: list[float]) -> dict:
    s = sorted(vals)

    def r(x: float | None) -> float | None:
        return None if x is None else round(x, 3)

    return {
        "n": len(s),
        "mean": r(sum(s) / len(s)) if s else None,
        "p50": r(pct(s, 0.5)),
        "p90": r(pct(s, 0.9)),
        "p99": r(pct(s, 0.99)),
        "max": r(s[-1]) if s else None,
    }


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.a = args
        self.metadata = (("authorization", f"Bearer {args.token}"),)
        # The REST adapter's sentiment model (bench/assay_adapter.py): VADER unless ASSAY_BENCH_SENTIMENT_MODEL says.
        model = os.environ.get("ASSAY_BENCH_SENTIMENT_MODEL") or "lexicon"
        self.params = job_pb2.JobParams(sentiment=sentiment_pb2.SentimentParams(
            model=sentiment_pb2.SentimentModelKind.Value(f"SENTIMENT_MODEL_KIND_{model.upper()}"),
        )) if args.analyzer == "sentiment" else job_pb2.JobParams()
        opts = [("grpc.max_receive_message_length", 64 * 2**20)]
        self.channels = [
            grpc.aio.insecure_channel(args.target, options=[*opts, ("grpc.channel_id", i)])
            for i in range(max(1, args.channels))
        ]
        self.stubs = [jobs_service_pb2_grpc.JobServiceStub(ch) for ch in self.channels]
        self.reset()

    def reset(self) -> None:
        self.t_start = time.perf_counter()
        self.deadline = self.t_start + self.a.max_seconds
        self.submit_ms: list[float] = []
        self.completion_ms: list[float] = []
        self.status_ms: list[float] = []
        self.errors: Counter = Counter()
        self.error_samples: list[str] = []
        self.job_ids: list[str] = []
        self.unfinished: list[str] = []
        self.submitted = self.submit_errors = self.completed = self.failed = self.timed_out = self.bad = 0

    def error(self, where: str, exc: BaseException) -> None:
        name = exc.code().name if isinstance(exc, grpc.aio.AioRpcError) else type(exc).__name__
        kind = f"{where}:{name}"
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {str(exc)[:200]}")

    def stub(self, i: int) -> jobs_service_pb2_grpc.JobServiceStub:
        return self.stubs[i % len(self.stubs)]

    async def submit(self, stub, text: str) -> tuple[str | None, float]:
        t0 = time.perf_counter()
        try:
            resp = await stub.CreateJob(
                jobs_service_pb2.CreateJobRequest(analyzer=self.a.analyzer, inputs=job_pb2.JobInputs(text=text),
                                                  params=self.params, no_cache=True),  # the peer has no cache
                metadata=self.metadata,
                timeout=self.a.request_timeout,
            )
        except Exception as exc:
            self.submit_errors += 1
            self.error("submit", exc)
            return None, t0
        self.submit_ms.append((time.perf_counter() - t0) * 1000)
        self.submitted += 1
        self.job_ids.append(resp.job.id)
        return resp.job.id, t0

    async def get(self, stub, job_id: str) -> job_pb2.Job:
        resp = await stub.GetJob(
            jobs_service_pb2.GetJobRequest(id=job_id), metadata=self.metadata, timeout=self.a.request_timeout
        )
        return resp.job

    async def track(self, stub, job_id: str, t0: float, sem: asyncio.Semaphore | None = None) -> None:
        job_deadline = min(self.deadline, t0 + self.a.job_timeout)
        while True:
            await asyncio.sleep(self.a.poll_interval)
            if time.perf_counter() > job_deadline:
                self.timed_out += 1
                self.unfinished.append(job_id)
                return
            try:
                if sem is None:
                    ts = time.perf_counter()
                    job = await self.get(stub, job_id)
                else:
                    async with sem:
                        ts = time.perf_counter()
                        job = await self.get(stub, job_id)
            except Exception as exc:
                self.error("status", exc)
                continue
            te = time.perf_counter()
            self.status_ms.append((te - ts) * 1000)
            state = TERMINAL.get(job.state)
            if state is None:
                continue
            if state != "completed":
                self.failed += 1
                return
            self.completed += 1
            self.completion_ms.append((te - t0) * 1000)
            if job.result.WhichOneof("analyzer_result") != "sentiment" or not job.result.sentiment.items:
                self.bad += 1
            return

    async def flow(self, texts: list[str]) -> None:
        it = iter(texts)

        async def user(i: int) -> None:
            stub = self.stub(i)
            for text in it:
                if time.perf_counter() > self.deadline:
                    return
                job_id, t0 = await self.submit(stub, text)
                if job_id is not None:
                    await self.track(stub, job_id, t0)

        await asyncio.gather(*(user(i) for i in range(self.a.concurrency)))

    async def batch(self, texts: list[str], concurrency: int) -> None:
        it = iter(texts)
        sem = asyncio.Semaphore(concurrency)
        trackers: list[asyncio.Task] = []
        counter = itertools.count()

        async def submitter(i: int) -> None:
            stub = self.stub(i)
            for text in it:
                if time.perf_counter() > self.deadline:
                    return
                job_id, t0 = await self.submit(stub, text)
                if job_id is not None:
                    trackers.append(asyncio.create_task(self.track(self.stub(next(counter)), job_id, t0, sem)))

        await asyncio.gather(*(submitter(i) for i in range(concurrency)))
        self.t_submitted = time.perf_counter()
        await asyncio.gather(*trackers)

    async def status_hammer(self, ids: list[str]) -> None:
        ok: Counter = Counter()
        random.Random(11).shuffle(ids)

        async def reader(k: int) -> None:
            stub = self.stub(k)
            order = ids[k % len(ids) :] + ids[: k % len(ids)]
            for j in range(self.a.gets_per_client):
                if time.perf_counter() > self.deadline:
                    return
                ts = time.perf_counter()
                try:
                    job = await self.get(stub, order[j % len(order)])
                except Exception as exc:
                    self.error("status", exc)
                    continue
                self.status_ms.append((time.perf_counter() - ts) * 1000)
                ok[TERMINAL.get(job.state, job_pb2.Job.State.Name(job.state))] += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(reader(k) for k in range(self.a.concurrency)))
        self.hammer_wall = time.perf_counter() - t0
        self.hammer_statuses = dict(ok)

    async def close(self) -> None:
        for ch in self.channels:
            await ch.close()


async def main_async(args: argparse.Namespace) -> dict:
    out: dict = {"config": {k: v for k, v in vars(args).items() if k != "token"}, "adapter": "assay-grpc"}
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    d = Driver(args)
    try:
        if args.mode == "flow":
            await d.flow(make_texts(args.n, args.text_len, args.seed))
        elif args.mode == "batch":
            await d.batch(make_texts(args.n, args.text_len, args.seed), args.concurrency)
        else:
            await d.batch(make_texts(args.seed_jobs, args.text_len, args.seed + 1), min(50, args.concurrency))
            out["seed_jobs"] = {"submitted": d.submitted, "completed": d.completed, "errors": dict(d.errors)}
            ids = list(d.job_ids)
            if not ids:
                raise SystemExit("status mode: no seed job was accepted")
            d.reset()
            await d.status_hammer(ids)
        wall = time.perf_counter() - d.t_start
    finally:
        await d.close()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    out.update(
        {
            "wall_s": round(wall, 3),
            "client_cpu_s": round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 3),
            "submitted": d.submitted,
            "submit_errors": d.submit_errors,
            "completed": d.completed,
            "failed": d.failed,
            "timed_out": d.timed_out,
            "bad_results": d.bad,
            "throughput_jobs_s": round(d.completed / wall, 2) if wall > 0 and args.mode != "status" else None,
            "submit_ms": summarize(d.submit_ms),
            "completion_ms": summarize(d.completion_ms),
            "status_ms": summarize(d.status_ms),
            "result_ms": summarize([]),
            "errors": dict(d.errors),
            "error_samples": d.error_samples,
            "unfinished_ids": d.unfinished[:1000],
        }
    )
    if args.mode == "status":
        out["status_gets"] = len(d.status_ms)
        out["status_gets_per_s"] = round(len(d.status_ms) / d.hammer_wall, 1) if d.hammer_wall else None
        out["hammer_wall_s"] = round(d.hammer_wall, 3)
        out["statuses_read"] = d.hammer_statuses
    out["job_ids"] = d.job_ids
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--stack-json", help="an `assay dev` stack.json (gives --target and --token)")
    p.add_argument("--target", help="jobs service host:port")
    p.add_argument("--token", help="bearer token (default: ASSAY_TOKEN, then stack.json)")
    p.add_argument("--analyzer", default="sentiment")
    p.add_argument("--mode", choices=["flow", "batch", "status"], default="flow")
    p.add_argument("-n", "--n", type=int, default=100)
    p.add_argument("-c", "--concurrency", type=int, default=10)
    p.add_argument("--channels", type=int, default=8,
                   help="HTTP/2 channels (connections) the clients share: jobs processes sharing a port are"
                        " handed connections, and 8 spread over 2 processes nearly evenly")
    p.add_argument("--text-len", type=int, default=100)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--poll-interval", type=float, default=0.1)
    p.add_argument("--job-timeout", type=float, default=60.0)
    p.add_argument("--max-seconds", type=float, default=300.0)
    p.add_argument("--request-timeout", type=float, default=30.0)
    p.add_argument("--seed-jobs", type=int, default=200)
    p.add_argument("--gets-per-client", type=int, default=10)
    p.add_argument("--ids-out")
    p.add_argument("--out")
    args = p.parse_args(argv)
    import os

    stack = json.loads(Path(args.stack_json).read_text()) if args.stack_json else {}
    args.target = args.target or stack.get("endpoints", {}).get("jobs")
    args.token = args.token or os.environ.get("ASSAY_TOKEN") or stack.get("token")
    if not args.target or not args.token:
        p.error("need --target and --token, or --stack-json")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = asyncio.run(main_async(args))
    ids = out.pop("job_ids")
    if args.ids_out:
        Path(args.ids_out).write_text(json.dumps(ids))
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1))
    brief = {
        k: out.get(k)
        for k in (
            "wall_s",
            "submitted",
            "completed",
            "timed_out",
            "throughput_jobs_s",
            "status_gets_per_s",
            "client_cpu_s",
            "errors",
        )
    }
    brief.update(
        mode=args.mode,
        submit_p50_p99=(out["submit_ms"]["p50"], out["submit_ms"]["p99"]),
        status_p50_p99=(out["status_ms"]["p50"], out["status_ms"]["p99"]),
    )
    print(json.dumps(brief), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
