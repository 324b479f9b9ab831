"""``bench.compare.procs``: CPU groups add up to the whole when one group's root is below another's
(the jobs background process below the jobs parent), and a process is found by its name."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

from harness.waiting import assert_eventually

_PATH = Path(__file__).resolve().parents[2] / "bench" / "compare" / "procs.py"
_SPEC = importlib.util.spec_from_file_location("bench_compare_procs", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
procs = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(procs)  # by path: tests/bench shadows the repository's bench package here

BURN = """
import ctypes, sys, time
ctypes.CDLL(None).prctl(15, b"burner-test")
end = time.process_time() + 0.5
while time.process_time() < end:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


def test_a_group_below_another_group_counts_in_its_own_only() -> None:
    child = subprocess.Popen([sys.executable, "-c", BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"burnt\n"
        me = os.getpid()
        assert_eventually(lambda: procs.descendant_named(me, "burner-test") == child.pid, timeout=10)
        whole = procs.cpu_by_group({"me": me})["me"]
        split = procs.cpu_by_group({"me": me, "child": child.pid})
        assert split["child"] >= 0.45
        assert whole - split["me"] >= 0.45  # the child's CPU left the parent's group
        assert abs(whole - (split["me"] + split["child"])) < 0.1  # and the two add up to the whole
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(10)
