"""Scripted test analyzer for the worker tests; importable by the worker's child processes.

It registers as ``sentiment`` (the API only accepts known analyzer names; ``SCRIPTED_CONTRACT``, the
same script as ``contract_review``, is a second analyzer for one worker) and obeys its inline
text: ``ok``, ``sleep:<seconds>`` (cancellable, reports progress), ``crash`` (the process dies),
``fail-until:<n>`` (a retryable error while the attempt is <= n), ``hang`` (ignores cancellation),
``bad`` (an input error), ``sum-dependencies`` (rows_total: the sum of its dependencies' rows_total),
``deep-json:<depth>`` (parses JSON nested that deep), ``allocate:<MiB>`` (allocates and touches
that much memory), ``pdf-bomb:<MiB>`` (pypdf inflates a FlateDecode stream of that many MiB),
``write-artifact:<text>`` (an artifact ``note.txt`` holding the text), ``write-artifacts:<n>`` (n
artifacts, the i-th holding ``i,``), ``copy-dependency-files`` (an
artifact ``copy.txt``: its dependencies' artifacts' bytes, concatenated), ``whoami`` (rows_total: the
process id, rows_scored: how many attempts this process has run, this one included).
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
import zlib

from assay.analysis.plugin import AnalysisInputError, AnalyzerSpec, RunContext
from assay.v1 import job_pb2, sentiment_pb2

RUNS_IN_THIS_PROCESS = 0


class ScriptedAnalyzer:
    spec = AnalyzerSpec(name="sentiment", version="0.0.0-test", description="Scripted test analyzer.",
                        accepts_text=True, max_text_chars=512, time_limit_seconds=60)

    def run(self, ctx: RunContext) -> job_pb2.JobResult:
        global RUNS_IN_THIS_PROCESS
        RUNS_IN_THIS_PROCESS += 1
        command, _, arg = ctx.text.partition(":")
        if command == "whoami":
            return job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(
                statistics=sentiment_pb2.SentimentStatistics(rows_total=os.getpid(), rows_scored=RUNS_IN_THIS_PROCESS)))
        if command == "sleep":
            end = time.monotonic() + float(arg)
            while (left := end - time.monotonic()) > 0:
                ctx.check_cancelled()
                ctx.report_progress(int(100 * (1 - left / float(arg))))
                time.sleep(min(left, 0.02))
        elif command == "crash":
            os._exit(3)
        elif command == "fail-until" and ctx.attempt <= int(arg):
            raise RuntimeError(f"injected failure on attempt {ctx.attempt}")
        elif command == "hang":
            time.sleep(3600)
        elif command == "bad":
            raise AnalysisInputError("INPUT_UNPARSEABLE", "scripted bad input")
        elif command == "deep-json":
            json.loads("[" * int(arg) + "]" * int(arg))
        elif command == "pdf-bomb":
            from pypdf.filters import FlateDecode

            FlateDecode.decode(zlib.compress(b"\0" * (int(arg) * 1024 * 1024)))
        elif command == "allocate":
            block = bytearray(int(arg) * 1024 * 1024)
            block[::4096] = b"x" * len(block[::4096])
        elif command == "write-artifact":
            ctx.artifact_path("note.txt", "text/plain").write_text(arg, encoding="utf-8")
        elif command == "write-artifacts":
            for index in range(int(arg)):
                ctx.artifact_path(f"part-{index}.txt", "text/plain").write_text(f"{index},", encoding="utf-8")
        elif command == "copy-dependency-files":
            copied = b"".join(document.path.read_bytes() for document in ctx.dependency_files)
            ctx.artifact_path("copy.txt", "text/plain").write_bytes(copied)
        elif command == "sum-dependencies":
            total = sum(dep.result.sentiment.statistics.rows_total for dep in ctx.dependencies)
            return job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(
                statistics=sentiment_pb2.SentimentStatistics(rows_total=total)))
        return job_pb2.JobResult(sentiment=sentiment_pb2.SentimentResult(
            statistics=sentiment_pb2.SentimentStatistics(rows_total=1, rows_scored=1)))


SCRIPTED = ScriptedAnalyzer()


class BatchedScriptedAnalyzer(ScriptedAnalyzer):
    """The scripted analyzer, its inline texts small work: run in batches (``small_batches``)."""

    spec = dataclasses.replace(ScriptedAnalyzer.spec, batch_inline_text=True)


SCRIPTED_BATCHED = BatchedScriptedAnalyzer()


class ScriptedContractReview(ScriptedAnalyzer):
    spec = AnalyzerSpec(name="contract_review", version="0.0.0-test", description="Scripted test analyzer.",
                        accepts_text=True, max_text_chars=512, time_limit_seconds=120)


SCRIPTED_CONTRACT = ScriptedContractReview()
