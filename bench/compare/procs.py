"""CPU seconds of process families from /proc (no psutil needed)."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(ppid, own utime+stime s, reaped children's cutime+cstime s)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    f = raw[raw.rindex(")") + 2 :].split()
    return int(f[1]), (int(f[11]) + int(f[12])) / TICK, (int(f[13]) + int(f[14])) / TICK


def _table() -> dict[int, tuple[int, float, float]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None:
                out[int(entry)] = st
    return out


def children(pid: int) -> list[int]:
    return [p for p, st in _table().items() if st[0] == pid]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pgrep(needle: str) -> list[int]:
    me = os.getpid()
    return [
        int(e)
        for e in os.listdir("/proc")
        if e.isdigit() and int(e) != me and needle in cmdline(int(e)) and "pgrep" not in cmdline(int(e))
    ]


def cpu_by_group(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds per named group: the process and all its descendants, each with what it has reaped
    (exited PostgreSQL backends, analyzer children). A negative pid means the process alone."""
    table = _table()
    kids: dict[int, list[int]] = {}
    for pid, st in table.items():
        kids.setdefault(st[0], []).append(pid)
    out = {}
    for name, root in groups.items():
        if root < 0:
            st = table.get(-root)
            out[name] = round(st[1], 3) if st else 0.0
            continue
        total, todo, seen = 0.0, [root], set()
        while todo:
            pid = todo.pop()
            if pid in seen or pid not in table:
                continue
            seen.add(pid)
            total += table[pid][1] + table[pid][2]
            todo += kids.get(pid, [])
        out[name] = round(total, 3)
    return out


def machine() -> list[int]:
    return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def busy_pct(a: list[int], b: list[int]) -> float | None:
    d = [y - x for x, y in zip(a, b, strict=False)]
    tot = sum(d)
    idle = d[3] + (d[4] if len(d) > 4 else 0)
    return round(100 * (1 - idle / tot), 1) if tot > 0 else None
