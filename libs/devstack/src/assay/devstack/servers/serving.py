"""Which processes of a server's family answer its connections, read from Linux's /proc: the
server side of each client socket is found in /proc/net/tcp and its owner among the family's fds.

For a server of several processes on one port (the gateway with ``ASSAY_GATEWAY_PROCESSES``, jobs
with ``ASSAY_JOBS_PROCESSES``): tests check that each process serves, benchmarks wait until each
does before measuring.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path


def descendants(root: int) -> set[int]:
    """The live processes below ``root`` (children, their children, …)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    todo = [root]
    while todo:
        pid = todo.pop()
        children = [child for child, parent in parents.items() if parent == pid and child not in found]
        found.update(children)
        todo += children
    return found


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill_family(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a server started as ``proc`` and every process below it, by PID (a test's teardown)."""
    family = descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    for pid in family:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def _server_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the accepted socket whose peer is ``client_port`` (IPv4)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, remote_port = int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            return fields[9]
    return None


ESTABLISHED, LISTENING = "01", "0A"
"""Socket states as /proc/net/tcp writes them."""


def connection_owners(port: int, root: int, state: str = ESTABLISHED) -> set[int]:
    """The processes of ``root``'s family holding the server side of an established connection on
    ``port`` (IPv4, or IPv6 as gRPC binds), whichever client opened it (a gRPC channel does not say
    its local port); with ``state=LISTENING``, those listening on ``port``."""
    rows = [line.split() for table in ("tcp", "tcp6")
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]]
    inodes = [fields[9] for fields in rows if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state]
    family = descendants(root) | {root}
    return {owner for inode in inodes if (owner := _owner(family, inode)) is not None}


def _owner(pids: set[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except OSError:
                continue
    return None


def serving_pids(host: str, port: int, root: int, connections: int = 8, path: str = "/healthz") -> set[int]:
    """Open ``connections`` keep-alive connections at once, make one GET of ``path`` on each, and
    return the processes of ``root``'s family holding their server sides. Raises AssertionError
    when a response is not a 200."""
    socks = [socket.create_connection((host, port), timeout=10) for _ in range(connections)]
    try:
        for sock in socks:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        for sock in socks:
            head = sock.recv(65536)
            if not head.startswith(b"HTTP/1.1 200"):
                raise AssertionError(f"GET {path}: {head[:40]!r}")
        family = descendants(root) | {root}
        owners = set()
        for sock in socks:
            inode = _server_inode(port, sock.getsockname()[1])
            owner = _owner(family, inode) if inode is not None else None
            if owner is not None:
                owners.add(owner)
        return owners
    finally:
        for sock in socks:
            sock.close()
