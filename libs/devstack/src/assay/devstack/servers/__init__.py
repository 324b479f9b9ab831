"""The servers Assay runs on and as, started as child processes on 127.0.0.1.

One way to launch each, shared by ``assay dev``, the tests and the benchmarks::

    from assay.devstack.servers import nats, postgres, s3

    with postgres.run() as pg, nats.run() as bus, s3.run() as store:
        pg.url, bus.url, store.endpoint

``run(root=None, port=0)`` starts a server and returns it once its own output says it is ready.
With ``root=None`` its data lives in a temporary directory that ``close()`` (or leaving the
``with`` block) deletes; with a ``root`` the data stays there for the next start. ``port=0`` picks a
free port. ``stop()`` sends the server's shutdown signal, waits, then kills; ``start()`` brings a
stopped server back on the same port and data.
"""

from assay.devstack.servers.process import (
    HOST,
    ServerProcess,
    free_consecutive_ports,
    free_port,
    port_accepts,
    port_is_free,
    start_all,
    stop_all,
)

__all__ = ["HOST", "ServerProcess", "free_consecutive_ports", "free_port", "port_accepts", "port_is_free", "start_all",
           "stop_all"]
